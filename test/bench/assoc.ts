/**
 * `npm run bench -- --suite assoc [--quick] [--json]` (issue 10)
 *
 * One synthetic dataset of 300 samples (1,000,000 variants; --quick 50,000)
 * split into 3 sites of 100 samples, each site a separate node process
 * (mTLS, default BFV preset, masks and the node privacy checks as
 * `network init` writes them, as in the `federation` suite). The phenotype
 * table adds a random `status` (case | control; no genotype effect), so
 * every site holds both cases and controls. Figures, measured in the same
 * run (median of the runs; the stratified query runs once in a full run):
 * - `assoc_ms`: one case-control `association` query over the whole contig
 *   (`status = 'case'` vs `status = 'control'`), end to end (phase 1 union,
 *   size round, encrypted counts, statistics, disclosure control), median
 *   of 3 runs; `assoc_cold_ms`: the first such query after the nodes
 *   start, which builds their record caches (DuckDB's genotype BLOBs read
 *   into memory), timed apart as the federation suite times its cold
 *   cohort query;
 * - `plink_assoc_ms`: `plink1.9 --vcf POOLED --assoc`, PLINK's entry point
 *   for a VCF, so it INCLUDES PLINK's VCF -> .bed conversion;
 *   `plink_bed_assoc_ms`: `plink1.9 --bfile --assoc` from a .bed made
 *   beforehand (`plink_make_bed_ms`), excluding it - the like-for-like
 *   figure, since genofed's stores are ingested before the query too;
 *   `assoc_vs_plink` = assoc_ms / plink_assoc_ms (target <= 1.0) and
 *   `assoc_vs_plink_bed`;
 * - `strata_ms`: an allele-frequency query with `by: ['super_pop',
 *   'gender']` (10 cells and the all-sample rows) over the same contig, vs
 *   `bcftools_strata_ms`: `bcftools +fill-tags -Ou -- -S groups -t
 *   AC,AN,AC_Hom` on the pooled file to /dev/null (per-group and overall
 *   tags), and `strata_vs_bcftools`.
 * POOLED is the 300-sample VCF itself; the sites' VCFs are its columns
 * (`bcftools view -S`), streamed into ingest. Ingest is not timed.
 *
 * Sanity (the bench fails if any differs): for a handful of variants the
 * association's network table (AC and AN of cases and of controls) equals
 * `bcftools +fill-tags -S` case/control counts on the pooled file (a count
 * released as a bound, `<5` or `>N`, must hold for the plaintext), and its
 * chi-square equals the CHISQ PLINK printed in the timed run (4 digits);
 * the strata answer's released AC/AN/nhomalt of the same kind of handful
 * equal the per-group bcftools counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { createFederation } from '../../coordinator/federation/create.js';
import type { Federation, ReleasedCount } from '../../coordinator/federation/types.js';
import { association, type AssociationRow } from '../../coordinator/kinds/association.js';
import { networkInit } from '../../coordinator/network/init.js';
import { ingest, type IngestSource } from '../../node/store/index.js';
import { parsePhenotypeSchema, SCHEMA_FORMAT } from '../../proto/phenotype-schema.js';
import { agreesWithPrinted } from '../coordinator/stats/plink-reference.js';
import { startSiteNodes, stopNodeProcesses } from './node-processes.js';
import type { BenchSuite } from './suite.js';
import { PANEL_SCHEMA_COLUMNS, prng, syntheticPanel, syntheticVcf } from './synthetic-vcf.js';

const SITES = ['a', 'b', 'c'];
const PER_SITE = 100;
const SEED = 2026;
const CASES = "status = 'case'";
const CONTROLS = "status = 'control'";
const BY = ['super_pop', 'gender'];
/** The node's minimum population (network init's default): each site needs at least this many of each group. */
const K = 5;
/** GB of V8 heap a full run needs (the stratified answer: 11.3M rows in this process). */
const FULL_HEAP_GB = 12;

const SCHEMA = parsePhenotypeSchema({
  format: SCHEMA_FORMAT,
  version: 1,
  columns: [
    ...PANEL_SCHEMA_COLUMNS,
    { name: 'status', type: 'categorical', values: ['case', 'control'], description: 'bench only: drawn at random, no genotype effect' },
  ],
});

