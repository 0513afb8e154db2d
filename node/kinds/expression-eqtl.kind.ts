/**
 * Expression by genotype at the node: for the signed gene and each listed
 * variant, over the analysed samples whose genotype is called, the exact
 * quantized sums n, X'X, X'y, y'y of y ~ 1 + dosage + covariates (y
 * clipped to [-clip, clip] when the query carries a clip; each as limbs,
 * with DP on in its family's units plus this site's noise share:
 * expression-noise.ts; proto/kinds/expression-eqtl.ts).
 *
 * The sums are built from per-(dosage class, covariate cell) counts, sums
 * of y and of y^2: the design row is constant within such a cell, so every
 * released value is a combination of cell sums, and the nodes verify each
 * cell at 0 or >= k (the populations). A variant is "thinned" here when
 * its called, carrier (dosage >= 1) or hom-alt (dosage 2) set differs by
 * 1..k-1 of this site's samples from the same set of a variant kept
 * earlier in the list, or from a set this coordinator was answered for:
 * if two released variants' sets differed by fewer than k people
 * network-wide, some site sees a local difference of 1..k-1, so every pair
 * kept by every site differs by 0 or >= k network-wide.
 */
import { quantize } from '../../proto/expression.js';
import { modelFamilyOf } from '../../proto/expression-dp.js';
import { deGeneOffset, designCells, designColumns, designRow, triangleIndex } from '../../proto/expression-design.js';
import { DOSAGE_CLASSES, eqtlFamilies, eqtlPopulationIndex, eqtlSumsPerVariant, expressionEqtl, type ExpressionEqtlParams } from '../../proto/kinds/expression-eqtl.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { KeyList } from '../../proto/variant.js';
import { NodeError } from '../errors.js';
import { popcount32 } from '../privacy/bitmap.js';
import type { ServedStore } from '../server/ports.js';
import { encodeSums } from './expression-noise.js';
import { eqtlAnalysedCells, expressionOf, unionOf } from './expression-samples.js';
import { keysOf, type CountedNodeKind, type HistoryView } from './kind.js';

/** What members() computed, for count(): per variant and (class, cell), the count and the sums of y and y^2 (quantized). */
interface Prepared {
  readonly cells: number;
  readonly n: Uint32Array;
  readonly y: bigint[];
  readonly yy: bigint[];
}

const prepared = new WeakMap<readonly Uint32Array[], Prepared>();

/** Bitmap words over the analysed samples' positions. */
class Bits {
  readonly words: Uint32Array;
  size = 0;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32));
  }
  add(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.size += 1;
  }
}

/** min(|a xor b|, k) */
function distance(a: Bits, b: Bits, k: number): number {
  if (Math.abs(a.size - b.size) >= k) return k;
  let d = 0;
  for (let i = 0; i < a.words.length; i++) {
    d += popcount32(a.words[i]! ^ b.words[i]!);
    if (d >= k) return k;
  }
  return d;
}

/** A variant's called, carrier and hom-alt sets (as store indices for the guard, as bitmaps for the pairwise rule). */
function variantSets(dosage: Int8Array, offset: number, samples: Uint32Array): { sets: Uint32Array[]; bits: Bits[] } {
  const n = samples.length;
  const lists: number[][] = [[], [], []];
  const bits = [new Bits(n), new Bits(n), new Bits(n)];
  for (let i = 0; i < n; i++) {
    const d = dosage[offset + i]!;
    if (d < 0) continue;
    lists[0]!.push(samples[i]!);
    bits[0]!.add(i);
    if (d >= 1) { lists[1]!.push(samples[i]!); bits[1]!.add(i); }
    if (d >= 2) { lists[2]!.push(samples[i]!); bits[2]!.add(i); }
  }
  return { sets: lists.map((l) => Uint32Array.from(l)), bits };
}

