/**
 * End to end, as deployed: real 1000 Genomes data split across 3 sites,
 * each site a separate `genofed node serve` process with its own store,
 * one `genofed coordinator serve` process, mTLS on loopback, queries over
 * the REST API. Every variant's AC, AN and nhomalt must equal `bcftools
 * +fill-tags` on the UNSPLIT files, and the cohort count must equal a count
 * made straight from the panel file; every row of the allele frequencies by
 * super_pop and every allele table of the two associations (EUR vs EAS,
 * random arms) must equal `+fill-tags -S` per group. Then failures across real processes:
 * a slow node, a node killed mid-query, a node that is down - each a clear
 * error naming the site, never a partial sum and never a rerun over the
 * sites that remain (every roster member must answer).
 * Uses the `test` BFV preset (N=4096) to stay well under 2 minutes on 2 cores.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../coordinator/demo/run-demo.js';
import { startConsortium, type Consortium } from '../../coordinator/demo/consortium.js';
import { withDemoArm } from '../../coordinator/demo/demo-arm.js';
import { comparisonKey, readPhenotypeTable, ReferenceCounts } from '../../coordinator/demo/plaintext-reference.js';
import { vcfLines, vcfSampleIds } from '../../coordinator/demo/vcf-lines.js';
import { demoExpression, matrixText } from '../../coordinator/demo/demo-expression.js';
import { networkInit } from '../../coordinator/network/init.js';
import { bcftoolsCounts, bcftoolsGroupCounts, has } from '../coordinator/demo/bcftools.js';
import { allelicChiSquare, faf95 } from '../../coordinator/stats/index.js';
import type { AlleleFrequencyAnswer } from '../../coordinator/federation/types.js';
import { applyAlleleFrequencyPolicy, applyCohortThreshold, DEFAULT_DISCLOSURE_POLICY } from '../../coordinator/disclosure/index.js';

/**
 * The coordinator releases totals under the default disclosure policy (k = 5,
 * small counts suppressed; the demo's config sets none). Every expected
 * value (bcftools or plaintext) goes through the same policy, so a released
 * "<5" must correspond to a true count in 1..4 and every exact value must
 * equal the independent count.
 */
function released<R extends { ac: number; an: number; nhomalt: number }>(r: R): { ac: number | string; an: number | string; nhomalt: number | string; af: number | null } {
  const x = applyAlleleFrequencyPolicy([r], DEFAULT_DISCLOSURE_POLICY).rows[0]!;
  return { ac: x.ac, an: x.an, nhomalt: x.nhomalt, af: x.af };
}

const FIX = resolve(import.meta.dirname, '../fixtures');
const VCFS = [
  join(FIX, 'vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz'),
  join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz'),
];
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** EUR females among the genotyped samples, straight from the panel's columns (no cohort parser, no store). */
function panelCount(samples: ReadonlySet<string>, superPop: string, gender: string): number {
  return readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'))
    .filter((f) => samples.has(f[0]!) && f[2] === superPop && f[3] === gender).length;
}

let verifiedVariants = 0;

/** Plaintext AC/AN/nhomalt over the share files of some sites (what a partial sum must equal). */
async function sharesReference(c: Consortium, sites: readonly string[]): Promise<ReferenceCounts> {
  const expected = new ReferenceCounts();
  for (const site of sites) {
    for (const f of c.shares[site]!.vcfs) for await (const l of vcfLines(f)) if (l && !l.startsWith('#')) expected.addLine(l);
  }
  return expected;
}

