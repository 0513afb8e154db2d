/**
 * `genofed demo`: the whole product on one machine. Starts a consortium of
 * N sites over the samples of the input VCF(s) (consortium.ts), runs an
 * allele-frequency query over every variant and a cohort count through the
 * REST API as a researcher would, writes DIR/af.tsv and DIR/cohort.json,
 * checks every number against a plaintext computation on the unsplit
 * input; then, with a phenotype table, allele frequencies by strata
 * (demo-strata.ts) and two case-control associations (demo-association.ts),
 * their printed rows checked the same way; and stops every process it started.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { AlleleFrequencyRow, CohortCountAnswer, SiteOutcome } from '../federation/types.js';
import { applyAlleleFrequencyPolicy, applyCohortThreshold, disclosurePolicy, type DisclosurePolicy } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import type { ApiClient } from '../client/api-client.js';
import { afTsv, disclosureLine, formatAf } from '../client/format.js';
import { startConsortium, writeAtomic, type Consortium } from './consortium.js';
import { assocTsv, checkAssociation, EUR_VS_EAS, hasSuperPop, printQq, printTopHits, queryAssociation, RANDOM_ARMS, type AssociationSection } from './demo-association.js';
import { checkStrata, hasStrataColumns, printStrata, queryStrata, STRATA_BY, type StrataSection } from './demo-strata.js';
import { clip, tableLines } from './demo-table.js';
import { DEMO_ARM_COLUMN } from './demo-arm.js';
import { checkEqtl, EQTL_FILE, eqtlTsv, printEqtl, queryEqtl, type EqtlSection } from './demo-eqtl.js';
import { checkExpression, EXPRESSION_FILE, expressionTsv, printExpression, queryExpression, type ExpressionSection } from './demo-expression.js';
import { comparisonKey, referenceCohortCount, type ReferenceRow } from './plaintext-reference.js';
import { recordsAt } from './vcf-lines.js';

export const DEFAULT_COHORT = 'super_pop=EUR and gender=female';
const MARKER = '.genofed-demo';

export interface DemoOptions {
  readonly vcfs?: readonly string[];
  readonly phenotypes?: string;
  readonly cohort?: string;
  readonly sites?: number;
  readonly out: string;
  readonly preset?: 'default' | 'test';
  /** Ignored (kept for callers of the old option): a folder an earlier demo made is always replaced, any other refused. */
  readonly force?: boolean;
  /** Keep the consortium (keys, certificates, stores) and the shares in DIR/work instead of deleting them. */
  readonly keep?: boolean;
  /** Keep the federation (and the web page) up after the checks until SIGINT/SIGTERM or `signal`; then stop every process as usual. */
  readonly serve?: boolean;
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
  /** Allele frequencies by super_pop x gender (null without a phenotype table that has both columns). */
  readonly strata: StrataSection | null;
  /** EUR vs EAS (when the table has super_pop), then the random arms A vs B; empty without a phenotype table. */
  readonly associations: readonly AssociationSection[];
  /** Differential expression between the demo arms (issue 12); null without the synthetic matrix. */
  readonly expression: ExpressionSection | null;
  /** Cis eQTL of the strongest planted gene (issue 12); null without planted eQTL. */
  readonly eqtl: EqtlSection | null;
  readonly mismatches: number;
  /** Every process the demo started (all gone when runDemo returns). */
  readonly pids: readonly number[];
  readonly timingsMs: Readonly<Record<string, number>>;
}

/**
 * A rerun just works: a folder an earlier demo made (it holds MARKER) is
 * replaced; any other non-empty folder is refused, --force or not (the
 * user's own files are never deleted). `given` is the --out the user typed
 * (their terminal: the error names it as typed).
 */
