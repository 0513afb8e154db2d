/**
 * Case-control association over the network (the `association` kind),
 * 3 in-process sites holding disjoint thirds of the 1000 Genomes chr1
 * samples (every record kept at every site, as PLINK sees the pooled file),
 * cases EUR and controls EAS from the panel schema. Oracles: PLINK 1.9 on
 * the pooled (unsplit) VCF (`--assoc --ci 0.95`, `--assoc fisher`,
 * `--model` TREND), every variant PLINK reports, to the 4 digits it prints;
 * and R (`chisq.test(correct = FALSE)`, `fisher.test`, `prop.trend.test`,
 * Woolf's CI) on the network tables, 1e-9 relative.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Federation, QueryOutcome } from '../../../coordinator/federation/types.js';
import { association, type AssociationBody, type AssociationRow } from '../../../coordinator/kinds/association.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { has } from '../../tool-available.js';
import { agreesWithPrinted, plinkReference, type PlinkReference } from '../stats/plink-reference.js';
import { close, HAS_R, parseR, runR } from '../stats/r-oracle.js';
import { sh } from './bcftools-reference.js';
import { startConsortium, type Consortium } from './consortium.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];
const TOOLS = has('bcftools') && has('plink1.9');
let compared = 0;

describe('tools for the association oracles', () => {
  it('bcftools, plink1.9 and Rscript are present in CI (guard against silently skipped comparisons)', () => {
    if (process.env.CI) expect(TOOLS && HAS_R).toBe(true);
    else expect(typeof TOOLS).toBe('boolean');
  });
});

describe.skipIf(!TOOLS)('case-control association over 3 sites (EUR cases, EAS controls)', () => {
  let c: Consortium;
  let exact: Federation;
  let plink: PlinkReference;
  let answer: AssociationBody & QueryOutcome;
  const byKey = new Map<string, AssociationRow>();

  beforeAll(async () => {
    const work = await mkdtemp(join(tmpdir(), 'genofed-assoc-'));
    const samples = sh(`bcftools query -l '${VCF}'`).split('\n').filter(Boolean);
    const third = Math.ceil(samples.length / 3);
    const shares = SITES.map((s, i) => {
      const list = join(work, `${s}.samples`);
      writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
      const out = join(work, `${s}.vcf.gz`);
      // Every record at every site: a site lacking one would count its samples as missing, PLINK on the pooled file as 0/0.
      sh(`bcftools view --no-version -S '${list}' -Oz -o '${out}' '${VCF}'`);
      return out;
    });
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    c = await startConsortium({ sites: SITES, vcfs: Object.fromEntries(SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(SITES.map((s) => [s, PANEL])), schema });
    // Statistics compared exactly with disclosure control off (k = 1); the default policy is checked below.
    exact = await c.federationWith({ disclosure: { k: 1 } });
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const inVcf = new Set(samples);
    const group = (sp: string): string[] => panel.filter((p) => p[2] === sp && inVcf.has(p[0]!)).map((p) => p[0]!);
    plink = await plinkReference({ vcf: VCF, cases: group('EUR'), controls: group('EAS') });
    answer = await exact.run(association, { cases: "super_pop = 'EUR'", controls: "super_pop = 'EAS'", region: '1', querier: 'test' });
    for (const r of answer.rows) byKey.set(`${r.chrom}:${r.pos}:${r.ref}:${r.alt}`, r);
  }, 180_000);

  afterAll(async () => {
    await c?.close();
  });

  it('every variant PLINK reports has its allele counts, chi-square, p, OR and 95% CI, Fisher p and trend p, to the 4 digits PLINK prints', () => {
    expect(plink.cases).toBe(503);
    expect(plink.controls).toBe(504);
    expect(plink.variants.size).toBeGreaterThan(1000);
    for (const [key, v] of plink.variants) {
      const r = byKey.get(key);
      expect(r, key).toBeDefined();
      expect([r!.ac_cases, r!.an_cases, r!.ac_controls, r!.an_controls], key).toEqual([v.alleles.caseA1, v.alleles.caseA1 + v.alleles.caseA2, v.alleles.controlA1, v.alleles.controlA1 + v.alleles.controlA2]);
      // PLINK's inf/nan (a zero cell) travel as null in JSON.
      const printed = (text: string, ours: number | null): boolean => (/^(inf|nan|-inf)$/.test(text) ? ours === null : agreesWithPrinted(ours, text));
      expect(printed(v.assoc.chisq, r!.chisq), `${key} chisq`).toBe(true);
      expect(printed(v.assoc.p, r!.p), `${key} p`).toBe(true);
      expect(printed(v.assoc.or, r!.or), `${key} or`).toBe(true);
      expect(printed(v.assoc.l95, r!.or_l95), `${key} l95`).toBe(true);
      expect(printed(v.assoc.u95, r!.or_u95), `${key} u95`).toBe(true);
      expect(printed(v.fisher.p, r!.p_fisher), `${key} fisher`).toBe(true);
      expect(printed(v.trend.p, r!.p_trend), `${key} trend`).toBe(true);
      compared += 1;
    }
    // EUR vs EAS is a positive control: many variants differ strongly.
    expect(answer.rows.filter((r) => r.p !== null && r.p < 1e-10).length).toBeGreaterThan(50);
    // Rows are sorted by p, rows without p last.
    const ps = answer.rows.map((r) => r.p);
    const firstNull = ps.indexOf(null);
    const withP = (firstNull < 0 ? ps : ps.slice(0, firstNull)) as number[];
    expect(withP).toEqual([...withP].sort((a, b) => a - b));
    if (firstNull >= 0) expect(ps.slice(firstNull).every((p) => p === null)).toBe(true);
  });

  it.skipIf(!HAS_R)('every statistic equals R on the same network tables to 1e-9 relative', () => {
    const rows = answer.rows.filter((r) => r.p !== null && r.p_trend !== null).slice(0, 400);
    expect(rows.length).toBeGreaterThan(200);
    // The genotype tables come from PLINK's counts of the same variant (equal to ours, checked above for alleles).
    const input = rows.map((r) => {
      const v = plink.variants.get(`${r.chrom}:${r.pos}:${r.ref}:${r.alt}`);
      if (!v) return null;
      const a = v.alleles;
      const g = v.genotypes;
      return [a.caseA1, a.caseA2, a.controlA1, a.controlA2, g.cases.homRef, g.cases.het, g.cases.homAlt, g.controls.homRef, g.controls.het, g.controls.homAlt].join('\t');
    });
    const kept = rows.filter((_, i) => input[i] !== null);
    const out = runR(`
x <- read.table(commandArgs(TRUE)[1], sep = "\\t")
f <- function(v) format(v, digits = 17)
for (i in seq_len(nrow(x))) {
  m <- matrix(as.numeric(x[i, 1:4]), 2, byrow = TRUE)
  cs <- suppressWarnings(chisq.test(m, correct = FALSE))
  fe <- fisher.test(m)$p.value
  or <- (m[1,1] * m[2,2]) / (m[1,2] * m[2,1]); se <- sqrt(sum(1 / m)); z <- qnorm(0.975)
  cases <- as.numeric(x[i, 5:7]); controls <- as.numeric(x[i, 8:10])
  tr <- prop.trend.test(cases, cases + controls, score = c(0, 1, 2))
  cat(f(cs$statistic), f(cs$p.value), f(fe), f(or), f(exp(log(or) - z * se)), f(exp(log(or) + z * se)), f(tr$p.value), sep = "\\t"); cat("\\n")
}`, input.filter((l): l is string => l !== null).join('\n') + '\n');
    expect(out).toHaveLength(kept.length);
    kept.forEach((r, i) => {
      const [chisq, p, fisher, or, l95, u95, trend] = out[i]!.map(parseR);
      const key = `${r.chrom}:${r.pos}`;
      expect(close(r.chisq!, chisq!, 1e-9, 1e-12), `${key} chisq`).toBe(true);
      expect(close(r.p!, p!, 1e-9), `${key} p`).toBe(true);
      expect(close(r.p_fisher!, fisher!, 1e-9), `${key} fisher`).toBe(true);
      if (r.or !== null) expect(close(r.or, or!, 1e-9), `${key} or`).toBe(true);
      if (r.or_l95 !== null) expect(close(r.or_l95, l95!, 1e-9), `${key} l95`).toBe(true);
      if (r.or_u95 !== null) expect(close(r.or_u95, u95!, 1e-9), `${key} u95`).toBe(true);
      expect(close(r.p_trend!, trend!, 1e-9), `${key} trend`).toBe(true);
    });
    compared += kept.length;
  });

  it('under the default policy (k = 5) a statistic is withheld when a cell of its table is 1..4, and the note counts those rows', async () => {
    const g = await c.federationWith();
    const a = await g.run(association, { cases: "super_pop = 'EUR'", controls: "super_pop = 'EAS'", region: '1:10000-60000', querier: 'test' });
    expect(a.rows.length).toBeGreaterThan(10);
    let withheld = 0;
    for (const r of a.rows) {
      const exactRow = byKey.get(`${r.chrom}:${r.pos}:${r.ref}:${r.alt}`)!;
      const cells = [exactRow.ac_cases, Number(exactRow.an_cases) - Number(exactRow.ac_cases), exactRow.ac_controls, Number(exactRow.an_controls) - Number(exactRow.ac_controls)].map(Number);
      if (cells.some((x) => x > 0 && x < 5)) {
        expect(r.p, `${r.pos}`).toBeNull();
        expect(r.p_fisher).toBeNull();
        withheld += 1;
      } else {
        expect(r.p).toBe(exactRow.p);
      }
    }
    expect(withheld).toBeGreaterThan(0);
    expect(a.disclosure.rules.find((x) => x.rule === 'association-cell-below-k')!.rows).toBeGreaterThanOrEqual(withheld);
  });

  it('overlapping cases and controls are refused by the nodes (they must be disjoint); the same expression twice before any site is asked', async () => {
    await expect(exact.run(association, { cases: "super_pop = 'EUR'", controls: "super_pop = 'EUR' or super_pop = 'EAS'", region: '1:10000-20000', querier: 'test' }))
      .rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringContaining('GENOFED_QUERY_MALFORMED') });
    await expect(exact.run(association, { cases: "super_pop = 'EUR'", controls: "super_pop = 'EUR'", region: '1:10000-20000', querier: 'test' }))
      .rejects.toMatchObject({ code: 'GENOFED_QUERY_INVALID' });
    await expect(exact.run(association, { cases: "super_pop = 'EUX'", controls: "super_pop = 'EAS'", region: '1:10000-20000', querier: 'test' }))
      .rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', httpStatus: 400 });
  });
});

describe('association guard', () => {
  it('in CI the PLINK and R comparisons really ran', () => {
    if (process.env.CI) expect(compared).toBeGreaterThan(1000);
    else expect(compared).toBeGreaterThanOrEqual(0);
  });
});
