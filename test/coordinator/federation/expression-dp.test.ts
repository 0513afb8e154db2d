/**
 * The expression kinds with DP on (proto/expression-dp.ts), over a real
 * consortium: 4 sites with disjoint 1000 Genomes samples (real genotypes)
 * and a synthetic count matrix, DP on at every node (epsilon 10 per round:
 * the default 1 leaves a 120-sample network's n with a noise sd of ~50
 * people, so the answer checks here would be a coin toss), the coordinator
 * signing the same epsilon. Differential expression and eQTL answer from
 * the noisy sums; the released sums differ from the exact ones (computed
 * here from the sites' data, y clipped) by Skellam noise of the variance
 * the answer states; and every query spends the epsilon of both its
 * counted rounds, a query the budget cannot finish being refused before
 * any of it is answered.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetExpression } from '../../../coordinator/demo/synthetic-expression-presets.js';
import { DEFAULT_VCF } from '../../../coordinator/demo/synthetic-expression-genotypes.js';
import type { SyntheticExpression } from '../../../coordinator/demo/synthetic-expression.js';
import type { Federation } from '../../../coordinator/federation/types.js';
import type { CoordinatorKind } from '../../../coordinator/kinds/kind.js';
import { decodeLimbs, EXPR_LIMBS, logCpm, quantize } from '../../../proto/expression.js';
import { modelFamilyOf, releaseSum } from '../../../proto/expression-dp.js';
import { deSumCount } from '../../../proto/expression-design.js';
import { deFamilies, expressionDe, type ExpressionDeParams } from '../../../proto/kinds/expression-de.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { assignSites, writeSiteFiles } from '../../bench/synthetic-expression-files.js';
import { startConsortium, type Consortium } from './consortium.js';

const EPS = 10;
const K = 5;
const SITES = 4;
const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [
    { name: 'group', type: 'categorical', values: ['A', 'B'] },
    { name: 'sex', type: 'categorical', values: ['female', 'male'] },
  ],
});
const NOTHING = { policy: { k: 5, smallCounts: 'suppress' as const, roundTo: 1 }, rowsAffected: 0, rules: [] };

/** The sums round alone, its decrypted totals returned as they are (what the key holder reads). */
const rawDe: CoordinatorKind<{ querier: string; params: ExpressionDeParams }, { totals: Float64Array; disclosure: typeof NOTHING }> = {
  spec: expressionDe,
  plan: () => ({}),
  params: (req) => req.params,
  empty: () => { throw new Error('no empty answer'); },
  answer: (totals) => ({ totals: Float64Array.from(totals), disclosure: NOTHING }),
};

