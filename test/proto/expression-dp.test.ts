/**
 * The expression kinds' DP sensitivity (proto/expression-dp.ts), by brute
 * force on small designs: the sums are computed here from people's values
 * (quantized, y clipped, BigInt products: independently of the node's
 * store), one person is added to or removed from a cohort, and every sum's
 * change is compared with its family's declared bound, every released
 * integer's change with its declared sensitivity, and the change vector's
 * L1 and L2 with the kind's declared norms. The worst-placed person reaches
 * each exact bound (the bounds are tight, not just safe).
 */
import { describe, expect, it } from 'vitest';
import { quantize } from '../../proto/expression.js';
import { DEFAULT_EXPR_CLIP, designBounds, dpFamily, familiesSensitivity, LIB_SIZE_CLIP, modelFamilies, modelFamilyOf, releaseSum, scaleFamilies, type DpSumFamily } from '../../proto/expression-dp.js';
import { deSumCount, designColumns, designRow, triangleIndex, triangleSize } from '../../proto/expression-design.js';
import { skellamMu } from '../../proto/dp-accounting.js';
import { deFamilies, expressionDe } from '../../proto/kinds/expression-de.js';
import { eqtlFamilies, eqtlSumsPerVariant, expressionEqtl } from '../../proto/kinds/expression-eqtl.js';
import { expressionScale } from '../../proto/kinds/expression-scale.js';
import { EMPTY_SCHEMA, parsePhenotypeSchema } from '../../proto/phenotype-schema.js';
import { blockLayout } from '../../proto/query.js';

const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [
    { name: 'sex', type: 'categorical', values: ['female', 'male'] },
    // Stored values are lower edges: -10, 0, 40, 60 (120 is only an upper bound).
    { name: 'age', type: 'integer', bins: [-10, 0, 40, 60, 120] },
  ],
});
const AGES = [-10, 0, 40, 60];
const CLIP = 3;
const GENES = 3;

interface Person {
  readonly term: number;
  readonly sex: 'female' | 'male';
  readonly age: number;
  /** One value per gene, before clipping. */
  readonly y: readonly number[];
}

let seed = 11;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

const columns = designColumns(schema, ['sex', 'age'], 'group');
const P = columns.length;

/** Slot-order sums of one block (n, X'X triangle, per gene X'y and y'y) over people, y clipped to [-clip, clip]. */
function modelSums(people: readonly Person[], clip: number, genes: number): bigint[] {
  const out = new Array<bigint>(deSumCount(P, genes)).fill(0n);
  for (const person of people) {
    const row = designRow(columns, person.term, (c) => (c === 'sex' ? person.sex : person.age))!;
    const x = Array.from(row, (v) => BigInt(quantize(v)));
    out[0]! += 1n;
    for (let i = 0; i < P; i++) for (let j = i; j < P; j++) out[1 + triangleIndex(i, j, P)]! += x[i]! * x[j]!;
    for (let g = 0; g < genes; g++) {
      const y = BigInt(quantize(Math.min(clip, Math.max(-clip, person.y[g]!))));
      const o = 1 + triangleSize(P) + g * (P + 1);
      for (let j = 0; j < P; j++) out[o + j]! += x[j]! * y;
      out[o + P]! += y * y;
    }
  }
  return out;
}

const randomPerson = (termValues: readonly number[]): Person => ({
  term: termValues[Math.floor(rnd() * termValues.length)]!,
  sex: rnd() < 0.5 ? 'female' : 'male',
  age: AGES[Math.floor(rnd() * AGES.length)]!,
  y: Array.from({ length: GENES }, () => (rnd() - 0.5) * 4 * CLIP),
});

/** Every extreme person: each term value, sex and age, with y all at +big, all at -big, or alternating (clipped to +-CLIP). */
function extremes(termValues: readonly number[]): Person[] {
  const out: Person[] = [];
  for (const term of termValues) for (const sex of ['female', 'male'] as const) for (const age of AGES) {
    for (const y of [Array(GENES).fill(10 * CLIP), Array(GENES).fill(-10 * CLIP), Array.from({ length: GENES }, (_, g) => (g % 2 ? 1 : -1) * 10 * CLIP)]) out.push({ term, sex, age, y });
  }
  return out;
}

interface Worst { readonly exact: bigint[]; readonly l1: number; readonly l2: number }