interface Sample {
  readonly id: string;
  readonly superPop: string;
  readonly gender: string;
  readonly status: 'case' | 'control';
  readonly line: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The synthetic 1000G-shaped panel plus a `status` column, drawn from its own stream. */
function panel(samples: number): { header: string; rows: Sample[] } {
  const [header, ...lines] = syntheticPanel(samples, SEED).trim().split('\n');
  const rand = prng(SEED ^ 0xca5e);
  const rows = lines.map((line): Sample => {
    const [id, , superPop, gender] = line.split('\t');
    const status = rand() < 0.5 ? 'case' : 'control';
    return { id: id!, superPop: superPop!, gender: gender!, status, line: `${line}\t${status}` };
  });
  return { header: `${header!}\tstatus`, rows };
}

/**
 * Run a command (no shell); stdout straight into a file descriptor (a file,
 * or /dev/null: nothing passes through this process, so a tool's time is
 * its own); reject with the head of its stderr on failure.
 */
function run(cmd: string, args: readonly string[], stdoutTo = '/dev/null'): Promise<void> {
  const fd = openSync(stdoutTo, 'w');
  return new Promise<void>((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { if (err.length < 2000) err += b.toString(); });
    child.once('error', rej);
    child.once('close', (code) => (code === 0 ? res() : rej(new Error(`bench: ${cmd} ${args[0] ?? ''} failed (exit ${code}): ${err.slice(0, 500)}`))));
  }).finally(() => closeSync(fd));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A site's share of the pooled VCF: its sample columns, every record (as PLINK sees the pooled file), streamed. */
function siteSource(pooled: string, list: string, site: string, variants: number): IngestSource {
  return {
    label: `site-${site}.vcf`,
    contentId: `synthetic:seed=${SEED}:${variants}:site=${site}`,
    open: async () => {
      const child = spawn('bcftools', ['view', '--no-version', '-S', list, '-Ov', pooled], { stdio: ['ignore', 'pipe', 'inherit'] });
      let bytes = 0;
      child.stdout.on('data', (b: Buffer) => { bytes += b.length; });
      return { stream: child.stdout, bytesRead: () => bytes, sizeOnDisk: 0 };
    },
  };
}

/**
 * AC (per ALT), AN and nhomalt (AC_Hom / 2) at the given positions, by
 * `pos:ref:alt`, for all samples ('') and each group of a sample->group
 * file (bcftools 1.16 `-S` refuses sample names under 3 characters; ours have 9).
 */
async function bcftoolsCounts(pooled: string, groupsFile: string, groups: readonly string[], positions: readonly number[], out: string): Promise<Map<string, Map<string, { ac: number; an: number; nhomalt: number }>>> {
  const tags = (g: string): string => (g === '' ? '\t%AC\t%AN\t%AC_Hom' : `\t%AC_${g}\t%AN_${g}\t%AC_Hom_${g}`);
  const all = ['', ...groups];
  const filled = `${out}.bcf`;
  const regions = [...new Set(positions)].sort((a, b) => a - b).map((p) => `22:${p}`).join(',');
  await run('bcftools', ['+fill-tags', pooled, '-r', regions, '-Ob', '-o', filled, '--', '-S', groupsFile, '-t', 'AC,AN,AC_Hom']);
  await run('bcftools', ['query', '-f', `%POS\\t%REF\\t%ALT${all.map(tags).join('')}\\n`, filled], out);
  const result = new Map<string, Map<string, { ac: number; an: number; nhomalt: number }>>();
  for (const line of (await readFile(out, 'utf8')).split('\n').filter(Boolean)) {
    const [pos, ref, alts, ...f] = line.split('\t');
    alts!.split(',').forEach((alt, j) => {
      const byGroup = new Map<string, { ac: number; an: number; nhomalt: number }>();
      all.forEach((g, i) => {
        const ac = Number(f[3 * i]!.split(',')[j]);
        const hom = Number(f[3 * i + 2]!.split(',')[j]);
        byGroup.set(g, { ac, an: Number(f[3 * i + 1]), nhomalt: hom / 2 });
      });
      result.set(`${pos!}:${ref!}:${alt}`, byGroup);
    });
  }
  return result;
}

/** A released count agrees with the plaintext: equal, or a bound that holds (`<k`, or `<2k` for a whole row under k people; `>N`). */
function releasedAgrees(released: ReleasedCount, truth: number): boolean {
  if (typeof released === 'number') return released === truth;
  const m = /^([<>])(\d+)$/.exec(released);
  if (!m) return false;
  return m[1] === '<' ? truth < Number(m[2]) : truth > Number(m[2]);
}

/** Evenly spaced picks from a list (a handful that is not only the first rows). */
function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * (xs.length - 1)) / Math.max(1, n - 1))]!);
}