describe.skipIf(!has('bcftools'))('federation end to end: 1000G data split across 3 node processes', () => {
  let dir: string;
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-e2e-'));
    result = await runDemo({ out: join(dir, 'demo'), sites: 3, preset: 'test', log: (l) => lines.push(l) });
    // The whole demo (3 node processes, every analysis incl. eQTL): ~55 s alone on 2 cores, more beside other test files.
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every variant of the unsplit files has the AC, AN and nhomalt of bcftools +fill-tags, and AF = AC/AN', () => {
    const tool = VCFS.flatMap((f) => bcftoolsCounts(f));
    expect(tool.length).toBe(5340);
    const got = new Map(result.rows.map((r) => [comparisonKey(r), r]));
    expect(got.size).toBe(result.rows.length);
    expect(result.rows.length).toBe(tool.length);
    for (const t of tool) {
      const r = got.get(comparisonKey(t));
      expect(r, `${t.chrom}:${t.pos} ${t.ref}>${t.alt}`).toBeDefined();
      const e = released(t);
      expect([r!.ac, r!.an, r!.nhomalt], `${t.chrom}:${t.pos} ${t.ref}>${t.alt}`).toEqual([e.ac, e.an, e.nhomalt]);
      expect(r!.af).toBe(e.af);
      // Exact where released: an unwithheld AC is bcftools' AC, and its AF is AC/AN.
      if (typeof r!.ac === 'number') expect(r!.af).toBe(t.an === 0 ? null : t.ac / t.an);
    }
    verifiedVariants += tool.length;
    // Disclosure control really acted on this data (many 1000G variants are singletons), and the answer says so.
    const withheld = result.rows.filter((r) => typeof r.ac === 'string').length;
    expect(withheld).toBeGreaterThan(100);
    expect(result.rows.filter((r) => typeof r.ac === 'number' && r.ac > 0).length).toBeGreaterThan(100);
    expect(result.siteOutcome).toEqual({ responding: ['hospital-a', 'hospital-b', 'hospital-c'], missing: [] });
  });

  it('the cohort count equals the number of genotyped EUR females in the panel file', () => {
    const samples = new Set(execFileSync('bcftools', ['query', '-l', VCFS[0]!]).toString().trim().split('\n'));
    expect(samples.size).toBe(2504);
    const expected = panelCount(samples, 'EUR', 'female');
    expect(expected).toBe(263);
    expect(result.cohort?.count).toBe(applyCohortThreshold(expected).count);
    expect(result.cohort?.count).toBe(263);
    expect(result.cohort?.sites.responding).toHaveLength(3);
  });

  it('writes af.tsv (one row per ALT allele, bcftools-precision AF) and cohort.json, and says it verified', () => {
    const tsv = readFileSync(join(result.out, 'af.tsv'), 'utf8').trimEnd().split('\n');
    expect(tsv[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(tsv).toHaveLength(5341);
    expect(tsv).toContain('1\t10177\tA\tAC\t2130\t5008\t0.425319\t320');
    expect(JSON.parse(readFileSync(join(result.out, 'cohort.json'), 'utf8'))).toMatchObject({ count: 263, expression: 'super_pop=EUR and gender=female' });
    expect(lines.some((l) => l.startsWith('verified: 5340 variants, all equal'))).toBe(true);
  });

  it('leaves no process behind and deletes the consortium keys and stores', () => {
    expect(result.pids.length).toBe(3 /* ingest */ + 3 /* nodes */ + 1 /* coordinator */);
    expect(result.pids.filter(alive)).toEqual([]);
    expect(existsSync(join(result.out, 'work'))).toBe(false);
  });

  it('prints allele frequencies by super_pop, then EUR vs EAS and random-arm associations with a QQ summary each, and says it verified the printed rows', () => {
    expect(lines.some((l) => l.startsWith('== allele frequency by super_pop'))).toBe(true);
    expect(lines.some((l) => l.startsWith('== association, EUR vs EAS'))).toBe(true);
    expect(lines.some((l) => l.startsWith('== association, random demo_arm A vs B'))).toBe(true);
    const lambdas = lines.flatMap((l) => /genomic inflation lambda = median chi-square \/ [0-9.]+ = ([0-9.]+)$/.exec(l)?.[1] ?? []).map(Number);
    expect(lambdas).toHaveLength(2);
    expect(lines.some((l) => /^verified: the \d+ stratified AF rows and \d+ association rows printed equal the plaintext/.test(l))).toBe(true);
    const [eurEas, arms] = result.associations;
    expect(eurEas?.contrast.cases).toBe("super_pop = 'EUR'");
    expect(arms?.contrast.cases).toBe("demo_arm = 'A'");
    // Positive control: continents differ at many variants. Null: a random split does not inflate (1,500 variants in LD: loose bounds).
    expect(eurEas!.rows[0]!.p).toBeLessThan(1e-10);
    expect(eurEas!.lambda).toBeGreaterThan(5);
    expect(lambdas[0]).toBeCloseTo(eurEas!.lambda!, 2);
    expect(arms!.lambda).toBeGreaterThan(0.7);
    expect(arms!.lambda).toBeLessThan(1.5);
    expect(arms!.tested).toBeGreaterThan(1000);
    expect(arms!.rows[0]!.p).toBeGreaterThan(1e-6);
    expect(readFileSync(join(result.out, 'af-strata.tsv'), 'utf8').split('\n', 1)[0]).toBe('super_pop\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt\tfaf95');
    expect(lines.some((l) => /^ {4}1:\d+ \S+>\S+: grpmax [A-Z]{3} AF [0-9.]+ \(\d+\/\d+\), faf95_max [A-Z]{3} [0-9.]+$/.test(l))).toBe(true);
    expect(readFileSync(join(result.out, 'assoc-eur-vs-eas.tsv'), 'utf8').trimEnd().split('\n')).toHaveLength(5341);
  });

  it('every stratified row and every association allele table equal bcftools +fill-tags -S on the unsplit files', async () => {
    const panel = readFileSync(PANEL, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const arms = readPhenotypeTable(withDemoArm(readFileSync(PANEL, 'utf8')));
    const pops = ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'];
    await writeFile(join(dir, 'pops.txt'), panel.map((f) => `${f[0]}\t${f[2]}\n`).join(''));
    await writeFile(join(dir, 'arms.txt'), [...arms.rows].map(([id, r]) => `${id}\t${r.demo_arm}\n`).join(''));
    const byPop = new Map(VCFS.flatMap((f) => bcftoolsGroupCounts(f, join(dir, 'pops.txt'), pops)).map((t) => [comparisonKey(t), t.groups]));
    const byArm = new Map(VCFS.flatMap((f) => bcftoolsGroupCounts(f, join(dir, 'arms.txt'), ['A', 'B'])).map((t) => [comparisonKey(t), t.groups]));
    const all = new Map(result.rows.map((r) => [comparisonKey(r), r]));
    expect(result.strata!.rows).toHaveLength(6 * 5340);
    for (const r of result.strata!.rows) {
      const pop = r.strata!.super_pop!;
      const e = pop === 'all' ? all.get(comparisonKey(r))! : released(byPop.get(comparisonKey(r))![pop]!);
      expect([r.ac, r.an, r.nhomalt], `${r.chrom}:${r.pos} ${r.ref}>${r.alt} ${pop}`).toEqual([e.ac, e.an, e.nhomalt]);
      expect(r.faf95, `${r.chrom}:${r.pos} ${r.ref}>${r.alt} ${pop}`).toBe(typeof e.ac === 'number' && typeof e.an === 'number' && e.an > 0 ? faf95(e.ac, e.an) : null);
    }
    const small = (x: number): boolean => x > 0 && x < DEFAULT_DISCLOSURE_POLICY.k;
    for (const [a, groups, cases, controls] of [[result.associations[0]!, byPop, 'EUR', 'EAS'], [result.associations[1]!, byArm, 'A', 'B']] as const) {
      expect(a.rows).toHaveLength(5340);
      for (const r of a.rows) {
        const g = groups.get(comparisonKey(r))!;
        const [ca, co] = [g[cases]!, g[controls]!];
        const what = `${a.contrast.label} ${r.chrom}:${r.pos} ${r.ref}>${r.alt}`;
        expect([r.ac_cases, r.an_cases, r.ac_controls, r.an_controls], what).toEqual([released(ca).ac, released(ca).an, released(co).ac, released(co).an]);
        const t = { caseA1: ca.ac, caseA2: ca.an - ca.ac, controlA1: co.ac, controlA2: co.an - co.ac };
        const chisq = Object.values(t).some(small) ? null : (allelicChiSquare(t)?.chisq ?? null);
        if (chisq === null) expect(r.chisq, what).toBeNull();
        else expect(r.chisq, what).toBeCloseTo(chisq, 9);
      }
    }
  });

  it.skipIf(!has('Rscript'))('differential expression between the demo arms (+ gender): every gene equals R limma on the pooled matrix, and the planted genes are found', async () => {
    const x = result.expression!;
    expect(x.mismatches).toBe(0);
    expect(x.answer.n).toBe(2504);
    expect(x.answer.design).toEqual(['(Intercept)', 'group', 'gendermale']);
    expect(x.found / x.planted).toBeGreaterThan(0.9);
    expect(x.falseCalls / Math.max(1, x.up + x.down)).toBeLessThan(0.1);
    expect(lines.some((l) => /^verified: all 4000 genes' logFC, AveExpr, t, p and BH p equal the same model fitted on the plaintext sums/.test(l))).toBe(true);
    // The demo's matrix, regenerated (seeded) over the genotyped samples in the demo's order, pooled.
    const table = readPhenotypeTable(withDemoArm(readFileSync(PANEL, 'utf8')));
    const ids = (await vcfSampleIds(VCFS[0]!)).filter((id) => table.rows.has(id));
    const data = demoExpression(ids, table, VCFS[0]);
    await writeFile(join(dir, 'pooled-expression.tsv'), matrixText(data, ids.map((_, j) => j)));
    await writeFile(join(dir, 'sheet.tsv'), ['sample\tarm\tgender', ...ids.map((id) => `${id}\t${table.rows.get(id)!.demo_arm}\t${table.rows.get(id)!.gender}`)].join('\n') + '\n');
    await writeFile(join(dir, 'limma.R'), String.raw`
suppressPackageStartupMessages({ library(limma); library(edgeR) })
args <- commandArgs(TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
design <- model.matrix(~ factor(sheet$arm, levels = c("B", "A")) + factor(sheet$gender, levels = c("female", "male")))
q <- floor(cpm(counts[, sheet$sample], log = TRUE, prior.count = 2) * 2^24 + 0.5) / 2^24
tt <- topTable(eBayes(lmFit(q, design)), coef = 2, number = Inf, sort.by = "P")
writeLines(paste(rownames(tt), sprintf("%.17g", tt$logFC), sprintf("%.17g", tt$t), sprintf("%.17g", tt$P.Value), sep = "\t"))
`);
    const out = execFileSync('Rscript', ['--vanilla', join(dir, 'limma.R'), join(dir, 'pooled-expression.tsv'), join(dir, 'sheet.tsv')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const r = new Map(out.trim().split('\n').map((l) => { const [g, fc, t, p] = l.split('\t'); return [g!, { fc: Number(fc), t: Number(t), p: Number(p) }]; }));
    expect(r.size).toBe(x.answer.rows.length);
    for (const row of x.answer.rows) {
      const want = r.get(row.gene)!;
      expect(Math.abs(row.logfc - want.fc), row.gene).toBeLessThan(1e-6);
      expect(Math.abs(row.t - want.t), row.gene).toBeLessThan(1e-6 * Math.max(1, Math.abs(want.t)));
      expect(Math.abs(row.p - want.p), row.gene).toBeLessThanOrEqual(Math.max(1e-300, 1e-6 * want.p));
    }
  }, 120_000);

  it('the demo\'s cis eQTL: every released row equals the plaintext fit, the planted variant (or an LD proxy) leads, and the nodes withheld the rest with the reason', () => {
    const x = result.eqtl!;
    expect(x).not.toBeNull();
    expect(x.mismatches).toBe(0);
    expect(x.tested).toBeGreaterThan(20);
    expect(x.tested + x.withheld + x.answer.rows.filter((r) => r.note === 'monomorphic').length).toBe(x.answer.rows.length);
    expect(x.answer.rows[0]!.p!).toBeLessThan(1e-50);
    expect(x.answer.disclosure.rules.map((r) => r.rule)).toContain('eqtl-variant-withheld');
    expect(lines.some((l) => new RegExp(`^verified: all ${x.tested} released eQTL rows' slope, SE, t and p equal`).test(l))).toBe(true);
  });

  it('no process log holds a sample id or a genotype', () => {
    const text = ['node-hospital-a', 'node-hospital-b', 'node-hospital-c', 'coordinator', 'ingest-hospital-a']
      .map((n) => readFileSync(join(result.out, 'logs', `${n}.log`), 'utf8')).join('\n');
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/\b(?:HG|NA)\d{5}\b/);
    expect(text).not.toMatch(/\b[01][|/][01]\b/);
  });
});

// Four sites in the failure suites: when one fails, the query fails; no answer is computed over the three others.
describe.skipIf(!has('bcftools'))('federation failures across real processes', () => {
  let dir: string;
  let c: Consortium;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-e2e-fail-'));
    c = await startConsortium({
      vcfs: [VCFS[1]!], phenotypes: PANEL, sites: 4, preset: 'test',
      out: join(dir, 'work'), logDir: join(dir, 'logs'), queryDeadlineMs: 4_000, log: () => {},
    });
  });
  afterAll(async () => {
    for (const n of Object.values(c?.nodes ?? {})) if (n.process.exitCode === null) n.process.kill('SIGCONT');
    await c?.stop();
    expect(c.children.pids.filter(alive)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it('all four sites answer a region query before anything breaks', async () => {
    const answer = await c.client().alleleFrequency({ region: '1:10000-200000' });
    expect(answer.rows).toHaveLength(1044);
    expect(answer.sites.responding).toEqual(['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d']);
  });

  it('a misspelt column or value is a 400 naming it, checked at the coordinator before any site is asked', async () => {
    const audit = (): number => Object.values(c.layout.siteStores).reduce((n, store) => n + readFileSync(join(store, 'audit.log'), 'utf8').split('\n').filter(Boolean).length, 0);
    const before = audit();
    await expect(c.client().cohortCount({ cohort: 'super_popp = EUR' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', httpStatus: 400, message: expect.stringContaining("unknown column 'super_popp'") });
    await expect(c.client().alleleFrequency({ region: '1:10000-200000', cohort: 'super_pop = EUX' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', httpStatus: 400, message: expect.stringContaining("value 'EUX' is not in the consortium schema") });
    await expect(c.client().alleleFrequency({ region: '1:10000-200000', by: ['ancestry'] })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', httpStatus: 400, message: expect.stringContaining("unknown column 'ancestry'") });
    expect(audit()).toBe(before);
  });

  it('a slow node (stopped) makes the query fail after its deadline, naming that site', async () => {
    const node = c.nodes['hospital-c']!;
    node.process.kill('SIGSTOP');
    try {
      const t = performance.now();
      const err = await c.client().alleleFrequency({ region: '1:10000-200000' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED' });
      expect((err as Error).message).toContain('hospital-c');
      expect(performance.now() - t).toBeLessThan(30_000);
    } finally {
      node.process.kill('SIGCONT');
    }
  });

  it('a node killed mid-query makes the query fail naming that site, not a partial sum', async () => {
    const node = c.nodes['hospital-b']!;
    node.process.kill('SIGSTOP'); // it accepts the query's bytes but cannot answer ...
    const pending = c.client().alleleFrequency({ region: '1:10000-200000' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    node.process.kill('SIGKILL'); // ... then dies with the query in flight
    const err = await pending;
    expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED' });
    expect((err as Error).message).toContain('hospital-b');
    await node.exited;
  });

  it('with the node down, the query is refused naming the site (no answer over the other three)', async () => {
    const err = await c.client().cohortCount({ cohort: 'super_pop=EUR' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED' });
    expect((err as Error).message).toContain('hospital-b');
  });

  it('the sites still running never answer a sum without hospital-b: their audit logs gain no answered count', async () => {
    const answered = (): number => ['hospital-a', 'hospital-c', 'hospital-d'].reduce((n, site) => n + readFileSync(join(c.layout.siteStores[site]!, 'audit.log'), 'utf8').split('\n').filter((l) => l.includes('"decision":"answered"') && !l.includes('"kind":"variant-keys"') && !l.includes('"kind":"roster"')).length, 0);
    const before = answered();
    for (const q of [() => c.client().alleleFrequency({ region: '1:10000-200000' }), () => c.client().cohortCount({ cohort: 'super_pop=EUR' })]) {
      await expect(q()).rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringContaining('hospital-b') });
    }
    expect(answered()).toBe(before);
  });
});

describe.skipIf(!has('bcftools'))('federation refuses a site with the wrong certificate or crypto parameters (real processes)', () => {
  let dir: string;
  let c: Consortium;
  let other: Awaited<ReturnType<typeof networkInit>>;
  let nodeDir: string;
  let port: number;

  /** (Re)start hospital-b's node process from a variant of its config, on the port the coordinator dials. */
  async function restartB(name: string, change: (config: Record<string, unknown>) => void): Promise<void> {
    const current = c.nodes['hospital-b']!;
    if (current.process.exitCode === null && current.process.signalCode === null) {
      current.process.kill('SIGTERM');
      await current.exited;
    }
    for (const n of Object.keys(c.nodes)) if (n === 'hospital-b') delete (c.nodes as Record<string, unknown>)[n];
    const config = JSON.parse(readFileSync(c.layout.siteConfigs['hospital-b']!, 'utf8')) as Record<string, unknown>;
    config.listen = { host: '127.0.0.1', port };
    change(config);
    const file = join(nodeDir, `${name}.json`);
    await writeFile(file, JSON.stringify(config));
    const child = c.children.start(`node-hospital-b-${name}`, ['node', 'serve', '--config', file]);
    (c.nodes as Record<string, typeof child>)['hospital-b'] = child;
    await child.waitForLine(/listening grpc /, 90_000);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-e2e-wrong-'));
    c = await startConsortium({
      vcfs: [VCFS[1]!], phenotypes: PANEL, sites: 4, preset: 'test',
      out: join(dir, 'work'), logDir: join(dir, 'logs'), queryDeadlineMs: 10_000, log: () => {},
    });
    nodeDir = resolve(c.layout.siteConfigs['hospital-b']!, '..');
    const coordinatorConfig = JSON.parse(readFileSync(c.layout.coordinatorConfig, 'utf8')) as { sites: { id: string; address: string }[] };
    port = Number(coordinatorConfig.sites.find((x) => x.id === 'hospital-b')!.address.split(':')[1]);
    // Another consortium: its own CA, and BFV keys under the default (N=8192) parameters.
    other = await networkInit({ sites: ['hospital-b'], out: join(dir, 'other'), basePort: 0, preset: 'default' });
  });
  afterAll(async () => {
    await c?.stop();
    expect(c.children.pids.filter(alive)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The query fails naming hospital-b with a reason matching `reason` (retried while grpc-js is still
   * reconnecting after the restart: it backs off 1 s, then x1.6); nothing is released.
   */
  async function expectRefusedSiteB(reason: RegExp): Promise<void> {
    let err: unknown;
    for (let i = 0; i < 12; i++) {
      err = await c.client().alleleFrequency({ region: '1:10000-200000' }).then(() => undefined, (e: unknown) => e);
      if (reason.test((err as Error | undefined)?.message ?? '')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(err).toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/^site hospital-b: /) });
    expect((err as Error).message).toMatch(reason);
  }

  it('a node whose certificate comes from another CA is refused by the coordinator: the query fails naming it', async () => {
    const otherSite = resolve(other.siteConfigs['hospital-b']!, '..');
    await restartB('other-ca', (config) => {
      config.tls = { ca: 'ca.crt.pem', cert: join(otherSite, 'node.crt.pem'), key: join(otherSite, 'node.key.pem') };
    });
    await expectRefusedSiteB(/certificate/);
  });

  it('a node configured with another BFV key and parameters (N=8192 vs the network\'s 4096) does not start: its roster names the consortium\'s key', async () => {
    const current = c.nodes['hospital-b']!;
    current.process.kill('SIGTERM');
    await current.exited;
    const config = JSON.parse(readFileSync(c.layout.siteConfigs['hospital-b']!, 'utf8')) as Record<string, unknown>;
    config.listen = { host: '127.0.0.1', port };
    config.crypto = { preset: 'default' };
    config.coordinator = { bfvPublicKey: join(other.dir, 'coordinator', 'bfv.pk') };
    const file = join(nodeDir, 'other-params.json');
    await writeFile(file, JSON.stringify(config));
    const child = c.children.start('node-hospital-b-other-params', ['node', 'serve', '--config', file]);
    expect(await child.exited).not.toBe(0);
    expect(readFileSync(join(dir, 'logs', 'node-hospital-b-other-params.log'), 'utf8')).toContain('GENOFED_ROSTER_NOT_CONFIRMED');
    await expectRefusedSiteB(/unavailable/);
  });

  it('restarted with its own certificate and keys, the site answers again and the totals equal bcftools', async () => {
    await restartB('restored', () => {});
    // grpc-js backs off reconnecting after failed handshakes (1 s, then x1.6): allow a few seconds.
    let answer: AlleleFrequencyAnswer | undefined;
    for (let i = 0; i < 10 && !answer; i++) {
      answer = await c.client().alleleFrequency({ region: '1:10000-200000' }).catch(async () => {
        await new Promise((r) => setTimeout(r, 1000));
        return undefined;
      });
    }
    expect(answer?.sites.responding).toEqual(['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d']);
    const tool = new Map(bcftoolsCounts(VCFS[1]!).map((t) => [comparisonKey(t), t]));
    expect(answer!.rows).toHaveLength(tool.size);
    for (const r of answer!.rows) {
      const t = released(tool.get(comparisonKey(r))!);
      expect([r.ac, r.an, r.nhomalt]).toEqual([t.ac, t.an, t.nhomalt]);
    }
    verifiedVariants += answer!.rows.length;
  });
});

describe('end-to-end guard', () => {
  it('in CI bcftools is present, so the end-to-end comparisons above really ran', () => {
    if (process.env.CI) expect(has('bcftools')).toBe(true);
    if (has('bcftools')) expect(verifiedVariants).toBeGreaterThan(5000);
  });
});