/**
 * For each neighbour (cohort plus one extreme, cohort minus one member):
 * |change| of each exact sum <= its family's delta, |change| of each
 * released integer <= its family's sensitivity; returns the largest exact
 * change per family and the largest released L1, L2.
 */
function bruteForce<T>(sums: (people: readonly T[]) => bigint[], cohort: readonly T[], candidates: readonly T[], families: readonly DpSumFamily[], familyOf: (i: number) => number): Worst {
  const base = sums(cohort);
  const neighbours = [...candidates.map((c) => [...cohort, c]), ...cohort.map((_, k) => cohort.filter((__, j) => j !== k))];
  const exact = families.map(() => 0n);
  let l1 = 0;
  let l2 = 0;
  const bad: string[] = [];
  for (const people of neighbours) {
    const s = sums(people);
    let n1 = 0;
    let n2 = 0;
    s.forEach((v, i) => {
      const f = familyOf(i);
      const fam = families[f]!;
      const d = v > base[i]! ? v - base[i]! : base[i]! - v;
      if (d > exact[f]!) exact[f] = d;
      if (d > fam.delta && bad.length < 5) bad.push(`sum ${i} (${fam.name}): exact change ${d} > ${fam.delta}`);
      const r = Math.abs(Number(releaseSum(v, fam.shift) - releaseSum(base[i]!, fam.shift)));
      if (r > fam.sensitivity && bad.length < 5) bad.push(`sum ${i} (${fam.name}): released change ${r} > ${fam.sensitivity}`);
      n1 += r;
      n2 += r * r;
    });
    l1 = Math.max(l1, n1);
    l2 = Math.max(l2, Math.sqrt(n2));
  }
  expect(bad).toEqual([]);
  return { exact, l1, l2 };
}

describe('the released units', () => {
  it('round half up, negatives too, and shift left exactly', () => {
    expect([-3n, -2n, -1n, 1n, 2n, 3n].map((v) => releaseSum(v, 1))).toEqual([-1n, -1n, 0n, 1n, 1n, 2n]);
    expect(releaseSum(-5n, -3)).toBe(-40n);
  });

  it('a family\'s shift puts one person\'s change in (2^7, 2^8] released units, rounding included', () => {
    for (const delta of [1n, 2n, 3n, 255n, 256n, 257n, 2n ** 56n, 3n ** 40n]) {
      const f = dpFamily({ name: 'x', delta, fractionBits: 48, count: 1 });
      expect(f.sensitivity).toBeLessThanOrEqual(256);
      expect(f.sensitivity).toBeGreaterThan(128);
      // Exact when delta is a power of two at or above 2^8, or the sum is multiplied.
      if (f.shift <= 0) expect(BigInt(f.sensitivity)).toBe(delta << BigInt(-f.shift));
    }
    expect(dpFamily({ name: 'sites', delta: 0n, fractionBits: 0, count: 1 }).sensitivity).toBe(0);
  });
});