/** PLINK's .assoc rows by BP: A1, A2 and the printed CHISQ. */
async function plinkAssoc(file: string): Promise<Map<number, { a1: string; a2: string; chisq: string }>> {
  const [header, ...rows] = (await readFile(file, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(/\s+/));
  const col = (name: string): number => header!.indexOf(name);
  const [bp, a1, a2, chisq] = [col('BP'), col('A1'), col('A2'), col('CHISQ')];
  if ([bp, a1, a2, chisq].some((i) => i < 0)) throw new Error('bench: PLINK .assoc header lacks BP, A1, A2 or CHISQ');
  return new Map(rows.map((r) => [Number(r[bp]), { a1: r[a1]!, a2: r[a2]!, chisq: r[chisq]! }]));
}

/** What the measured rounds share. */
interface Round {
  readonly f: Federation;
  readonly scratch: string;
  readonly pooled: string;
  readonly caseControl: string;
  readonly strataGroups: string;
  readonly groups: readonly string[];
  readonly plinkVcf: readonly string[];
  readonly plinkAssoc: readonly string[];
  readonly bed: string;
  measure<T>(name: string, label: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The association query, then PLINK from the VCF and from the .bed; on the
 * first round the network table of a handful of variants is checked
 * against bcftools and PLINK. Returns no rows: a 1M-variant answer is
 * dropped before the stratified query needs the heap.
 */
async function associationRound(r: Round, check: boolean): Promise<{ rows: number; lambda: number | null; sanity?: { rows: number; plinkChisq: number; released: number[] } }> {
  const a = await r.measure('assoc', 'association query', () => r.f.run(association, { cases: CASES, controls: CONTROLS, region: '22', querier: 'bench' }));
  await r.measure('plink', 'plink1.9 --vcf --assoc', () => run('plink1.9', [...r.plinkVcf, ...r.plinkAssoc, '--out', join(r.scratch, 'vcf-assoc')]));
  await r.measure('plinkBed', 'plink1.9 --bfile --assoc', () => run('plink1.9', ['--bfile', r.bed, ...r.plinkAssoc, '--out', join(r.scratch, 'bed-assoc')]));
  if (!check) return { rows: a.rows.length, lambda: a.lambda };

  const counts = (x: AssociationRow): ReleasedCount[] => [x.ac_cases, x.an_cases, x.ac_controls, x.an_controls];
  const released = a.rows.filter((x) => x.p !== null && counts(x).every((c) => typeof c === 'number'));
  const bounded = a.rows.filter((x) => counts(x).some((c) => typeof c === 'string'));
  if (released.length < 10) throw new Error(`bench: only ${released.length} association rows released every count; the sanity check needs 10`);
  // The most significant rows, some spread over the contig, and a few with a count released as a bound.
  const picked = [...released.slice(0, 3), ...spread(released.slice(3), 7), ...spread(bounded, 3)];
  const truth = await bcftoolsCounts(r.pooled, r.caseControl, ['case', 'control'], picked.map((x) => x.pos), join(r.scratch, 'cc-truth.tsv'));
  const plink = await plinkAssoc(join(r.scratch, 'vcf-assoc.assoc'));
  let plinkChisq = 0;
  for (const x of picked) {
    const key = `${x.pos}:${x.ref}:${x.alt}`;
    const c = truth.get(key)?.get('case');
    const u = truth.get(key)?.get('control');
    if (!c || !u) throw new Error(`bench: association row 22:${key} has no record in the pooled file`);
    const pairs = counts(x).map((ours, i) => [ours, [c.ac, c.an, u.ac, u.an][i]!] as const);
    if (!pairs.every(([ours, plain]) => releasedAgrees(ours, plain))) {
      throw new Error(`bench: association network table at 22:${key} is [${pairs.map((q) => q[0]).join(', ')}], plaintext on the pooled file [${pairs.map((q) => q[1]).join(', ')}]`);
    }
    // PLINK keeps one ALT of a multi-allelic record (the most common one), so only biallelic records are compared.
    const multiallelic = [...truth.keys()].some((k) => k.startsWith(`${x.pos}:`) && k !== key);
    const p = plink.get(x.pos);
    if (x.chisq !== null && p && !multiallelic && p.a1 === x.alt && p.a2 === x.ref) {
      if (!agreesWithPrinted(x.chisq, p.chisq)) throw new Error(`bench: association chi-square at 22:${key} is ${x.chisq}, PLINK printed ${p.chisq}`);
      plinkChisq += 1;
    }
  }
  if (plinkChisq < 5) throw new Error(`bench: only ${plinkChisq} association chi-squares could be compared with PLINK`);
  return { rows: a.rows.length, lambda: a.lambda, sanity: { rows: picked.length, plinkChisq, released: spread(released.map((x) => x.pos), 5) } };
}

/** The stratified AF query, then bcftools; on the first round the released counts at `positions` are checked per group. */
async function strataRound(r: Round, positions: readonly number[] | null): Promise<{ rows: number; heapMb: number; checked?: number }> {
  const answer = await r.measure('strata', `AF query by ${BY.join(', ')}`, () => r.f.alleleFrequency({ region: '22', by: BY, querier: 'bench' }));
  // With the answer alive: what holding it costs the coordinator (its transient peak, while the rows are built, is higher).
  const heapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  await r.measure('bcftools', 'bcftools +fill-tags -S', () => run('bcftools', ['+fill-tags', r.pooled, '-Ou', '--', '-S', r.strataGroups, '-t', 'AC,AN,AC_Hom']));
  if (!positions) return { rows: answer.rows.length, heapMb };
  const truth = await bcftoolsCounts(r.pooled, r.strataGroups, r.groups, positions, join(r.scratch, 'strata-truth.tsv'));
  const wanted = new Set(positions);
  let checked = 0;
  for (const x of answer.rows) {
    if (!wanted.has(x.pos)) continue;
    const s = x.strata ?? {};
    const group = s['super_pop'] === 'all' ? '' : `${s['super_pop']!}_${s['gender']!}`;
    // A cell with no sample has no bcftools tags; its network counts are 0.
    const plain = truth.get(`${x.pos}:${x.ref}:${x.alt}`)?.get(group) ?? { ac: 0, an: 0, nhomalt: 0 };
    const pairs = [[x.ac, plain.ac], [x.an, plain.an], [x.nhomalt, plain.nhomalt]] as const;
    if (!pairs.every(([ours, p]) => releasedAgrees(ours, p))) {
      throw new Error(`bench: strata row 22:${x.pos}:${x.ref}:${x.alt} [${group || 'all'}] is [${pairs.map((q) => q[0]).join(', ')}], plaintext [${pairs.map((q) => q[1]).join(', ')}]`);
    }
    checked += pairs.filter(([ours]) => typeof ours === 'number').length;
  }
  if (checked < 20) throw new Error(`bench: only ${checked} strata counts were released to compare`);
  return { rows: answer.rows.length, heapMb, checked };
}

export const suite: BenchSuite = {
  name: 'assoc',
  description: 'case-control association over 3 node processes vs plink1.9 --assoc on the pooled file; stratified AF vs bcftools +fill-tags -S',
  async run({ log, quick, scratch }) {
    const variants = quick ? 50_000 : 1_000_000;
    // The stratified answer of 1M variants (11.3M rows) is built in this process; at V8's default ~4 GB heap it
    // ran out of memory after 16 min (measured), so a full run checks the limit before it starts.
    const heapGb = getHeapStatistics().heap_size_limit / 2 ** 30;
    if (!quick && heapGb < FULL_HEAP_GB) {
      throw new Error(`bench assoc: the full run needs a heap of >= ${FULL_HEAP_GB} GB for the stratified answer (11.3M rows); this process has ${heapGb.toFixed(1)} GB: run it through npm run bench (node --max-old-space-size=${FULL_HEAP_GB * 1024}), or with --quick`);
    }
    // Full runs: the stratified query takes minutes on the shared 2-core machine, so it runs once; the
    // association query (seconds) runs 3 times, after one untimed-in-the-median cold query (assoc_cold_ms).
    const repeats = 3;
    const strataRepeats = quick ? 3 : 1;
    const samples = SITES.length * PER_SITE;
    const pooled = join(scratch, 'pooled.vcf.gz');
    const t = performance.now();
    await pipeline(syntheticVcf({ samples, variants, seed: SEED, contig: '22', bgzip: true }), createWriteStream(pooled));
    await run('bcftools', ['index', '-f', pooled]);
    const { header, rows: people } = panel(samples);
    const layout = await networkInit({ sites: SITES, out: join(scratch, 'net'), preset: 'default', basePort: 0, schema: SCHEMA });
    for (const [i, site] of SITES.entries()) {
      const mine = people.slice(i * PER_SITE, (i + 1) * PER_SITE);
      const cases = mine.filter((p) => p.status === 'case').length;
      if (cases < K || mine.length - cases < K) throw new Error(`bench: site ${site} holds ${cases} cases and ${mine.length - cases} controls; each needs >= ${K}`);
      const list = join(scratch, `${site}.samples`);
      const table = join(scratch, `${site}.phenotypes.tsv`);
      await writeFile(list, `${mine.map((p) => p.id).join('\n')}\n`);
      await writeFile(table, `${[header, ...mine.map((p) => p.line)].join('\n')}\n`);
      await ingest(layout.siteStores[site]!, { rawIds: true, sources: [siteSource(pooled, list, site, variants)], phenotypes: table, schema: SCHEMA });
    }
    // The pooled file's groups (bcftools -S: sample, group) and PLINK's phenotype (FID IID, 2 = case, 1 = control).
    const caseControl = join(scratch, 'case-control.groups');
    const strataGroups = join(scratch, 'strata.groups');
    const pheno = join(scratch, 'pheno.txt');
    await writeFile(caseControl, people.map((p) => `${p.id}\t${p.status}\n`).join(''));
    await writeFile(strataGroups, people.map((p) => `${p.id}\t${p.superPop}_${p.gender}\n`).join(''));
    await writeFile(pheno, people.map((p) => `${p.id}\t${p.id}\t${p.status === 'case' ? 2 : 1}\n`).join(''));
    const nCases = people.filter((p) => p.status === 'case').length;
    log(`set-up: ${variants.toLocaleString('en')} variants x ${samples} samples (${PER_SITE} per site; ${nCases} cases, ${samples - nCases} controls), split + ingest ${Math.round(performance.now() - t)} ms`);

    // PLINK: --double-id (FID = IID = the VCF id), --keep-allele-order (A1 = ALT, as our OR),
    // --allow-no-sex (a VCF carries no sex; without it PLINK drops every sample's phenotype).
    const plinkVcf = ['--vcf', pooled, '--double-id', '--keep-allele-order', '--vcf-half-call', 'missing'];
    const bed = join(scratch, 'pooled');
    const plinkMakeBedMs = await timed(() => run('plink1.9', [...plinkVcf, '--make-bed', '--out', bed]));
    const passed = /(\d+) variants? and \d+ people pass filters/.exec(await readFile(`${bed}.log`, 'utf8'));

    const children: ChildProcess[] = [];
    let federation: Federation | undefined;
    try {
      const config = await startSiteNodes(layout, SITES, children);
      // GENOFED_BENCH_NODE_LOG=info: the coordinator's and the nodes' per-query timings on stderr.
      federation = await createFederation(config, { logger: pino({ level: process.env.GENOFED_BENCH_NODE_LOG ?? 'warn' }, pino.destination(2)) });
      const f = federation;
      // Warm-up: connections and SEAL contexts (a one-variant list reaches phase 2 whatever the store holds).
      const one = [{ chrom: '22', pos: 1, ref: 'A', alt: 'C' }];
      await f.run(association, { cases: CASES, controls: CONTROLS, variants: one, querier: 'bench' });
      await f.alleleFrequency({ variants: one, by: BY, querier: 'bench' });

      const ms: Record<string, number[]> = { assoc: [], plink: [], plinkBed: [], strata: [], bcftools: [] };
      const r: Round = {
        f, scratch, pooled, caseControl, strataGroups, bed, plinkVcf,
        plinkAssoc: ['--pheno', pheno, '--allow-no-sex', '--assoc'],
        groups: [...new Set(people.map((p) => `${p.superPop}_${p.gender}`))],
        async measure(name, label, fn) {
          const t0 = performance.now();
          const out = await fn();
          ms[name]!.push(performance.now() - t0);
          // One line per measurement: a full run takes many minutes, and a figure is worth seeing as soon as it exists.
          log(`  run ${ms[name]!.length}: ${label} ${Math.round(performance.now() - t0)} ms`);
          return out;
        },
      };
      // The first query that reads genotypes builds each node's record cache (as the federation suite's cold
      // cohort query): timed on its own, as the federation suite does, and not in the median.
      const t0 = performance.now();
      await f.run(association, { cases: CASES, controls: CONTROLS, region: '22', querier: 'bench' });
      const assocColdMs = performance.now() - t0;
      log(`  association query, cold (record caches built): ${Math.round(assocColdMs)} ms`);
      let assoc = await associationRound(r, true);
      const sanity = assoc.sanity!;
      let strata = await strataRound(r, sanity.released);
      const strataChecked = strata.checked!;
      // Further rounds interleaved, so background load on the shared machine hits every tool alike.
      for (let i = 1; i < repeats; i++) {
        assoc = await associationRound(r, false);
        if (i < strataRepeats) strata = await strataRound(r, null);
      }

      const m = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)])) as Record<string, number>;
      return {
        variants,
        sites: SITES.length,
        samples_per_site: PER_SITE,
        cases: nCases,
        controls: samples - nCases,
        association_rows: assoc.rows,
        plink_variants: passed ? Number(passed[1]) : null,
        assoc_ms: Math.round(m['assoc']!),
        assoc_cold_ms: Math.round(assocColdMs),
        plink_assoc_ms: Math.round(m['plink']!),
        plink_bed_assoc_ms: Math.round(m['plinkBed']!),
        plink_make_bed_ms: Math.round(plinkMakeBedMs),
        assoc_vs_plink: Number((m['assoc']! / m['plink']!).toFixed(2)),
        assoc_vs_plink_bed: Number((m['assoc']! / m['plinkBed']!).toFixed(2)),
        strata_ms: Math.round(m['strata']!),
        strata_rows: strata.rows,
        strata_heap_mb: strata.heapMb,
        bcftools_strata_ms: Math.round(m['bcftools']!),
        strata_vs_bcftools: Number((m['strata']! / m['bcftools']!).toFixed(2)),
        lambda: assoc.lambda === null ? null : Number(assoc.lambda.toFixed(3)),
        sanity_assoc_rows: sanity.rows,
        sanity_plink_chisq: sanity.plinkChisq,
        sanity_strata_counts: strataChecked,
        runs: repeats,
        strata_runs: strataRepeats,
        plink_note: 'plink_assoc_ms: plink1.9 --vcf ... --assoc, includes PLINK\'s VCF -> bed conversion; plink_bed_assoc_ms: --bfile ... --assoc from a prepared .bed (conversion excluded, like the pre-ingested genofed stores)',
        timings_ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v.map(Math.round)])),
      };
    } finally {
      await federation?.close();
      await stopNodeProcesses(children);
    }
  },
};
