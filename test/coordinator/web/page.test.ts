/**
 * The researcher web page in headless Debian Chromium (playwright-core)
 * against a real local federation: 3 in-process sites holding disjoint
 * thirds of the 1000 Genomes samples of a 20 kb slice of the MTHFR window
 * (real VCF, mTLS gRPC nodes, BFV test preset), the REST app with the page
 * built by Vite into the test's folder, listening on an ephemeral port.
 * The page is driven by keyboard: token, region, strata, Enter. Its table
 * is checked cell by cell against the REST answer to the same body; each
 * plot's point count against the rows (read through Chart.getChart).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixText } from '../../../coordinator/demo/demo-expression.js';
import { syntheticExpression } from '../../../coordinator/demo/synthetic-expression.js';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { has } from '../../tool-available.js';
import { sh } from '../federation/bcftools-reference.js';
import { startConsortium, type Consortium } from '../federation/consortium.js';

// The evaluate callbacks run in the page; the server tsconfig has no DOM lib (a `lib` reference
// would apply to the whole program), so the page's globals are declared here, for this file only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const sessionStorage: any;
type HTMLCanvasElement = any;
type HTMLInputElement = { value: string };
type HTMLOptionElement = { value: string };

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'genotype_plot_chr1_MTHFR_2504.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const CHROMIUM = '/usr/bin/chromium';
const SLICE = '1:11780000-11800000';
const REGION = '1:11785000-11795000';
const SITES = ['a', 'b', 'c'];
const TOOLS = existsSync(CHROMIUM) && has('bcftools');

describe('tools for the browser tests', () => {
  it('Debian chromium and bcftools are present in CI (guard against a silently skipped browser test)', () => {
    if (process.env.CI) expect(TOOLS).toBe(true);
    else expect(typeof TOOLS).toBe('boolean');
  });
});

interface AfRow { strata?: Record<string, string>; chrom: string; pos: number; ref: string; alt: string; ac: number | string; an: number | string; af: number | null; nhomalt: number | string; faf95: number | null }
interface AssocRow { chrom: string; pos: number; ref: string; alt: string; p: number | null; ac_cases: number | string }

describe.skipIf(!TOOLS)('the web page in headless Chromium against a 3-site federation', () => {
  let work: string;
  let c: Consortium;
  let app: FastifyInstance;
  let url: string;
  let token: string;
  let browser: Browser;
  let page: Page;

  const rest = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** Press Tab until the element matching `selector` has focus (at most 40 times): it is reachable by keyboard. */
  const tabTo = async (selector: string): Promise<void> => {
    for (let i = 0; i < 40; i++) {
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`${selector} is not reachable with Tab`);
  };
  const waitDone = async (): Promise<void> => {
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 60_000 });
    expect(await page.textContent('#status-text')).toMatch(/^Done: /);
  };
  /** Point counts per dataset of a plot, data points (scatter) apart from reference lines. */
  type Plot = { inked: number; datasets: { type: string; label: string; n: number; finite: boolean }[] };
  const plotPoints = (id: string): Promise<Plot | null> => page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement | null;
    const chart = canvas && (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { type?: string; label?: string; data: { x: number; y: number }[] }[] } } | undefined } }).Chart.getChart(canvas);
    if (!canvas || !chart) return null;
    // Non-empty canvas: some pixel is not transparent.
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
    return { inked, datasets: chart.data.datasets.map((d: { type?: string; label?: string; data: { x: number; y: number }[] }) => ({ type: d.type ?? 'scatter', label: d.label ?? '', n: d.data.length, finite: d.data.every((p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y)) })) };
  }, id);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'genofed-web-'));
    // The page as `npm run build` makes it, into this test's folder (never a stale dist/web).
    await build({ configFile: join(ROOT, 'coordinator', 'web', 'vite.config.ts'), logLevel: 'silent', build: { outDir: join(work, 'web'), emptyOutDir: true } });
    const samples = sh(`bcftools query -l '${VCF}'`).split('\n').filter(Boolean);
    const third = Math.ceil(samples.length / 3);
    const shares = SITES.map((s, i) => {
      const list = join(work, `${s}.samples`);
      writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
      const out = join(work, `${s}.vcf.gz`);
      sh(`bcftools view --no-version -r ${SLICE} -S '${list}' -Oz -o '${out}' '${VCF}'`);
      return out;
    });
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    // A small synthetic count matrix over the same samples (the demo's generator), each site its thirds' columns: the volcano plot's data.
    const data = syntheticExpression({ samples, genes: 200, seed: 14 });
    const expression = Object.fromEntries(SITES.map((s, i) => {
      const path = join(work, `${s}.expression.tsv`);
      writeFileSync(path, matrixText(data, samples.map((_, j) => j).slice(i * third, (i + 1) * third)));
      return [s, { path }];
    }));
    c = await startConsortium({ sites: SITES, vcfs: Object.fromEntries(SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(SITES.map((s) => [s, PANEL])), schema, expression });
    const entries = JSON.parse(readFileSync(c.config.tokensFile, 'utf8')) as { querier: string; token: string }[];
    token = entries[0]!.token;
    app = await buildRestApp({ federation: await c.federationWith(), tokens: new Map(entries.map((e) => [e.token, e.querier])), web: join(work, 'web') });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await c?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('asks for the token once, keeps it in sessionStorage, and offers the schema columns as cohort terms and strata', async () => {
    await page.goto(`${url}/`);
    expect(page.url()).toBe(`${url}/ui/`);
    await page.waitForSelector('#token', { state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    expect(await page.evaluate(() => sessionStorage.getItem('genofed.token'))).toBe(token);
    const strata = await page.$$eval('input[name=by]', (els) => els.map((e) => (e as HTMLInputElement).value));
    expect(strata).toEqual(expect.arrayContaining(['super_pop', 'pop', 'gender']));
    const terms = await page.$$eval('#cohort-terms option', (els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(terms).toContain("super_pop = 'EUR'");
    await page.waitForFunction(() => /3 of 3 sites healthy/.test(document.getElementById('sites')!.textContent ?? ''));
  });

  it('runs an allele-frequency query by super_pop from the keyboard and shows the REST answer in the table, the AF track and the note', async () => {
    await page.focus('#kind');
    await tabTo('#region');
    await page.keyboard.type(REGION);
    await tabTo('input[name=by][value=super_pop]');
    await page.keyboard.press('Space');
    await tabTo('#cohort');
    await page.keyboard.press('Enter');
    await waitDone();

    const expected = await rest<{ rows: AfRow[]; disclosure: { policy: { k: number } } }>('/v1/queries/allele-frequency', { region: REGION, by: ['super_pop'] });
    expect(expected.rows.length).toBeGreaterThan(100);
    expect(expected.rows.length).toBeLessThanOrEqual(2000);
    const header = await page.$$eval('#results-table thead th', (ths) => ths.map((t) => t.textContent));
    expect(header).toEqual(['super_pop', 'chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt', 'faf95']);
    const cells = await page.$$eval('#results-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => JSON.parse(td.dataset.value!) as unknown)));
    expect(cells).toEqual(expected.rows.map((r) => [r.strata?.super_pop, r.chrom, r.pos, r.ref, r.alt, r.ac, r.an, r.af, r.nhomalt, r.faf95]));

    // Withheld counts read "<5" and explain the rule on hover.
    const withheldRows = expected.rows.filter((r) => typeof r.ac === 'string' || typeof r.nhomalt === 'string');
    expect(withheldRows.length).toBeGreaterThan(0);
    const withheld = await page.$$eval('#results-table td.withheld', (tds) => tds.map((td) => ({ text: td.textContent, title: td.getAttribute('title') })));
    expect(withheld.length).toBeGreaterThanOrEqual(withheldRows.length);
    expect(withheld[0]!.text).toBe(`<${expected.disclosure.policy.k}`);
    expect(withheld[0]!.title).toMatch(/^Withheld: the network total is below 5 \(counts from 1 to 4 are not released, k = 5\)/);
    expect(await page.textContent('#note-policy')).toContain('k = 5');
    expect(await page.textContent('#note-noise')).toMatch(/No differential-privacy noise/);
    expect(await page.textContent('#note-budget')).toBe('No privacy budget is spent: differential privacy is off in this network.');

    // The AF track: one series per stratum (all, then each super-population), a point per row with an AF.
    const plot = await plotPoints('plot-af');
    expect(plot).not.toBeNull();
    expect(plot!.inked).toBeGreaterThan(1000);
    const strata = [...new Set(expected.rows.map((r) => r.strata!.super_pop!))];
    expect(plot!.datasets.map((d) => d.label)).toEqual(strata);
    expect(strata).toEqual(['all', 'AFR', 'AMR', 'EAS', 'EUR', 'SAS']);
    for (const d of plot!.datasets) {
      expect(d.n, d.label).toBe(expected.rows.filter((r) => r.strata!.super_pop === d.label && r.af !== null).length);
      expect(d.finite).toBe(true);
    }
    await page.screenshot({ path: join(work, 'af-track.png'), fullPage: true });
    expect(readFileSync(join(work, 'af-track.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('downloads the whole answer as TSV, and as the coordinator\'s sites-only bgzipped VCF that bcftools reads with the same AC', async () => {
    const expected = await rest<{ rows: AfRow[] }>('/v1/queries/allele-frequency', { region: REGION, by: ['super_pop'] });
    const [tsv] = await Promise.all([page.waitForEvent('download'), page.click('#download-tsv')]);
    const tsvPath = join(work, 'answer.tsv');
    await tsv.saveAs(tsvPath);
    const lines = readFileSync(tsvPath, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# genofed allele-frequency query \S+; disclosure k=5 suppress; noise none$/);
    expect(lines[1]).toBe('super_pop\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt\tfaf95');
    expect(lines.slice(2)).toEqual(expected.rows.map((r) => [r.strata!.super_pop, r.chrom, r.pos, r.ref, r.alt, r.ac, r.an, r.af ?? 'NA', r.nhomalt, r.faf95 ?? 'NA'].join('\t')));

    const [vcf] = await Promise.all([page.waitForEvent('download'), page.click('#download-vcf')]);
    expect(vcf.suggestedFilename()).toMatch(/^genofed-.+\.vcf\.gz$/);
    const vcfPath = join(work, 'answer.vcf.gz');
    await vcf.saveAs(vcfPath);
    const records = sh(`bcftools norm --no-version -m -any '${vcfPath}' | bcftools query -f '%CHROM-%POS-%REF-%ALT\\t%INFO/AC\\n'`).trimEnd().split('\n');
    const all = expected.rows.filter((r) => r.strata!.super_pop === 'all');
    expect(records).toEqual(all.map((r) => `${r.chrom}-${r.pos}-${r.ref}-${r.alt}\t${typeof r.ac === 'number' ? r.ac : '.'}`));
  });

  it('sorts the table by a column from the keyboard (Tab to the header, Enter), withheld and missing values last', async () => {
    await tabTo('#results-table th:nth-child(8) button');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#results-table th:nth-child(8)', 'aria-sort')).toBe('ascending');
    const af = await page.$$eval('#results-table tbody td:nth-child(8)', (tds) => tds.map((td) => JSON.parse(td.dataset.value!) as number | null));
    const numbers = af.filter((v): v is number => v !== null);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(af.slice(numbers.length).every((v) => v === null)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#results-table th:nth-child(8)', 'aria-sort')).toBe('descending');
  });

  it('runs the EUR vs EAS association and draws a Manhattan and a QQ plot with a point per tested variant', async () => {
    await page.focus('#kind');
    await page.selectOption('#kind', 'association');
    await tabTo('#cases');
    await page.keyboard.type("super_pop = 'EUR'");
    await tabTo('#controls');
    await page.keyboard.type("super_pop = 'EAS'");
    await page.keyboard.press('Enter');
    await waitDone();

    const expected = await rest<{ rows: AssocRow[] }>('/v1/queries/association', { cases: "super_pop = 'EUR'", controls: "super_pop = 'EAS'", region: REGION });
    const tested = expected.rows.filter((r) => r.p !== null);
    expect(tested.length).toBeGreaterThan(20);
    const cells = await page.$$eval('#results-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 5).map((td) => JSON.parse(td.dataset.value!) as unknown)));
    expect(cells).toEqual(expected.rows.map((r) => [r.chrom, r.pos, r.ref, r.alt, r.ac_cases]));
    const pColumn = await page.$$eval('#results-table tbody td:nth-child(10)', (tds) => tds.map((td) => JSON.parse(td.dataset.value!) as number | null));
    expect(pColumn).toEqual(expected.rows.map((r) => r.p));

    const manhattan = await plotPoints('plot-manhattan');
    expect(manhattan!.inked).toBeGreaterThan(1000);
    expect(manhattan!.datasets.filter((d) => d.type === 'scatter').reduce((n, d) => n + d.n, 0)).toBe(tested.length);
    expect(manhattan!.datasets.find((d) => d.type === 'line')?.label).toBe('p = 5e-8');
    const qq = await plotPoints('plot-qq');
    expect(qq!.inked).toBeGreaterThan(1000);
    expect(qq!.datasets.filter((d) => d.type === 'scatter').map((d) => d.n)).toEqual([tested.length]);
    await page.screenshot({ path: join(work, 'manhattan.png'), fullPage: true });
    expect(readFileSync(join(work, 'manhattan.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('runs a differential-expression query (female vs male) and draws a volcano plot with a point per gene, the table equal to the REST answer', async () => {
    await page.focus('#kind');
    await page.selectOption('#kind', 'expression');
    await tabTo('#group-a');
    await page.keyboard.type("gender = 'female'");
    await tabTo('#group-b');
    await page.keyboard.type("gender = 'male'");
    await page.keyboard.press('Enter');
    await waitDone();

    const expected = await rest<{ rows: { gene: string; logfc: number; p: number }[] }>('/v1/queries/expression', { groupA: "gender = 'female'", groupB: "gender = 'male'" });
    expect(expected.rows.length).toBe(200);
    const genes = await page.$$eval('#results-table tbody tr', (trs) => trs.map((tr) => JSON.parse((tr.querySelector('td') as { dataset: { value: string } }).dataset.value) as string));
    expect(genes).toEqual(expected.rows.map((r) => r.gene));
    const volcano = await plotPoints('plot-volcano');
    expect(volcano!.inked).toBeGreaterThan(1000);
    expect(volcano!.datasets.filter((d) => d.type === 'scatter').reduce((n, d) => n + d.n, 0)).toBe(expected.rows.length);
    await page.screenshot({ path: join(work, 'volcano.png'), fullPage: true });
  });

  it('a wrong token is refused by the API and the page asks for the token again', async () => {
    await page.evaluate(() => sessionStorage.setItem('genofed.token', 'not-a-token-of-this-coordinator'));
    await page.focus('#controls');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#login', { state: 'visible' });
    expect(await page.textContent('#login-error')).toBe('The coordinator does not know this token.');
    expect(await page.evaluate(() => sessionStorage.getItem('genofed.token'))).toBeNull();
  });
});
