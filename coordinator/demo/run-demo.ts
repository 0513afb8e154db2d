/**
 * `genofed demo`: the whole product on one machine. Starts a consortium of
 * N sites over the samples of the input VCF(s) (consortium.ts), runs an
 * allele-frequency query over every variant and a cohort count through the
 * REST API as a researcher would, writes DIR/af.tsv and DIR/cohort.json,
 * checks every number against a plaintext computation on the unsplit
 * input, and stops every process it started.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { AlleleFrequencyRow, CohortCountAnswer, SiteOutcome } from '../federation/types.js';
import { applyAlleleFrequencyPolicy, applyCohortThreshold, disclosurePolicy, type DisclosurePolicy } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import { afTsv, disclosureLine, formatAf } from '../client/format.js';
import { startConsortium, writeAtomic } from './consortium.js';
import { comparisonKey, referenceCohortCount, type ReferenceRow } from './plaintext-reference.js';

export const DEFAULT_COHORT = 'super_pop=EUR and gender=female';
const MARKER = '.genofed-demo';

export interface DemoOptions {
  readonly vcfs?: readonly string[];
  readonly phenotypes?: string;
  readonly cohort?: string;
  readonly sites?: number;
  readonly out: string;
  readonly preset?: 'default' | 'test';
  /** Replace an existing demo folder (only one this command made: it has the marker file). */
  readonly force?: boolean;
  /** Keep the consortium (keys, certificates, stores) and the shares in DIR/work instead of deleting them. */
  readonly keep?: boolean;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly out: string;
  readonly sites: readonly string[];
  readonly variants: number;
  readonly rows: readonly AlleleFrequencyRow[];
  readonly siteOutcome: SiteOutcome;
  readonly cohort: (CohortCountAnswer & { expression: string; plaintextCount: number }) | null;
  readonly mismatches: number;
  /** Every process the demo started (all gone when runDemo returns). */
  readonly pids: readonly number[];
  readonly timingsMs: Readonly<Record<string, number>>;
}

