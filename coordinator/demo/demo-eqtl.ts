/**
 * The demo's cis eQTL (issue 12): the planted cis gene with the strongest
 * effect (synthetic-expression.ts plants it on a real variant of the
 * demo's first VCF), asked through the REST API as `genofed query eqtl`
 * does, gender as covariate, 1 Mb window. The demo prints how many
 * variants were tested and withheld, the top variants, where the planted
 * variant ranks, and checks every released row against the same model
 * fitted on plaintext sums of the unsplit matrix and VCFs (same integers,
 * same code: equal to the last bit).
 */
import type { ApiClient } from '../client/api-client.js';
import { EQTL_TSV_HEADER, eqtlTsvLine } from '../client/eqtl-command.js';
import type { EqtlAnswer } from '../federation/eqtl.js';
import { olsCoefficientTest } from '../stats/ols.js';
import { EXPR_FRACTION_BITS, logCpm, quantize } from '../../proto/expression.js';
import { parseRegions, regionsTest } from '../../proto/region.js';
import { tableLines } from './demo-table.js';
import type { SyntheticExpression } from './synthetic-expression.js';
import { vcfLines } from './vcf-lines.js';

export const EQTL_FILE = 'eqtl.tsv';
export const EQTL_WINDOW = 1_000_000;

export interface EqtlSection {
  readonly answer: EqtlAnswer;
  readonly gene: string;
  readonly planted: string;
  readonly beta: number;
  /** 1-based rank of the planted variant among released rows by p; null when it is not released. */
  readonly plantedRank: number | null;
  readonly tested: number;
  readonly withheld: number;
  /** Released rows that differ from the plaintext fit (or could not be checked). */
  readonly mismatches: number;
}

/** The planted cis gene with the largest |beta|, or null when the matrix has none. */
export function demoEqtlGene(data: SyntheticExpression): { gene: string; chrom: string; start: number; end: number; variant: string; beta: number } | null {
  const planted = data.truth.filter((t) => t.eqtlVariant !== '').sort((a, b) => Math.abs(b.eqtlBeta) - Math.abs(a.eqtlBeta) || (a.gene < b.gene ? -1 : 1));
  const t = planted[0];
  if (!t) return null;
  const g = data.genes.find((x) => x.id === t.gene)!;
  return { gene: g.id, chrom: g.chrom, start: g.start, end: g.end, variant: t.eqtlVariant, beta: t.eqtlBeta };
}

export async function queryEqtl(api: ApiClient, guard: <T>(p: Promise<T>) => Promise<T>, data: SyntheticExpression, covariate: string, log: (l: string) => void): Promise<EqtlAnswer | null> {
  const g = demoEqtlGene(data);
  if (!g) return null;
  const answer = await guard(api.post<EqtlAnswer>('/v1/queries/eqtl', { gene: g.gene, chrom: g.chrom, start: g.start, end: g.end, window: EQTL_WINDOW, covariates: [covariate] }));
  log(`demo: cis eQTL of ${g.gene} (${g.chrom}:${g.start}-${g.end} +- ${EQTL_WINDOW / 1e6} Mb, + ${covariate}): ${answer.rows.length} variants, n = ${answer.n}, from ${answer.sites.responding.join(', ')} (query ${answer.queryId})`);
  return answer;
}

/** Per-ALT dosages (-1 not called) of every record of the VCFs inside `region`, by CHR:POS:REF:ALT, in `ids` order. */
async function regionDosages(vcfs: readonly string[], region: string, ids: readonly string[]): Promise<Map<string, Int8Array>> {
  const inside = regionsTest(parseRegions(region));
  const out = new Map<string, Int8Array>();
  for (const vcf of vcfs) {
    let column: Int32Array | null = null;
    for await (const line of vcfLines(vcf)) {
      if (line.startsWith('##')) continue;
      if (line.startsWith('#')) {
        const names = new Map(line.split('\t').slice(9).map((n, i) => [n, i]));
        column = Int32Array.from(ids, (id) => names.get(id) ?? -1);
        continue;
      }
      const f = line.split('\t');
      if (!column || !inside(f[0]!, Number(f[1]))) continue;
      const alts = f[4]!.split(',');
      const gts = f.slice(9).map((x) => x.split(':')[0]!.split(/[/|]/));
      alts.forEach((alt, a) => {
        const d = Int8Array.from(column!, (c) => {
          const g = c >= 0 ? gts[c] : undefined;
          if (!g || g.includes('.')) return -1;
          return g.filter((x) => x === String(a + 1)).length;
        });
        out.set(`${f[0]}:${f[1]}:${f[3]}:${alt}`, d);
      });
    }
  }
  return out;
}