describe('sensitivity by brute force (add or remove one person; every sum, released and exact)', () => {
  it('differential expression: ~ group + sex + age (edges -10..60), 3 genes, clip 3: every change within its family\'s bound, the bounds reached, L1 and L2 within the declared norms', () => {
    const cohort = Array.from({ length: 12 }, () => randomPerson([0, 1]));
    const params = expressionDe.parse({ kind: 'expression-de', groupA: "sex = 'female'", groupB: "sex = 'male'", covariates: ['sex', 'age'], values: 'log', meanLibSize: 0, genes: ['A', 'B', 'C'], clip: CLIP });
    const families = deFamilies(params, schema);
    // Intercept, group, sexmale: 1; age: its largest |lower edge| (60, not the upper edge 120).
    expect(designBounds(columns, schema, 1)).toEqual([1, 1, 1, 60].map((b) => BigInt(quantize(b))));
    const count = deSumCount(P, GENES);
    const worst = bruteForce((people) => modelSums(people, CLIP, GENES), cohort, extremes([0, 1]), families, modelFamilyOf(P, count));
    // Tight: some neighbour changes each family's sums by exactly its bound.
    expect(worst.exact).toEqual(families.map((f) => f.delta));
    const declared = expressionDe.sensitivity(params, blockLayout([], 1, count, 4096), schema);
    expect(worst.l1).toBeLessThanOrEqual(declared.l1);
    expect(worst.l2).toBeLessThanOrEqual(declared.l2);
    // The declared norms are those of one worst-case person (every family at its bound at once): within the rounding.
    expect(worst.l2).toBeGreaterThan(0.9 * declared.l2);
  });

  it('eQTL: ~ dosage + sex + age, 4 variants, a person called at some variants only: every change within its family\'s bound, the bounds reached, L1 and L2 within the declared norms', () => {
    const V = 4;
    const dcols = designColumns(schema, ['sex', 'age'], 'dosage');
    const S = eqtlSumsPerVariant(P);
    interface Carrier extends Person { readonly dosages: readonly number[] }
    const sums = (people: readonly Carrier[]): bigint[] => {
      const out: bigint[] = [];
      for (let v = 0; v < V; v++) {
        // A variant's sums are over the people called there, with their dosage as the term (one gene).
        const called = people.filter((q) => q.dosages[v]! >= 0).map((q) => ({ ...q, term: q.dosages[v]!, y: [q.y[0]!] }));
        out.push(...modelSums(called, CLIP, 1));
      }
      return out;
    };
    const carrier = (p: Person, dosages: number[]): Carrier => ({ ...p, dosages });
    const cohort = Array.from({ length: 10 }, () => carrier(randomPerson([0]), Array.from({ length: V }, () => Math.floor(rnd() * 4) - 1)));
    const candidates = extremes([0]).flatMap((p) => [carrier(p, [2, 2, 2, 2]), carrier(p, [0, 1, 2, -1]), carrier(p, [-1, -1, -1, -1])]);
    const params = expressionEqtl.parse({ kind: 'expression-eqtl', gene: 'G', cohort: '', covariates: ['sex', 'age'], values: 'log', meanLibSize: 0, variantCount: V, variantsSha256: '0'.repeat(64), region: '1:1-1000', clip: CLIP });
    const families = eqtlFamilies(params, schema);
    expect(dcols.map((c) => c.name)).toEqual(['(Intercept)', 'dosage', 'sexmale', 'age']);
    const worst = bruteForce(sums, cohort, candidates, families, modelFamilyOf(P, S));
    expect(worst.exact).toEqual(families.map((f) => f.delta));
    const declared = expressionEqtl.sensitivity(params, blockLayout([], V, S, 4096), schema);
    expect(worst.l1).toBeLessThanOrEqual(declared.l1);
    expect(worst.l2).toBeLessThanOrEqual(declared.l2);
    expect(worst.l2).toBeGreaterThan(0.9 * declared.l2);
  });

  it('the scale round: n and the library sizes (clipped at 10^8 with DP) within their bounds, the site counts unchanged; the bounds reached', () => {
    interface Sample { readonly lib: number }
    const sums = (people: readonly Sample[]): bigint[] => [BigInt(people.length), people.reduce((s, q) => s + BigInt(quantize(Math.min(q.lib, LIB_SIZE_CLIP))), 0n), 1n, 0n];
    const cohort = Array.from({ length: 8 }, () => ({ lib: Math.round(rnd() * 3e7) }));
    const families = scaleFamilies();
    const worst = bruteForce<Sample>(sums, cohort, [{ lib: 0 }, { lib: 5e7 }, { lib: 4e8 }], families, (i) => i);
    expect(worst.exact).toEqual(families.map((f) => f.delta));
    expect(worst.l2).toBeLessThanOrEqual(expressionScale.sensitivity(expressionScale.parse({ kind: 'expression-scale', groupA: 'a', groupB: 'b', covariates: [] }), blockLayout([], 1, 4, 4096), EMPTY_SCHEMA).l2);
  });
});

describe('the noise this buys', () => {
  it('60,000 genes, ~ group, the default clip 16, epsilon 1: mu about 2^37, inside the sampler\'s exact range (2^50)', () => {
    const fams = modelFamilies(designBounds(designColumns(EMPTY_SCHEMA, [], 'group'), EMPTY_SCHEMA, 1), DEFAULT_EXPR_CLIP, 60_000, 1);
    expect(fams.reduce((s, f) => s + f.count, 0)).toBe(1 + 3 + 3 * 60_000);
    const mu = skellamMu({ epsilon: 1, norms: familiesSensitivity(fams) });
    expect(Math.log2(mu)).toBeGreaterThan(36);
    expect(Math.log2(mu)).toBeLessThan(38);
  });
});
