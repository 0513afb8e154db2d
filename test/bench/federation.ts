/**
 * `npm run bench -- --suite federation [--quick] [--json]`
 *
 * The same allele-frequency query over every variant of a synthetic
 * dataset (1,000,000 variants; --quick 50,000) at 3 sites, each a
 * separate node process with mTLS, encrypted end to end under the
 * `default` BFV preset with the node-side checks (size round, guards,
 * masks), and again in the plaintext measurement mode (same pipeline -
 * phase 1 union, signed envelopes, streamed variant list, store counts -
 * with masked counts sent unencrypted). Against the same run's bcftools on
 * ONE site's file (issue 11):
 * - query_ms (median, all samples) vs bcftools_filltags_ms (`bcftools
 *   +fill-tags -- -t AC,AN,AC_Hom`): query_vs_bcftools (target <= 0.5);
 * - cohort_query_ms (`super_pop = 'EUR'`, genotypes read; warm: the first
 *   one, which fills the nodes' record caches, is cohort_query_cold_ms) vs
 *   bcftools_cohort_ms (`bcftools view -S EUR | +fill-tags`):
 *   cohort_query_vs_bcftools (target <= 1.0);
 * - encrypted_vs_plaintext, bytes_per_site (answer plus the list sent to
 *   the site), node_peak_rss_mb (largest VmHWM of the node processes),
 *   coordinator_peak_rss_mb (this process: coordinator and bench, which
 *   keeps no rows: answers are streamed and checksummed),
 *   first_row_ms (time to the first row released: rows stream as the
 *   sites' chunks complete).
 * The encrypted totals are checked equal to the plaintext totals (row
 * count and a checksum of every row).
 * `--full`: 10,000,000 variants per site, one round (bounded memory).
 *
 * The 3 sites hold copies of one synthetic store of 100 samples with a
 * phenotype table (ingest of 1M variants takes ~30 s; copying keeps
 * set-up short; the bench measures queries, not ingest). The machine's
 * cores are shared by the 3 node processes, the coordinator and bcftools
 * runs one process: on 2 cores the sites do not run in parallel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { createFederation } from '../../coordinator/federation/create.js';
import type { AlleleFrequencyRequest, Federation } from '../../coordinator/federation/types.js';
import { networkInit } from '../../coordinator/network/init.js';
import { ingest } from '../../node/store/index.js';
import { startSiteNodes, stopNodeProcesses } from './node-processes.js';
import type { BenchSuite } from './suite.js';
import { parsePhenotypeSchema, SCHEMA_FORMAT } from '../../proto/phenotype-schema.js';
import { PANEL_SCHEMA_COLUMNS, syntheticPanel, syntheticVcf } from './synthetic-vcf.js';

const SCHEMA = parsePhenotypeSchema({ format: SCHEMA_FORMAT, version: 1, columns: [...PANEL_SCHEMA_COLUMNS] });
const COHORT = "super_pop = 'EUR'";

/** Run a shell pipeline (fixed text, no user input) with stdout to /dev/null; reject with the head of stderr. */
function sh(script: string): Promise<void> {
  const fd = openSync('/dev/null', 'w');
  return new Promise<void>((res, rej) => {
    const child = spawn('sh', ['-c', `set -e; ${script}`], { stdio: ['ignore', fd, 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { if (err.length < 2000) err += b.toString(); });
    child.once('error', rej);
    child.once('close', (code) => (code === 0 ? res() : rej(new Error(`bench: '${script.slice(0, 80)}' failed (exit ${code}): ${err.slice(0, 300)}`))));
  }).finally(() => closeSync(fd));
}

/** Peak resident set (VmHWM) of a process, in MB; 0 where /proc is not available. */
async function peakRssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const SITES = ['a', 'b', 'c'];

/** A streamed answer as the bench keeps it: timings, row count and a checksum of every row's key and counts (no rows held). */
interface Streamed {
  readonly ms: number;
  /** Time to the first released row. */
  readonly firstRowMs: number;
  readonly rows: number;
  /** Two 32-bit multiplicative hashes over pos, REF/ALT lengths, ac, an, nhomalt of every row, in order. */
  readonly checksum: string;
  /** Bytes of the packed list (chrom TAB pos TAB ref TAB alt LF per row) a site is sent in phase 2. */
  readonly listBytes: number;
}

/** Digits of a positive integer in base 10 (String(n).length without the string). */
function decimalDigits(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d += 1;
  return d;
}

async function streamed(f: Federation, req: AlleleFrequencyRequest): Promise<Streamed> {
  const t0 = performance.now();
  let firstRowMs = -1;
  let rows = 0;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let listBytes = 0;
  const num = (v: number | string): number => (typeof v === 'number' ? v : 0x7fffffff);
  const mix = (x: number): void => {
    h1 = Math.imul(h1 ^ x, 0x9e3779b1) >>> 0;
    h2 = Math.imul(h2 + x, 0x85ebca6b) >>> 0;
  };
  // The consumer is the bench's own cost inside query_ms: no array or string per row (an array literal and
  // String(pos) per row were ~0.25 s of a 1M-row query in the coordinator's profile).
  await f.alleleFrequencyStream(req, {
    start() {},
    rows(rs) {
      if (firstRowMs < 0) firstRowMs = performance.now() - t0;
      rows += rs.length;
      for (const r of rs) {
        mix(r.pos);
        mix(r.ref.length * 64 + r.alt.length);
        mix(num(r.ac));
        mix(num(r.an));
        mix(num(r.nhomalt));
        listBytes += r.chrom.length + decimalDigits(r.pos) + r.ref.length + r.alt.length + 4;
      }
    },
  });
  return { ms: performance.now() - t0, firstRowMs, rows, checksum: `${h1.toString(16)}:${h2.toString(16)}`, listBytes };
}
const SAMPLES = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const suite: BenchSuite = {
  name: 'federation',
  description: 'AF query over 3 node processes (mTLS, default BFV preset): encrypted end to end vs plaintext measurement mode',
  async run({ log, quick, full, scratch }) {
    const variants = quick ? 50_000 : full ? 10_000_000 : 1_000_000;
    // Three interleaved rounds (a round of 1M variants is ~45 s on the shared 2-core machine; --full: one); medians reported.
    const repeats = Number(process.env.GENOFED_BENCH_REPEATS) || (full ? 1 : 3);
    const vcf = join(scratch, 'synthetic.vcf.gz');
    let t = performance.now();
    await pipeline(syntheticVcf({ samples: SAMPLES, variants, seed: 2026, contig: '22', bgzip: true }), createWriteStream(vcf));
    const panel = syntheticPanel(SAMPLES, 2026);
    const table = join(scratch, 'phenotypes.tsv');
    await writeFile(table, panel);
    const eur = join(scratch, 'eur.samples');
    await writeFile(eur, `${panel.trim().split('\n').slice(1).map((l) => l.split('\t')).filter((c) => c[2] === 'EUR').map((c) => c[0]).join('\n')}\n`);
    const layout = await networkInit({ sites: SITES, out: join(scratch, 'net'), preset: 'default', basePort: 0, schema: SCHEMA });
    await ingest(layout.siteStores.a!, { rawIds: true, vcfs: [vcf], phenotypes: table, schema: SCHEMA });
    for (const s of SITES.slice(1)) await cp(layout.siteStores.a!, layout.siteStores[s]!, { recursive: true });
    log(`set-up: ${variants.toLocaleString('en')} variants x ${SAMPLES} samples per site, ingest + copies ${Math.round(performance.now() - t)} ms`);

    const children: ChildProcess[] = [];
    const federations: Federation[] = [];
    try {
      const config = await startSiteNodes(layout, SITES, children, full ? { maxVariants: 2 * variants } : {});
      const logger = pino({ level: 'warn' });
      const bytes: Record<string, number> = {};
      const encrypted = await createFederation(config, { logger, onSiteAnswer: (s, b) => { bytes[s] = b; } });
      const plaintext = await createFederation(config, { logger, measurementPlaintext: true });
      federations.push(encrypted, plaintext);

      const query = (f: Federation, cohort?: string): Promise<Streamed> => streamed(f, { region: '22', querier: 'bench', ...(cohort ? { cohort } : {}) });
      // Warm-up: connections, and SEAL contexts in every node and the coordinator (a variant-list
      // query reaches phase 2 whatever the store holds; a region might hold no variant).
      for (const f of [plaintext, encrypted]) await f.alleleFrequency({ variants: [{ chrom: '22', pos: 1, ref: 'A', alt: 'C' }], querier: 'bench' });
      // The warm-up's encrypted answer is one ciphertext: the size of one, for ciphertexts_per_site.
      const ciphertextBytes = bytes.a ?? 0;
      let allSampleBytes = 0;
      // The first cohort query of a node process reads every genotype into the record cache: timed apart (cold).
      const cohortColdMs = (await query(encrypted, COHORT)).ms;
      log(`  cohort query, cold (record cache built): ${Math.round(cohortColdMs)} ms`);
      const encMs: number[] = [];
      const plainMs: number[] = [];
      const bcfMs: number[] = [];
      const cohortMs: number[] = [];
      const bcfCohortMs: number[] = [];
      const firstRowMs: number[] = [];
      let cohortAnswer: Streamed | undefined;
      let encAnswer: Streamed | undefined;
      let plainAnswer: Streamed | undefined;
      // GENOFED_BENCH_PROFILE=DIR: this process (the coordinator) is profiled over the timed rounds and writes
      // DIR/coordinator.cpuprofile; the node processes write theirs when stopped (node-processes.ts).
      const profileDir = process.env.GENOFED_BENCH_PROFILE;
      const session = profileDir ? new Session() : undefined;
      if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start'); }
      for (let i = 0; i < repeats; i++) {
        // Interleave the modes so background load on the shared machine hits both alike.
        plainAnswer = await query(plaintext);
        plainMs.push(plainAnswer.ms);
        encAnswer = await query(encrypted);
        encMs.push(encAnswer.ms);
        allSampleBytes = bytes.a ?? 0;
        firstRowMs.push(encAnswer.firstRowMs);
        t = performance.now();
        await sh(`bcftools +fill-tags '${vcf}' -Ou -- -t AC,AN,AC_Hom`);
        bcfMs.push(performance.now() - t);
        cohortAnswer = await query(encrypted, COHORT);
        cohortMs.push(cohortAnswer.ms);
        t = performance.now();
        await sh(`bcftools view -S '${eur}' -Ou '${vcf}' | bcftools +fill-tags -Ou -- -t AC,AN,AC_Hom`);
        bcfCohortMs.push(performance.now() - t);
        log(`  run ${i + 1}: encrypted ${Math.round(encMs[i]!)} ms, plaintext ${Math.round(plainMs[i]!)} ms, bcftools +fill-tags ${Math.round(bcfMs[i]!)} ms; cohort ${Math.round(cohortMs[i]!)} ms, bcftools view -S | +fill-tags ${Math.round(bcfCohortMs[i]!)} ms`);
      }
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(join(profileDir!, 'coordinator.cpuprofile'), JSON.stringify(profile));
        session.disconnect();
      }
      const rows = encAnswer!.rows;
      if (encAnswer!.checksum !== plainAnswer!.checksum || rows !== plainAnswer!.rows) throw new Error('bench: encrypted and plaintext totals differ');
      if (cohortAnswer!.rows !== rows) throw new Error('bench: the cohort answer has another row count');
      const q = median(encMs);
      const p = median(plainMs);
      const b = median(bcfMs);
      const cq = median(cohortMs);
      const cb = median(bcfCohortMs);
      // The list each site was sent in phase 2: its packed lines (chrom TAB pos TAB ref TAB alt LF).
      const listBytes = encAnswer!.listBytes;
      const nodeRss = Math.max(...(await Promise.all(children.map((c) => peakRssMb(c.pid)))));
      return {
        variants,
        rows,
        sites: SITES.length,
        samples_per_site: SAMPLES,
        query_ms: Math.round(q),
        bcftools_filltags_ms: Math.round(b),
        query_vs_bcftools: Number((q / b).toFixed(2)),
        cohort_query_ms: Math.round(cq),
        bcftools_cohort_ms: Math.round(cb),
        cohort_query_vs_bcftools: Number((cq / cb).toFixed(2)),
        cohort_query_cold_ms: Math.round(cohortColdMs),
        plaintext_ms: Math.round(p),
        encrypted_vs_plaintext: Number((q / p).toFixed(2)),
        answer_bytes_per_site: allSampleBytes,
        bytes_per_site: allSampleBytes + listBytes,
        node_peak_rss_mb: nodeRss,
        coordinator_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        first_row_ms: Math.round(median(firstRowMs)),
        load_average_1m: Number(loadavg()[0]!.toFixed(1)),
        // The all-sample answer's ciphertexts (packed answers, protocol 7: two or more counts per slot).
        ciphertexts_per_site: ciphertextBytes > 0 ? Math.round(allSampleBytes / ciphertextBytes) : 0,
        totals_equal_plaintext: true,
        runs: repeats,
      };
    } finally {
      for (const f of federations) await f.close();
      await stopNodeProcesses(children);
    }
  },
};