/**
 * Check every released row against lm(y ~ dosage + gender) fitted by the
 * same code on sums computed here from the unsplit matrix and VCFs.
 */
export async function checkEqtl(answer: EqtlAnswer, data: SyntheticExpression, vcfs: readonly string[], gender: ReadonlyMap<string, string>, dummyLevel: string): Promise<EqtlSection> {
  const g = demoEqtlGene(data)!;
  const S = data.samples.length;
  const used = data.samples.map((s, j) => ({ s, j })).filter(({ s }) => gender.get(s) === 'male' || gender.get(s) === 'female');
  const lib = used.map(({ j }) => {
    let t = 0;
    for (let r = 0; r < data.genes.length; r++) t += data.matrix[r * S + j]!;
    return t;
  });
  const mean = lib.reduce((a, b) => a + b, 0) / used.length;
  const row = data.genes.findIndex((x) => x.id === g.gene);
  const y = used.map(({ j }, i) => BigInt(quantize(logCpm(data.matrix[row * S + j]!, lib[i]!, mean))));
  const dosages = await regionDosages(vcfs, answer.region, used.map((u) => u.s));
  const Q = BigInt(quantize(1));
  let mismatches = 0;
  for (const r of answer.rows) {
    if (r.note === 'withheld') continue;
    const d = dosages.get(`${r.chrom}:${r.pos}:${r.ref}:${r.alt}`);
    if (!d) { mismatches += 1; continue; }
    const p = 3;
    const xtx = new Array<bigint>(p * p).fill(0n);
    const xty = new Array<bigint>(p).fill(0n);
    let yty = 0n;
    let n = 0;
    used.forEach(({ s }, i) => {
      if (d[i]! < 0) return;
      const x = [Q, BigInt(d[i]!) * Q, gender.get(s) === dummyLevel ? Q : 0n];
      for (let a = 0; a < p; a++) {
        xty[a]! += x[a]! * y[i]!;
        for (let b = 0; b < p; b++) xtx[a * p + b]! += x[a]! * x[b]!;
      }
      yty += y[i]! * y[i]!;
      n += 1;
    });
    const test = olsCoefficientTest({ n, xtx, unit: 2 ** (-2 * EXPR_FRACTION_BITS), xty, yty }, 1);
    const same = test === null ? r.slope === null : r.slope === test.estimate && r.se === test.se && r.t === test.t && r.p === test.p && r.n === n;
    if (!same) mismatches += 1;
  }
  const released = answer.rows.filter((r) => r.p !== null);
  const rank = released.findIndex((r) => `${r.chrom}:${r.pos}:${r.ref}:${r.alt}` === g.variant);
  return {
    answer, gene: g.gene, planted: g.variant, beta: g.beta, plantedRank: rank >= 0 ? rank + 1 : null,
    tested: released.length, withheld: answer.rows.filter((r) => r.note === 'withheld').length, mismatches,
  };
}

export function eqtlTsv(answer: EqtlAnswer): string {
  return `${EQTL_TSV_HEADER}\n${answer.rows.map((r) => `${eqtlTsvLine(r)}\n`).join('')}`;
}

export function printEqtl(x: EqtlSection, log: (l: string) => void, shown = 6): void {
  log(`demo: eQTL: ${x.tested} variants tested, ${x.withheld} withheld by the nodes (a genotype class x gender cell under k, or within k-1 people of another released variant); planted ${x.planted} (${x.beta > 0 ? '+' : ''}${x.beta.toFixed(2)} log2 per ALT copy) ${x.plantedRank === null ? 'withheld (an LD proxy stands in for it)' : `ranks ${x.plantedRank}`}`);
  const top = x.answer.rows.filter((r) => r.p !== null).slice(0, shown);
  const pv = (p: number): string => (p === 0 ? '<1e-308' : p.toExponential(2));
  for (const line of tableLines(['variant', 'AF', 'slope', 'SE', 't', 'P'], top.map((r) => [`${r.chrom}:${r.pos}:${r.ref}:${r.alt}`, r.af!.toFixed(3), r.slope!.toFixed(3), r.se!.toFixed(3), r.t!.toFixed(2), pv(r.p!)]))) log(line);
}