async function prepareOut(out: string, given: string): Promise<void> {
  const entries = await readdir(out).catch(() => null);
  if (entries && entries.length > 0) {
    if (!entries.includes(MARKER)) throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${given}: output folder is not empty and was not made by genofed demo; refusing to replace it (choose another --out)`);
    await rm(out, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  await writeFile(join(out, MARKER), 'made by genofed demo; the next demo run with this --out replaces this folder\n');
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const out = resolve(o.out);
  await prepareOut(out, o.out);
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

    // Beyond counts (issue 10): stratified frequencies and association; they need a phenotype table.
    const analyses = consortium.phenotypeTable
      ? await runAnalyses(consortium, api, regions, policy, out, log)
      : (log('demo: stratified allele frequencies, association and expression skipped: --vcf was given without --phenotypes'), { strata: null, associations: [], expression: null, eqtl: null });
    timings.totalMs = Math.round(performance.now() - t0);
    log(`demo: done in ${(timings.totalMs / 1000).toFixed(1)} s; results in ${out}/ (af.tsv, cohort.json${analyses.strata ? ', af-strata.tsv' : ''}${analyses.associations.map((a) => `, ${a.contrast.file}`).join('')}${analyses.expression ? `, ${EXPRESSION_FILE}` : ''}${analyses.eqtl ? `, ${EQTL_FILE}` : ''})`);
    if (o.serve) await serveUntilInterrupted(consortium, log);
    else log(`demo: web page ${consortium.url}/ui/ (up only while the demo runs: add --serve to keep the federation up until Ctrl-C)`);
    return { out, sites: consortium.sites, variants: rows.length, rows, siteOutcome, cohort, ...analyses, mismatches, pids: consortium.children.pids, timingsMs: timings };
  } finally {
    await consortium.stop({ keep: o.keep ?? false });
  }
}

/**
 * `--serve`: print the web page's address and wait for Ctrl-C (the
 * consortium's signal). The demo's own throwaway token rides in the URL
 * fragment, which browsers never send to the server: the page moves it to
 * sessionStorage and clears it from the address bar (coordinator/web/src/token.ts).
 */
async function serveUntilInterrupted(consortium: Consortium, log: (l: string) => void): Promise<void> {
  log(`demo: web page ${consortium.url}/ui/#token=${encodeURIComponent(consortium.token)}`);
  log(`demo: the federation stays up (REST ${consortium.url}, the demo's bearer token is in the link); Ctrl-C stops every process`);
  const { signal } = consortium;
  if (!signal.aborted) await new Promise((done) => signal.addEventListener('abort', done, { once: true }));
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
  log('');
  for (const l of tableLines(cols, head.map(cell))) log(l);
  if (rows.length > head.length) log(`  ... ${rows.length - head.length} more rows in af.tsv`);
  const ac = rows.reduce((s, r) => s + (typeof r.ac === 'number' ? r.ac : 0), 0);
  const poly = rows.filter((r) => typeof r.ac === 'string' || r.ac > 0).length;
  log(`  ${rows.length} ALT alleles, ${poly} seen at least once, total of released AC ${ac}; sites: ${sites.responding.join(', ')}${sites.missing.length ? `; missing: ${sites.missing.map((m) => m.site).join(', ')}` : ''}`);
  if (cohort) log(`  cohort '${cohort.expression}': ${cohort.count} patients`);
  log('');
}

/**
 * Stratified allele frequencies and the two association contrasts over the
 * same regions as the AF query, written to DIR, printed, and their printed
 * rows checked against the unsplit input (re-read once for those records).
 * A mismatch throws GENOFED_DEMO_MISMATCH, as for the counts.
 */
async function runAnalyses(c: Consortium, api: ApiClient, regions: readonly string[], policy: DisclosurePolicy, out: string, log: (l: string) => void): Promise<Pick<DemoResult, 'strata' | 'associations' | 'expression' | 'eqtl'>> {
  const table = c.phenotypeTable!;
  // With other --sites, the sample blocks can give a site two populations that differ by 1..k-1 of its
  // patients (e.g. 10 sites: one holds a single EUR male, so `super_pop = 'EUR'` is 1 away from the cohort
  // count's EUR females there); its differencing guard then refuses the later query. The demo says so and goes on.
  const unlessGuarded = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('GENOFED_COHORT_DIFFERENCING'))) throw err;
      log(`demo: ${what} skipped: ${err.message} (a node's differencing guard: a population of this query differs at that site from one already answered by fewer than k of its patients)`);
      return null;
    }
  };
  let tStep = performance.now();
  const strata = hasStrataColumns(table) ? await unlessGuarded('allele frequency by strata', () => queryStrata(api, regions, c.guard, c.signal, log)) : null;
  if (!hasStrataColumns(table)) log(`demo: stratified allele frequencies skipped: the phenotype table has no ${STRATA_BY.join(' and ')} column`);
  c.timingsMs.strataQueryMs = Math.round(performance.now() - tStep);
  tStep = performance.now();
  if (!hasSuperPop(table)) log('demo: association EUR vs EAS skipped: the phenotype table has no super_pop column with EUR and EAS');
  const associations: AssociationSection[] = [];
  for (const contrast of hasSuperPop(table) ? [EUR_VS_EAS, RANDOM_ARMS] : [RANDOM_ARMS]) {
    const a = await unlessGuarded(`association ${contrast.label}`, () => queryAssociation(api, contrast, regions, c.guard, c.signal, log));
    if (a) associations.push(a);
  }
  c.timingsMs.associationQueryMs = Math.round(performance.now() - tStep);

  if (strata) await writeAtomic(join(out, 'af-strata.tsv'), [...afTsv(strata.rows, strata.by)].join(''));
  for (const a of associations) await writeAtomic(join(out, a.contrast.file), assocTsv(a.rows));

  if (strata) printStrata(strata, log);
  for (const a of associations) {
    printTopHits(a, log);
    printQq(a, log);
  }
  if (associations.length === 2) {
    log('');
    log(`  lambda: ${associations.map((a) => `${a.contrast.label} ${a.lambda === null ? 'NA' : a.lambda.toFixed(3)}`).join('; ')}. A split by continent inflates every statistic (population structure); a random split does not: near 1, up to chance and LD among ${associations.at(-1)!.tested} nearby variants`);
  }
  log('');

  tStep = performance.now();
  const shown = [...(strata?.shown ?? []), ...associations.flatMap((a) => a.shown)];
  const records = await recordsAt(c.vcfs, new Set(shown.map((r) => r.pos)), c.signal);
  const bad = (strata ? checkStrata(strata, records, table, c.genotyped, c.reference.rows, policy, log) : 0)
    + associations.reduce((n, a) => n + checkAssociation(a, records, table, c.genotyped, policy, log), 0);
  c.timingsMs.analysesCheckMs = Math.round(performance.now() - tStep);
  const what = [...(strata ? [`${strata.shown.length} stratified AF rows`] : []), ...(associations.length ? [`${associations.reduce((n, a) => n + a.shown.length, 0)} association rows`] : [])].join(' and ') || 'no rows';
  if (bad > 0) throw new CoordinatorError('GENOFED_DEMO_MISMATCH', `${bad} of the ${what} printed differ from the plaintext computation on the unsplit input`);
  log(`verified: the ${what} printed equal the plaintext computation on the unsplit input (${strata ? 'AC, AN, nhomalt and faf95 per stratum, grpmax and faf95_max; ' : ''}each association group's AC and AN, and the chi-square recomputed from them) under the same disclosure policy`);

  // Transcriptome (issue 12): differential expression between the demo arms, gender as covariate.
  let expression: ExpressionSection | null = null;
  if (c.expression) {
    tStep = performance.now();
    const answer = await unlessGuarded('differential expression', () => queryExpression(api, c.guard, log));
    c.timingsMs.expressionQueryMs = Math.round(performance.now() - tStep);
    if (answer) {
      const table = c.phenotypeTable!;
      const arm = new Map([...table.rows].map(([id, r]) => [id, String(r[DEMO_ARM_COLUMN] ?? '')]));
      const gender = new Map([...table.rows].map(([id, r]) => [id, String(r.gender ?? '')]));
      expression = checkExpression(answer, c.expression, arm, gender);
      await writeAtomic(join(out, EXPRESSION_FILE), expressionTsv(answer));
      log('');
      printExpression(expression, log);
      log('');
      if (expression.mismatches > 0) throw new CoordinatorError('GENOFED_DEMO_MISMATCH', `${expression.mismatches} of the ${answer.rows.length} genes of the differential expression differ from the same model fitted on the plaintext sums of the unsplit matrix`);
      log(`verified: all ${answer.rows.length} genes' logFC, AveExpr, t, p and BH p equal the same model fitted on the plaintext sums of the unsplit matrix`);
    }
  }
  // Expression by genotype (issue 12): the strongest planted cis gene, gender as covariate.
  let eqtl: EqtlSection | null = null;
  if (c.expression?.genotypes) {
    tStep = performance.now();
    const data = c.expression;
    const answer = await unlessGuarded('cis eQTL', () => queryEqtl(api, c.guard, data, 'gender', log));
    c.timingsMs.eqtlQueryMs = Math.round(performance.now() - tStep);
    if (answer) {
      const gender = new Map([...c.phenotypeTable!.rows].map(([id, r]) => [id, String(r.gender ?? '')]));
      eqtl = await checkEqtl(answer, data, c.vcfs, gender, (answer.design[2] ?? '').slice('gender'.length));
      await writeAtomic(join(out, EQTL_FILE), eqtlTsv(answer));
      printEqtl(eqtl, log);
      log('');
      if (eqtl.mismatches > 0) throw new CoordinatorError('GENOFED_DEMO_MISMATCH', `${eqtl.mismatches} of the ${eqtl.tested} released eQTL rows differ from the same model fitted on plaintext sums of the unsplit matrix and VCFs`);
      log(`verified: all ${eqtl.tested} released eQTL rows' slope, SE, t and p equal the same model fitted on plaintext sums of the unsplit matrix and VCFs`);
    }
  }
  return { strata, associations, expression, eqtl };
}
