/**
 * gnomAD-shaped stratified frequencies over 3 sites (real 1000 Genomes
 * chr1 window, samples split by site), under the DEFAULT disclosure policy
 * (k = 5): every released stratum value equals bcftools +fill-tags on that
 * stratum of the unsplit input after the same policy; faf95 equals R's
 * qgamma(0.05, AC) / AN on every released row; grpmax and faf95_max equal
 * a computation in this file from bcftools' per-group totals; a stratum
 * cell of 1..4 people network-wide is withheld whole (absent rows, the
 * disclosure note names it) and its group is no grpmax candidate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAlleleFrequencyPolicy, DEFAULT_DISCLOSURE_POLICY } from '../../../coordinator/disclosure/index.js';
import type { AlleleFrequencyAnswer, Federation } from '../../../coordinator/federation/types.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { close, HAS_R, runR } from '../stats/r-oracle.js';
import { fillTags, has, sh, type RefRow } from './bcftools-reference.js';
import { startConsortium, type Consortium } from './consortium.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];
const REGION = '1:1-60000';

describe('the stratified-frequency oracles are available where they must run', () => {
  it('finds bcftools and Rscript in CI (guard against a silently skipped suite)', () => {
    if (process.env.CI) expect([has('bcftools'), HAS_R]).toEqual([true, true]);
    else expect(typeof HAS_R).toBe('boolean');
  });
});

const key = (r: { chrom: string; pos: number; ref: string; alt: string }): string => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`;

describe.skipIf(!has('bcftools'))('stratified allele frequencies over 3 sites, default disclosure policy', () => {
  let c: Consortium;
  let f: Federation;
  let open: () => Promise<Consortium>;
  let dir: string;
  let merged: string;
  /** sample -> [super_pop, gender, batch, arm] for the samples in the VCF. */
  const people = new Map<string, [string, string, string, string]>();

  /** bcftools on the unsplit merge, restricted to `pred`'s samples (empty map for an empty set). */
  function reference(name: string, pred: (p: [string, string, string, string]) => boolean): Map<string, RefRow> {
    const ids = [...people].filter(([, p]) => pred(p)).map(([s]) => s);
    if (ids.length === 0) return new Map();
    const list = join(dir, `${name}.samples`);
    writeFileSync(list, `${ids.join('\n')}\n`);
    return fillTags(`${merged} | bcftools view --no-version -t '${REGION}' -S '${list}'`);
  }

  /** Every released row of `answer` equals the reference of its cell after the same policy; returns the rows compared. */
  function compareCells(answer: AlleleFrequencyAnswer, columns: readonly string[], pick: (cell: readonly string[], p: [string, string, string, string]) => boolean): number {
    const cells = new Map<string, AlleleFrequencyAnswer['rows'][number][]>();
    for (const r of answer.rows) {
      const label = columns.map((col) => r.strata![col]!).join(',');
      cells.set(label, [...(cells.get(label) ?? []), r]);
    }
    let n = 0;
    for (const [label, rows] of cells) {
      const values = label.split(',');
      const ref = values.every((v) => v === 'all') ? reference('all', () => true) : reference(label.replace(/,/g, '_'), (p) => pick(values, p));
      const expected = applyAlleleFrequencyPolicy(rows.map((r) => ref.get(key(r)) ?? { ac: 0, an: 0, nhomalt: 0 }), DEFAULT_DISCLOSURE_POLICY).rows;
      rows.forEach((r, i) => {
        const e = expected[i]!;
        expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt, af: r.af }, `${label} ${key(r)}`).toEqual({ ac: e.ac, an: e.an, nhomalt: e.nhomalt, af: e.af });
        n += 1;
      });
    }
    return n;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-strata-'));
    const samples = sh(`bcftools query -l '${VCF}'`).split('\n').filter(Boolean);
    // A `batch` column with a rare value: 3 EUR women and 20 AFR men are batch y ((y, female) is a 3-person cell to withhold).
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
    const inVcf = new Set(samples);
    let eur = 0;
    let afr = 0;
    // And an `arm` column (a/b alternating) that 2 people lack: 2 cohort members in no cell of --by arm.
    const lines = ['sample\tpop\tsuper_pop\tgender\tbatch\tarm'];
    for (const [s, pop, sp, gender] of panel) {
      if (!inVcf.has(s!)) continue;
      const arm = people.size < 2 ? 'NA' : people.size % 2 === 0 ? 'a' : 'b';
      let batch = 'x';
      if (sp === 'EUR' && gender === 'female' && eur < 3) { batch = 'y'; eur += 1; }
      if (sp === 'AFR' && gender === 'male' && afr < 20) { batch = 'y'; afr += 1; }
      people.set(s!, [sp!, gender!, batch, arm]);
      lines.push(`${s}\t${pop}\t${sp}\t${gender}\t${batch}\t${arm}`);
    }
    const table = join(dir, 'panel.tsv');
    writeFileSync(table, `${lines.join('\n')}\n`);
    const schemaJson = JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8'));
    schemaJson.columns.push({ name: 'batch', type: 'categorical', values: ['x', 'y'] }, { name: 'arm', type: 'categorical', values: ['a', 'b'] });
    const third = Math.ceil(samples.length / 3);
    const shares = SITES.map((s, i) => {
      const list = join(dir, `${s}.samples`);
      writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
      const out = join(dir, `${s}.vcf.gz`);
      sh(`bcftools view --no-version -S '${list}' --min-ac 1 -Oz -o '${out}' '${VCF}' && bcftools index -t '${out}'`);
      return out;
    });
    merged = `bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')}`;
    open = () => startConsortium({
      sites: SITES, vcfs: Object.fromEntries(SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(SITES.map((s) => [s, table])),
      schema: parsePhenotypeSchema(schemaJson),
    });
    c = await open();
    f = await c.federationWith();
  }, 180_000);

  afterAll(async () => {
    await c?.close();
  });

  it('--by super_pop,gender: the all-sample rows and all 10 cells equal bcftools after the policy; faf95 equals R on every released row; grpmax/faf95_max equal the per-group totals', async () => {
    const answer = await f.alleleFrequency({ region: REGION, by: ['super_pop', 'gender'], querier: 'test' });
    const labels = [...new Set(answer.rows.map((r) => `${r.strata!.super_pop},${r.strata!.gender}`))];
    expect(labels).toEqual(['all,all', ...['AFR', 'AMR', 'EAS', 'EUR', 'SAS'].flatMap((sp) => [`${sp},female`, `${sp},male`])]);
    const compared = compareCells(answer, ['super_pop', 'gender'], (v, p) => p[0] === v[0] && p[1] === v[1]);
    const variants = answer.rows.filter((r) => r.strata!.super_pop === 'all').length;
    expect(variants).toBeGreaterThan(40);
    expect(compared).toBe(11 * variants);
    // The policy acted on some cells (rare variants in a 250-person cell), so the released values are not all numbers.
    expect(answer.rows.some((r) => r.ac === '<5')).toBe(true);

    // faf95: R's exact Poisson bound, 0 for ac <= 1 (gnomAD), null when withheld.
    const numeric = answer.rows.filter((r) => typeof r.ac === 'number' && typeof r.an === 'number' && r.an > 0);
    for (const r of answer.rows) if (!numeric.includes(r)) expect(r.faf95, key(r)).toBeNull();
    if (HAS_R) {
      const out = runR('x <- read.table(commandArgs(TRUE)[1], sep = "\\t"); f <- ifelse(x$V1 <= 1, 0, qgamma(0.05, x$V1) / x$V2); cat(format(f, digits = 17), sep = "\\n")\n', numeric.map((r) => `${r.ac}\t${r.an}`).join('\n') + '\n');
      expect(out.length).toBe(numeric.length);
      numeric.forEach((r, i) => expect(close(r.faf95!, Number(out[i]![0]), 1e-9), `${key(r)} ${r.faf95} vs ${out[i]![0]}`).toBe(true));
    }

    // grpmax over super_pop: every group's cells were released here when its AC and AN are numbers in both gender cells.
    const g = answer.groupMaxima!;
    expect(g.column).toBe('super_pop');
    expect(g.exclude).toEqual(['ami', 'asj', 'fin', 'mid', 'oth', 'remaining']);
    expect(g.rows.map(key)).toEqual(answer.rows.filter((r) => r.strata!.super_pop === 'all').map(key));
    const groups = ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'];
    const perGroup = new Map(groups.map((sp) => [sp, reference(`grp_${sp}`, (p) => p[0] === sp)]));
    const cellOf = new Map(answer.rows.map((r) => [`${r.strata!.super_pop},${r.strata!.gender}\t${key(r)}`, r]));
    let withMax = 0;
    for (const m of g.rows) {
      const eligible = groups.filter((sp) => ['female', 'male'].every((sex) => {
        const r = cellOf.get(`${sp},${sex}\t${key(m)}`);
        return r && typeof r.ac === 'number' && typeof r.an === 'number';
      }));
      let best: { sp: string; af: number } | null = null;
      let bestFaf: { sp: string; faf: number } | null = null;
      for (const sp of eligible) {
        const t = perGroup.get(sp)!.get(key(m)) ?? { ac: 0, an: 0, nhomalt: 0 };
        if (t.ac > 0 && (best === null || t.ac / t.an > best.af)) best = { sp, af: t.ac / t.an };
        // faf95 of the group total, from the same R definition checked above (qgamma via the row's own faf95 is not used here).
        if (t.ac > 1) {
          const faf = perGroupFaf(t.ac, t.an);
          if (bestFaf === null || faf > bestFaf.faf) bestFaf = { sp, faf };
        }
      }
      expect(m.grpmax?.group ?? null, key(m)).toBe(best?.sp ?? null);
      if (best) {
        const t = perGroup.get(best.sp)!.get(key(m))!;
        // nhomalt is the group's total only when both cells released it (a "<5" cell leaves it unknown).
        const homKnown = ['female', 'male'].every((sex) => typeof cellOf.get(`${best!.sp},${sex}\t${key(m)}`)!.nhomalt === 'number');
        expect({ ac: m.grpmax!.ac, an: m.grpmax!.an, nhomalt: m.grpmax!.nhomalt }, key(m)).toEqual({ ac: t.ac, an: t.an, nhomalt: homKnown ? t.nhomalt : null });
        withMax += 1;
      }
      expect(m.faf95_max?.group ?? null, key(m)).toBe(bestFaf?.sp ?? null);
      if (bestFaf) expect(close(m.faf95_max!.faf95, bestFaf.faf, 1e-9)).toBe(true);
    }
    expect(withMax).toBeGreaterThan(20);
  });

  // A fresh network (fresh guards): after the query above, a site holding, say, 1 SAS man would see the
  // batch-y people it holds differ from that 1-person local set by < k, and its local differencing guard refuses.
  describe('withheld cells', () => {
    let c2: Consortium;
    let f2: Federation;
    beforeAll(async () => {
      c2 = await open();
      f2 = await c2.federationWith();
    }, 120_000);
    afterAll(async () => {
      await c2?.close();
    });

  it('--by batch,gender: the 3-person cell (y, female) is withheld, and with it (y, male), so that the all-sample rows minus the released cells cover >= k people; group y is no grpmax candidate; the released cells equal bcftools after the policy', async () => {
    const answer = await f2.alleleFrequency({ region: REGION, by: ['batch', 'gender'], querier: 'test', grpmaxExclude: [] });
    const labels = [...new Set(answer.rows.map((r) => `${r.strata!.batch},${r.strata!.gender}`))];
    expect(labels).toEqual(['all,all', 'x,female', 'x,male']);
    const rule = answer.disclosure!.rules.find((r) => r.rule === 'stratum-below-k');
    expect(rule?.strata).toEqual(['y,female', 'y,male']);
    const variants = answer.rows.filter((r) => r.strata!.batch === 'all').length;
    expect(rule?.rows).toBe(2 * variants);
    const compared = compareCells(answer, ['batch', 'gender'], (v, p) => p[2] === v[0] && p[1] === v[1]);
    expect(compared).toBe(3 * variants);
    expect(answer.groupMaxima!.exclude).toEqual([]);
    const groups = answer.groupMaxima!.rows.map((m) => m.grpmax?.group ?? null);
    expect(groups.filter((g) => g === 'x').length).toBeGreaterThan(20);
    expect(groups.every((g) => g === 'x' || g === null)).toBe(true);
    for (const m of answer.groupMaxima!.rows) expect([m.faf95_max?.group ?? null]).not.toContain('y');
    // Excluding x leaves no candidate at all; an excluded group that is not a value of the column is a typo, refused before any site is asked.
    const none = await f2.alleleFrequency({ region: REGION, by: ['batch', 'gender'], querier: 'test', grpmaxExclude: ['X'] });
    expect(none.groupMaxima!.rows.every((m) => m.grpmax === null && m.faf95_max === null)).toBe(true);
    await expect(f.alleleFrequency({ region: REGION, by: ['batch'], querier: 'test', grpmaxExclude: ['FIN'] })).rejects.toMatchObject({ code: 'GENOFED_QUERY_INVALID' });
  });

  it('attack: the key holder subtracts the released cells from the all-sample rows (exact totals, its own disclosure control off); what it gets is the 23 batch-y people together (>= k), never the 3-person cell, nor the 2 people with no arm', async () => {
    const exact = await c2.federationWith({ disclosure: { k: 1 } });
    const byBatch = await exact.alleleFrequency({ region: REGION, by: ['batch', 'gender'], querier: 'attacker' });
    const ys = reference('all_y', (p) => p[2] === 'y');
    const yFemale = reference('y_female', (p) => p[2] === 'y' && p[1] === 'female');
    let informative = 0;
    const difference = (answer: AlleleFrequencyAnswer, cols: readonly string[]): Map<string, { ac: number; an: number }> => {
      const out = new Map<string, { ac: number; an: number }>();
      for (const r of answer.rows) {
        const sign = cols.every((col) => r.strata![col] === 'all') ? 1 : -1;
        const d = out.get(key(r)) ?? { ac: 0, an: 0 };
        out.set(key(r), { ac: d.ac + sign * (r.ac as number), an: d.an + sign * (r.an as number) });
      }
      return out;
    };
    for (const [k, d] of difference(byBatch, ['batch', 'gender'])) {
      const y = ys.get(k) ?? { ac: 0, an: 0, nhomalt: 0 };
      expect(d, k).toEqual({ ac: y.ac, an: y.an });
      const f3 = yFemale.get(k) ?? { ac: 0, an: 0, nhomalt: 0 };
      if (f3.ac !== y.ac) informative += 1;
    }
    expect(informative).toBeGreaterThan(5); // the 20 men's alleles really blur the 3 women's

    // --by arm: 2 people have no arm; the nodes withhold the smaller arm with them.
    const byArm = await exact.alleleFrequency({ region: REGION, by: ['arm'], querier: 'attacker' });
    const released = [...new Set(byArm.rows.map((r) => r.strata!.arm))];
    expect(released).toHaveLength(2);
    expect(['a', 'b']).toContain(released[1]);
    const hiddenArm = released[1] === 'a' ? 'b' : 'a';
    expect(byArm.disclosure!.rules.find((r) => r.rule === 'stratum-below-k')?.strata).toEqual([hiddenArm]);
    const mass = reference('arm_mass', (p) => p[3] === 'NA' || p[3] === hiddenArm);
    for (const [k, d] of difference(byArm, ['arm'])) expect(d, k).toEqual({ ac: mass.get(k)?.ac ?? 0, an: mass.get(k)?.an ?? 0 });
    expect([...people.values()].filter((p) => p[3] === 'NA' || p[3] === hiddenArm).length).toBeGreaterThan(1000);
  });
  });
});

/** Exact Poisson lower bound by bisection on the Poisson upper tail (independent of the gamma quantile code under test). */
function perGroupFaf(ac: number, an: number): number {
  // P(X >= ac | lambda) is increasing in lambda; find lambda with P = 0.05.
  const upperTail = (lambda: number): number => {
    // P(X <= ac - 1) summed in log space (exp(-lambda) underflows for lambda > 745).
    const logs: number[] = [-lambda];
    for (let x = 1; x < ac; x++) logs.push(logs[x - 1]! + Math.log(lambda) - Math.log(x));
    const top = Math.max(...logs);
    const cdf = Math.exp(top) * logs.reduce((sum, l) => sum + Math.exp(l - top), 0);
    return 1 - cdf;
  };
  let lo = 0;
  let hi = ac;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(mid) < 0.05) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2 / an;
}