async function prepareOut(out: string, force: boolean): Promise<void> {
  const entries = await readdir(out).catch(() => null);
  if (entries && entries.length > 0) {
    if (!force) throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(out)}: output folder is not empty (use --force to replace an earlier demo run)`);
    if (!entries.includes(MARKER)) throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(out)}: not a folder made by genofed demo; refusing to delete it even with --force`);
    await rm(out, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  await writeFile(join(out, MARKER), 'made by genofed demo; --force may delete this folder\n');
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const out = resolve(o.out);
  await prepareOut(out, o.force ?? false);
  const t0 = performance.now();
  const consortium = await startConsortium({ ...o, out: join(out, 'work'), logDir: join(out, 'logs'), log });
  const { timingsMs: timings, signal, guard } = consortium;
  try {
    // The coordinator releases totals under its disclosure policy; the check applies the same policy to the plaintext.
    const policy = disclosurePolicy((JSON.parse(await readFile(consortium.layout.coordinatorConfig, 'utf8')) as { disclosure?: object }).disclosure ?? {});
    // Ask the network, as a researcher would (REST + bearer token).
    let tStep = performance.now();
    const api = consortium.client();
    const regions = contigRegions(consortium.reference.rows.values());
    const rows: AlleleFrequencyRow[] = [];
    let siteOutcome: SiteOutcome = { responding: [], missing: [] };
    for (const region of regions) {
      const answer = await guard(api.alleleFrequency({ region }, signal));
      rows.push(...answer.rows);
      siteOutcome = answer.sites;
      log(`demo: allele-frequency ${region}: ${answer.rows.length} rows from ${answer.sites.responding.join(', ')} (query ${answer.queryId})`);
      const note = disclosureLine(answer);
      if (note) log(`demo: ${note}`);
    }
    timings.afQueryMs = Math.round(performance.now() - tStep);
    tStep = performance.now();
    const cohortExpr = o.cohort ?? DEFAULT_COHORT;
    let cohort: DemoResult['cohort'] = null;
    if (consortium.phenotypeTable) {
      const answer = await guard(api.cohortCount({ cohort: cohortExpr }, signal));
      cohort = { ...answer, expression: cohortExpr, plaintextCount: referenceCohortCount(cohortExpr, consortium.phenotypeTable, consortium.genotyped) };
      log(`demo: cohort '${cohortExpr}': ${answer.count} patients (query ${answer.queryId})`);
    } else {
      log('demo: cohort count skipped: --vcf was given without --phenotypes');
    }
    timings.cohortQueryMs = Math.round(performance.now() - tStep);

    // Results, written atomically.
    await writeAtomic(join(out, 'af.tsv'), [...afTsv(rows)].join(''));
    await writeAtomic(join(out, 'cohort.json'), `${JSON.stringify(cohort ?? { skipped: 'no phenotype table (--vcf without --phenotypes)' }, null, 2)}\n`);

    // Check against the plaintext computation on the unsplit input.
    const mismatches = compare(rows, consortium.reference.rows, log, policy);
    const cohortOk = !cohort || cohort.count === applyCohortThreshold(cohort.plaintextCount, policy).count;
    printSummary(rows, siteOutcome, cohort, log);
    timings.totalMs = Math.round(performance.now() - t0);
    if (mismatches > 0 || !cohortOk) {
      throw new CoordinatorError('GENOFED_DEMO_MISMATCH', `${mismatches} of ${consortium.reference.rows.size} variants differ from the plaintext computation${cohortOk ? '' : '; the cohort count differs too'} (results are in ${basename(out)}/af.tsv)`);
    }
    const withheld = rows.filter((r) => typeof r.ac === 'string' || typeof r.an === 'string' || typeof r.nhomalt === 'string').length;
    log(`verified: ${rows.length} variants, all equal to the plaintext computation on the unsplit input (AC, AN, nhomalt) under the same disclosure policy (k=${policy.k}, ${policy.smallCounts}: ${withheld} rows with a withheld count)${cohort ? `; cohort count ${cohort.count} equals the phenotype table's` : ''}`);
    log(`demo: done in ${(timings.totalMs / 1000).toFixed(1)} s; results in ${out}/af.tsv and ${out}/cohort.json`);
    return { out, sites: consortium.sites, variants: rows.length, rows, siteOutcome, cohort, mismatches, pids: consortium.children.pids, timingsMs: timings };
  } finally {
    await consortium.stop({ keep: o.keep ?? false });
  }
}

/** One region per contig from its first to its last position: together they cover every input variant. */
export function contigRegions(rows: Iterable<ReferenceRow>): string[] {
  const span = new Map<string, [number, number]>();
  for (const r of rows) {
    const s = span.get(r.chrom);
    if (!s) span.set(r.chrom, [r.pos, r.pos]);
    else {
      if (r.pos < s[0]) s[0] = r.pos;
      if (r.pos > s[1]) s[1] = r.pos;
    }
  }
  return [...span].map(([chrom, [a, b]]) => `${chrom}:${a}-${b}`);
}

/**
 * Count (and show up to 5 of) the variants whose federated numbers differ
 * from the reference, or that one side lacks. The reference goes through
 * `policy` first (the coordinator's disclosure control), so a released
 * "<5" must match a plaintext count in 1..4, and an exact number the exact
 * plaintext number.
 */
export function compare(rows: readonly AlleleFrequencyRow[], referenceRaw: ReadonlyMap<string, ReferenceRow>, log: (l: string) => void, policy: DisclosurePolicy = disclosurePolicy({ k: 1 })): number {
  const released = applyAlleleFrequencyPolicy([...referenceRaw.values()], policy).rows;
  const reference = new Map(released.map((r) => [comparisonKey(r), r]));
  let bad = 0;
  const seen = new Set<string>();
  const show = (l: string): void => {
    if (bad <= 5) log(`demo: MISMATCH ${l}`);
  };
  for (const r of rows) {
    const key = comparisonKey(r);
    seen.add(key);
    const e = reference.get(key);
    if (!e) {
      bad += 1;
      show(`${r.chrom}:${r.pos} ${r.ref}>${r.alt}: in the federated answer, not in the input`);
    } else if (e.ac !== r.ac || e.an !== r.an || e.nhomalt !== r.nhomalt) {
      bad += 1;
      show(`${r.chrom}:${r.pos} ${r.ref}>${r.alt}: federated ac/an/nhomalt ${r.ac}/${r.an}/${r.nhomalt}, plaintext ${e.ac}/${e.an}/${e.nhomalt}`);
    }
  }
  for (const [key, e] of reference) {
    if (!seen.has(key)) {
      bad += 1;
      show(`${e.chrom}:${e.pos} ${e.ref}>${e.alt}: in the input, missing from the federated answer`);
    }
  }
  return bad;
}

function printSummary(rows: readonly AlleleFrequencyRow[], sites: SiteOutcome, cohort: DemoResult['cohort'], log: (l: string) => void): void {
  const head = rows.slice(0, 8);
  const cols = ['chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt'];
  const cell = (r: AlleleFrequencyRow): string[] => [r.chrom, String(r.pos), clip(r.ref), clip(r.alt), String(r.ac), String(r.an), formatAf(r.af, r.an), String(r.nhomalt)];
  const table = [cols, ...head.map(cell)];
  const widths = cols.map((_, j) => Math.max(...table.map((t) => t[j]!.length)));
  log('');
  for (const t of table) log(`  ${t.map((c, j) => c.padStart(widths[j]!)).join('  ')}`);
  if (rows.length > head.length) log(`  ... ${rows.length - head.length} more rows in af.tsv`);
  const ac = rows.reduce((s, r) => s + (typeof r.ac === 'number' ? r.ac : 0), 0);
  const poly = rows.filter((r) => typeof r.ac === 'string' || r.ac > 0).length;
  log(`  ${rows.length} ALT alleles, ${poly} seen at least once, total of released AC ${ac}; sites: ${sites.responding.join(', ')}${sites.missing.length ? `; missing: ${sites.missing.map((m) => m.site).join(', ')}` : ''}`);
  if (cohort) log(`  cohort '${cohort.expression}': ${cohort.count} patients`);
  log('');
}

function clip(s: string): string {
  return s.length > 12 ? `${s.slice(0, 9)}...` : s;
}