describe('expression answers with DP on (4 sites, 120 1000G samples, epsilon 10 per round)', () => {
  let dir = '';
  let c: Consortium;
  let fed: Federation;
  let data: SyntheticExpression;
  let siteColumns: number[][] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-expr-dp-'));
    data = presetExpression('small', { genes: 300 });
    const assignment = assignSites(data.samples, SITES, 'random', 7);
    const folders = writeSiteFiles(dir, data, assignment, { vcf: DEFAULT_VCF });
    siteColumns = Array.from({ length: SITES }, (_, i) => data.samples.flatMap((s, j) => (assignment.get(s) === i ? [j] : [])));
    const phenotypes: Record<string, string> = {};
    const expression: Record<string, { path: string }> = {};
    const vcfs: Record<string, string[]> = {};
    for (const [i, folder] of folders.entries()) {
      const site = `s${i}`;
      phenotypes[site] = join(folder, 'pheno.tsv');
      await writeFile(phenotypes[site], ['sample\tgroup\tsex', ...siteColumns[i]!.map((j) => `${data.samples[j]}\t${data.phenotypes[j]!.group}\t${data.phenotypes[j]!.sex}`)].join('\n') + '\n');
      expression[site] = { path: join(folder, 'expression.tsv') };
      vcfs[site] = [join(folder, 'genotypes.vcf.gz')];
    }
    c = await startConsortium({
      sites: Object.keys(vcfs), vcfs, schema, phenotypes, expression, minCohortSize: K,
      // Each researcher may spend 5 rounds' epsilon (the budget test); the coordinator's total is large.
      privacy: { dp: { enabled: true, epsilonPerQuery: EPS }, totalEpsilon: 10_000, perResearcherEpsilon: 5 * EPS, differencingK: K },
    });
    fed = await c.federationWith({ dpEpsilon: EPS });
  }, 240_000);

  afterAll(async () => {
    await fed?.close();
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const GENES = 20;

  it('with DP on, differential expression answers from the noisy sums: every gene has a row or is listed as not fitted, and the answer states the clip, the epsilon per round and the noise sd of each family of sums', async () => {
    const genes = [...data.genes.map((g) => g.id)].sort().slice(0, GENES);
    const a = await fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'", genes });
    expect(a.dp).not.toBeNull();
    const dp = a.dp!;
    expect(dp.clip).toBe(16);
    expect(dp.epsilonPerRound).toBe(EPS);
    expect(a.noise!.mu).toBeGreaterThan(0);
    // Every family of the two rounds, and noise proportional to what one person can change: y'y (16^2) is 16 x X'y[0] (16 x 1), 256 x X'X (1 x 1).
    const sd = new Map(dp.sums.map((s) => [s.sum, s.sd]));
    expect([...sd.keys()]).toEqual(['scale n', 'scale lib_size', 'n', "X'X[0,0]", "X'X[0,1]", "X'X[1,1]", "X'y[0]", "X'y[1]", "y'y"]);
    expect(sd.get("y'y")! / sd.get("X'y[0]")!).toBeCloseTo(16, 9);
    expect(sd.get("y'y")! / sd.get("X'X[1,1]")!).toBeCloseTo(256, 9);
    // The sd in released units is the one the headers signed: sqrt(2 mu).
    expect(sd.get('n')! * 256).toBeCloseTo(Math.sqrt(2 * a.noise!.mu), 6);
    expect([...a.rows.map((r) => r.gene), ...dp.genesNotFitted].sort()).toEqual(genes);
    for (const r of a.rows) expect([r.logfc, r.t, r.p, r.adj_p].every(Number.isFinite)).toBe(true);
    // The noisy n is a whole number within 6 sd of the 120 analysed samples.
    expect(Number.isInteger(a.n)).toBe(true);
    expect(Math.abs(a.n - 120)).toBeLessThan(6 * sd.get('n')!);
  }, 120_000);

  it('the released sums differ from the exact ones (computed here from the sites\' counts, y clipped to [-4, 4]) by noise of mean 0 and variance 2 mu (every sum of a 300-gene query, 5-sigma tolerances); the unclipped sums do not fit', async () => {
    const clip = 4;
    const meanLibSize = 2e7;
    const genes = data.genes.map((g, i) => ({ id: g.id, i })).sort((x, y) => (x.id < y.id ? -1 : 1));
    const params = expressionDe.parse({ kind: 'expression-de', groupA: "group = 'A'", groupB: "group = 'B'", covariates: [], values: 'counts', meanLibSize, genes: genes.map((g) => g.id), clip });
    const raw = await fed.run(rawDe, { querier: 'carol', params });
    const mu = raw.noise!.mu;
    const families = deFamilies(params, schema);
    const count = deSumCount(2, genes.length);
    const familyOf = modelFamilyOf(2, count);
    // What each site sums, exactly (integers at 2^-48), then rounds to its families' units.
    const S = data.samples.length;
    const expected = (withClip: boolean): bigint[] => {
      const total = new Array<bigint>(count).fill(0n);
      for (const cols of siteColumns) {
        const lib = cols.map((j) => data.genes.reduce((s, _, g) => s + data.matrix[g * S + j]!, 0));
        const x = cols.map((j) => BigInt(quantize(data.phenotypes[j]!.group === 'A' ? 1 : 0)));
        const one = BigInt(quantize(1));
        const site = new Array<bigint>(count).fill(0n);
        site[0] = BigInt(cols.length);
        site[1] = one * one * BigInt(cols.length);
        site[2] = x.reduce((s, v) => s + one * v, 0n);
        site[3] = x.reduce((s, v) => s + v * v, 0n);
        genes.forEach((g, k) => {
          const o = 4 + 3 * k;
          cols.forEach((j, t) => {
            const v = logCpm(data.matrix[g.i * S + j]!, lib[t]!, meanLibSize);
            const y = BigInt(quantize(withClip ? Math.min(clip, Math.max(-clip, v)) : v));
            site[o]! += one * y;
            site[o + 1]! += x[t]! * y;
            site[o + 2]! += y * y;
          });
        });
        site.forEach((v, i) => { total[i]! += releaseSum(v, families[familyOf(i)]!.shift); });
      }
      return total;
    };
    const moments = (want: bigint[]): { mean: number; variance: number } => {
      const noise = want.map((w, i) => Number(decodeLimbs(raw.totals, i * EXPR_LIMBS) - w));
      const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
      return { mean, variance: noise.reduce((s, v) => s + (v - mean) ** 2, 0) / (noise.length - 1) };
    };
    const clipped = moments(expected(true));
    const N = count;
    expect(N).toBe(904);
    expect(Math.abs(clipped.mean)).toBeLessThan(5 * Math.sqrt((2 * mu) / N));
    expect(Math.abs(clipped.variance / (2 * mu) - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    // Had the sites not clipped, the y'y of every expressed gene would be off by far more than the noise.
    expect(moments(expected(false)).variance / (2 * mu)).toBeGreaterThan(100);
  }, 120_000);

  it('with DP on, an eQTL query answers: every variant has statistics, a noise note or a withheld note; n is within the noise of the 120 samples and every allele frequency is in [0, 1]', async () => {
    const t = data.truth.find((x) => x.eqtlVariant !== '')!;
    const g = data.genes.find((x) => x.id === t.gene)!;
    const a = await fed.eqtl({ querier: 'dave', gene: g.id, chrom: g.chrom, start: g.start, end: g.end, window: 1_000_000, covariates: ['sex'] });
    expect(a.dp).not.toBeNull();
    expect(a.dp!.clip).toBe(16);
    expect(a.rows.length).toBeGreaterThan(0);
    // Some variants pass the nodes' k rules (most are withheld or thinned, as with DP off: eqtl.test.ts).
    expect(a.rows.some((r) => r.note !== 'withheld')).toBe(true);
    const sdN = a.dp!.sums.find((s) => s.sum === 'scale n')!.sd;
    expect(Math.abs(a.n - 120)).toBeLessThan(6 * sdN);
    for (const r of a.rows) {
      if (r.note === 'withheld') continue;
      expect(r.af === null || (r.af >= 0 && r.af <= 1)).toBe(true);
      if (r.note === 'noise') expect(r.slope).toBeNull();
      else expect([r.slope, r.se, r.t, r.p].every((v) => v !== null && Number.isFinite(v))).toBe(true);
    }
  }, 120_000);

  it('each expression query spends epsilon at every node in both counted rounds (2 x 10); a query the budget cannot finish is refused at its scale round, before any answer', async () => {
    const genes = [...data.genes.map((x) => x.id)].sort().slice(0, GENES);
    const de = () => fed.differentialExpression({ querier: 'bob', groupA: "group = 'A'", groupB: "group = 'B'", genes });
    // bob may spend 50: two queries (40), then 10 left.
    await de();
    await de();
    await expect(de()).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/GENOFED_BUDGET_EXHAUSTED/) });
    // The refusal came before the sums round: the 10 left still buy one round alone, and nothing more.
    const params = expressionDe.parse({ kind: 'expression-de', groupA: "group = 'A'", groupB: "group = 'B'", covariates: [], values: 'counts', meanLibSize: 2e7, genes, clip: 16 });
    await fed.run(rawDe, { querier: 'bob', params });
    await expect(fed.run(rawDe, { querier: 'bob', params })).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/GENOFED_BUDGET_EXHAUSTED/) });
  }, 180_000);
});