async function eqtlMembers(store: ServedStore, p: ExpressionEqtlParams, schema: PhenotypeSchema, list: KeyList, history: HistoryView): Promise<Uint32Array[]> {
  const e = await expressionOf(store);
  if (e.values !== p.values) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: this site holds ${e.values} values, the query analyses ${p.values}`);
  if (!store.dosages) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: this store cannot read genotype dosages');
  const cellSets = await eqtlAnalysedCells(store, p.cohort, schema, p.covariates);
  const L = cellSets.length;
  const samples = unionOf(cellSets);
  const n = samples.length;
  const cellOf = new Int32Array(n);
  {
    const at = new Map<number, number>();
    samples.forEach((s, i) => at.set(s, i));
    cellSets.forEach((set, l) => { for (const s of set) cellOf[at.get(s)!] = l; });
  }
  const y = await e.geneValues(p.gene, samples, p.meanLibSize, p.clip);
  if (!y) throw new NodeError('GENOFED_QUERY_MALFORMED', "query refused: the signed gene is not in this site's matrix");
  const keys = keysOf(list);
  const V = keys.length;
  const dosage = await store.dosages(keys, samples);
  const ix = eqtlPopulationIndex(V, L);
  const members: Uint32Array[] = new Array<Uint32Array>(ix.total);
  const yB = Array.from(y, (v) => BigInt(v));
  const yyB = yB.map((v) => v * v);
  const cnt = new Uint32Array(V * DOSAGE_CLASSES * L);
  const ySum = new Array<bigint>(V * DOSAGE_CLASSES * L).fill(0n);
  const yySum = new Array<bigint>(V * DOSAGE_CLASSES * L).fill(0n);
  const perVariant: { sets: Uint32Array[]; bits: Bits[] }[] = [];
  for (let v = 0; v < V; v++) {
    const classCell: number[][] = Array.from({ length: DOSAGE_CLASSES * L }, () => []);
    for (let i = 0; i < n; i++) {
      const d = dosage[v * n + i]!;
      if (d < 0) continue;
      // A dosage above 2 (polyploid) has no class of its own: such a site is refused rather than mis-binned.
      if (d >= DOSAGE_CLASSES) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a listed variant has a dosage above 2 (polyploid genotypes are not modelled)');
      const c = d * L + cellOf[i]!;
      classCell[c]!.push(samples[i]!);
      const at = v * DOSAGE_CLASSES * L + c;
      cnt[at]! += 1;
      ySum[at] = ySum[at]! + yB[i]!;
      yySum[at] = yySum[at]! + yyB[i]!;
    }
    for (let c = 0; c < DOSAGE_CLASSES; c++) for (let l = 0; l < L; l++) members[ix.classCellAt(v, c, l)] = Uint32Array.from(classCell[c * L + l]!);
    const s = variantSets(dosage, v * n, samples);
    members[v] = s.sets[0]!;
    perVariant.push(s);
  }
  for (let l = 0; l < L; l++) members[ix.cellAt(l)] = cellSets[l]!;
  // Thinning: against the coordinator's history, then against the variants kept so far.
  const k = history.k;
  const nearHistory = await history.near(perVariant.flatMap((s) => s.sets));
  const kept: Bits[][] = [];
  for (let v = 0; v < V; v++) {
    const own = perVariant[v]!.bits;
    let thin = nearHistory[3 * v]! || nearHistory[3 * v + 1]! || nearHistory[3 * v + 2]!;
    for (let j = 0; !thin && j < kept.length; j++) {
      for (let t = 0; t < 3 && !thin; t++) {
        const d = distance(own[t]!, kept[j]![t]!, k);
        thin = d > 0 && d < k;
      }
    }
    if (!thin) kept.push(own);
    members[ix.thinnedAt(v)] = thin ? Uint32Array.of(0) : new Uint32Array(0);
  }
  prepared.set(members, { cells: L, n: cnt, y: ySum, yy: yySum });
  return members;
}

export const kind: CountedNodeKind<ExpressionEqtlParams> = {
  spec: expressionEqtl,
  members: eqtlMembers,

  async count(_store, p, schema, _list, members, noise) {
    const pre = prepared.get(members);
    if (!pre) throw new NodeError('GENOFED_QUERY_MALFORMED', 'eQTL sums requested without their members');
    const columns = designColumns(schema, p.covariates, 'dosage');
    const P = columns.length;
    const L = pre.cells;
    const cells = designCells(schema, p.covariates);
    const names = p.covariates.map((c) => c.toLowerCase());
    // The quantized design row of each (class, cell): constant within it.
    const rows: bigint[][] = [];
    for (let c = 0; c < DOSAGE_CLASSES; c++) {
      for (let l = 0; l < L; l++) {
        const values = cells[l]!.values;
        const row = designRow(columns, c, (column) => values[names.indexOf(column.toLowerCase())]);
        if (!row) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a covariate cell has no value');
        rows.push(Array.from(row, (x) => BigInt(quantize(x))));
      }
    }
    const V = p.variantCount;
    const S = eqtlSumsPerVariant(P);
    const sums = new Array<bigint>(V * S);
    const xtx = new Array<bigint>(P * P);
    const xty = new Array<bigint>(P);
    for (let v = 0; v < V; v++) {
      const base = v * S;
      let nv = 0;
      let yty = 0n;
      xtx.fill(0n);
      xty.fill(0n);
      for (let cl = 0; cl < DOSAGE_CLASSES * L; cl++) {
        const at = v * DOSAGE_CLASSES * L + cl;
        const m = pre.n[at]!;
        if (m === 0) continue;
        const row = rows[cl]!;
        const mb = BigInt(m);
        nv += m;
        yty += pre.yy[at]!;
        for (let a = 0; a < P; a++) {
          xty[a] = xty[a]! + row[a]! * pre.y[at]!;
          for (let b = a; b < P; b++) xtx[a * P + b] = xtx[a * P + b]! + mb * row[a]! * row[b]!;
        }
      }
      sums[base] = BigInt(nv);
      for (let a = 0; a < P; a++) for (let b = a; b < P; b++) sums[base + 1 + triangleIndex(a, b, P)] = xtx[a * P + b]!;
      const o = base + deGeneOffset(P, 0);
      for (let a = 0; a < P; a++) sums[o + a] = xty[a]!;
      sums[o + P] = yty;
    }
    return encodeSums(sums, eqtlFamilies(p, schema), modelFamilyOf(P, S), noise);
  },

  /**
   * What the answer reveals, for the differencing guard: the analysed cells
   * and, per released variant, its called, carrier and hom-alt sets.
   */
  revealed(p, schema, members, withheld) {
    const L = designCells(schema, p.covariates).length;
    const ix = eqtlPopulationIndex(p.variantCount, L);
    const out: Uint32Array[] = [];
    for (let l = 0; l < L; l++) out.push(members[ix.cellAt(l)]!);
    const hidden = new Set(withheld);
    for (let v = 0; v < ix.variants; v++) {
      if (hidden.has(v)) continue;
      out.push(members[v]!);
      const carriers: number[] = [];
      const homAlt: number[] = [];
      for (let l = 0; l < L; l++) {
        carriers.push(...members[ix.classCellAt(v, 1, l)]!, ...members[ix.classCellAt(v, 2, l)]!);
        homAlt.push(...members[ix.classCellAt(v, 2, l)]!);
      }
      out.push(Uint32Array.from(carriers).sort(), Uint32Array.from(homAlt).sort());
    }
    // Identical sets (most variants' called sets) are one entry in the ledger.
    const seen = new Set<string>();
    return out.filter((m) => {
      const key = Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('base64');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  },
};
