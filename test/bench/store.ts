/**
 * `npm run bench -- --suite store [--quick] [--json]`
 *
 * - ingest_vs_bcftools: our ingest time / `bcftools +fill-tags -Ob` time on
 *   the same 2,504-sample 1000G file (IL2RA window, the largest), same run.
 * - cohort_query_speedup: `bcftools view -S EUR | bcftools +fill-tags` time /
 *   our cohort AF query over the whole store (the same file).
 * - layout: the chosen per-record BLOB layout vs a rows-per-carrier DuckDB
 *   table aggregated in SQL (ingest time, bytes, cohort AC query).
 * - scale: a synthetic VCF (neutral SFS, most variants rare) streamed
 *   straight into ingest: ingest time vs `bcftools +fill-tags` on the same
 *   text (the generator piped into it), bytes on disk per genotype,
 *   whole-store and cohort AF query time, and growth from a base point to
 *   10x the samples and to 10x the variants (full: 10,000 x 100,000 base,
 *   100,000 samples x 100,000 variants, 10,000 x 1,000,000; quick: 1,000 x
 *   10,000, 10,000 x 10,000, 1,000 x 100,000). `--suite store-scale` runs
 *   only these; `--suite store` runs them with --quick or --full.
 *   GENOFED_BENCH_STORE_REAL=1 runs only the two real files (ingest and
 *   cohort queries), for iterating on them.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ingest, openStore, type IngestSource } from '../../node/store/index.js';
import { readVcfFile } from '../../node/vcf/index.js';
import type { BenchContext, BenchSuite } from './suite.js';
import { syntheticPanel, syntheticVcf } from './synthetic-vcf.js';

const FIX = resolve(import.meta.dirname, '../../../test/fixtures');
const IL2RA = join(FIX, 'vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');
const MTHFR = join(FIX, 'vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz');
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of a shell pipeline in seconds (bash, pipefail). */
function timeShell(cmd: string): number {
  const t = performance.now();
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${cmd}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`bench: command failed: ${cmd}\n${r.stderr.toString().slice(0, 500)}`);
  return (performance.now() - t) / 1000;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Ingest vs bcftools and cohort query vs bcftools on one real 2,504-sample file. */
async function realFile(ctx: BenchContext, vcf: string, tag: string, reps: number): Promise<Record<string, number>> {
  const eur = join(ctx.scratch, 'eur.txt');
  const panel = (await import('node:fs')).readFileSync(PANEL, 'utf8');
  await writeFile(eur, `${panel.split('\n').slice(1).map((l) => l.split('\t')).filter((f) => f[2] === 'EUR').map((f) => f[0]).join('\n')}\n`);
  const bcfIngest: number[] = [];
  const ours: number[] = [];
  let dir = '';
  for (let i = 0; i < reps; i++) {
    bcfIngest.push(timeShell(`bcftools +fill-tags '${vcf}' -Ob -o '${join(ctx.scratch, 'x.bcf')}' -- -t AC,AN,AC_Hom`));
    dir = join(ctx.scratch, `${tag}-store-${i}`);
    ours.push(await timeAsync(() => ingest(dir, { rawIds: true, vcfs: [vcf], phenotypes: PANEL })));
  }
  const bcfCohort: number[] = [];
  for (let i = 0; i < reps; i++) {
    bcfCohort.push(timeShell(`bcftools view -S '${eur}' --force-samples '${vcf}' -Ou | bcftools +fill-tags -Ou -- -t AC,AN,AC_Hom > /dev/null`));
  }
  const store = await openStore(dir, { readOnly: true });
  const q: number[] = [];
  const all: number[] = [];
  let cold = 0;
  try {
    // First query after open: reads DuckDB (and fills the Store's record cache).
    cold = await timeAsync(() => store.alleleCounts({ cohort: 'super_pop=EUR' }));
    for (let i = 0; i < 3 * reps + 2; i++) {
      q.push(await timeAsync(() => store.alleleCounts({ cohort: 'super_pop=EUR' })));
      all.push(await timeAsync(() => store.alleleCounts({})));
    }
  } finally {
    await store.close();
  }
  const r = {
    ingest_s: median(ours),
    bcftools_filltags_s: median(bcfIngest),
    ingest_vs_bcftools: median(ours) / median(bcfIngest),
    cohort_query_s: median(q),
    cohort_query_cold_s: cold,
    cohort_query_speedup_cold: median(bcfCohort) / cold,
    whole_store_query_s: median(all),
    bcftools_cohort_s: median(bcfCohort),
    cohort_query_speedup: median(bcfCohort) / median(q),
    store_bytes: await dirBytes(dir),
  };
  ctx.log(`${tag}: ingest ${r.ingest_s.toFixed(2)} s vs bcftools +fill-tags -Ob ${r.bcftools_filltags_s.toFixed(2)} s (ratio ${r.ingest_vs_bcftools.toFixed(2)}); ` +
    `EUR cohort query ${(r.cohort_query_s * 1000).toFixed(1)} ms warm, ${(r.cohort_query_cold_s * 1000).toFixed(1)} ms first after open, vs bcftools view -S | +fill-tags ${r.bcftools_cohort_s.toFixed(2)} s (speedup ${r.cohort_query_speedup.toFixed(1)}x)`);
  return r;
}

/** The alternative layout: one DuckDB row per listed genotype, aggregated in SQL. */
async function rowsLayout(ctx: BenchContext, vcf: string): Promise<Record<string, number>> {
  const file = join(ctx.scratch, 'rows-layout.duckdb');
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  try {
    await c.run('CREATE TABLE carriers (rid INTEGER, col SMALLINT, a1 TINYINT, a2 TINYINT)');
    await c.run('CREATE TABLE cohort (col SMALLINT)');
    const panel = (await import('node:fs')).readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const t0 = performance.now();
    const reader = await readVcfFile(vcf, { strict: false });
    const eurIds = new Set(panel.filter((f) => f[2] === 'EUR').map((f) => f[0]));
    const app = await c.createAppender('carriers');
    let rid = 0;
    for await (const batch of reader.variants()) {
      for (const v of batch) {
        for (let k = 0; k < v.sample.length; k++) {
          const o = v.offset[k]!;
          const p = v.offset[k + 1]! - o;
          app.appendInteger(rid);
          app.appendSmallInt(v.sample[k]!);
          app.appendTinyInt(p >= 1 ? v.alleles[o]! : -2);
          app.appendTinyInt(p >= 2 ? v.alleles[o + 1]! : -2);
          app.endRow();
        }
        rid++;
      }
    }
    app.closeSync();
    await c.run('CHECKPOINT');
    const ingestS = (performance.now() - t0) / 1000;
    const capp = await c.createAppender('cohort');
    reader.header.samples.forEach((id, col) => { if (eurIds.has(id)) { capp.appendSmallInt(col); capp.endRow(); } });
    capp.closeSync();
    const sql = 'SELECT rid, sum((a1 = 1)::INT + (a2 = 1)::INT) AS ac, sum((a1 >= 0)::INT + (a2 >= 0)::INT) AS called, count(*) AS listed FROM carriers JOIN cohort USING (col) GROUP BY rid ORDER BY rid';
    await c.runAndReadAll(sql);
    const q: number[] = [];
    for (let i = 0; i < 5; i++) q.push(await timeAsync(() => c.runAndReadAll(sql)));
    const r = { rows_ingest_s: ingestS, rows_cohort_ac_query_s: median(q), rows_store_bytes: (await stat(file)).size };
    ctx.log(`layout rows-per-carrier: ingest ${ingestS.toFixed(2)} s, EUR AC query (AC only, SQL) ${(r.rows_cohort_ac_query_s * 1000).toFixed(1)} ms, ${(r.rows_store_bytes / 1e6).toFixed(1)} MB`);
    return r;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** One synthetic size streamed into a fresh store. */
export async function scalePoint(ctx: BenchContext, samples: number, variants: number): Promise<Record<string, number>> {
  const dir = join(ctx.scratch, `syn-${samples}x${variants}`);
  const panel = join(ctx.scratch, `syn-panel-${samples}.tsv`);
  await writeFile(panel, syntheticPanel(samples, 7));
  let bytes = 0;
  const source: IngestSource = {
    label: `synthetic_${samples}x${variants}.vcf`,
    contentId: `synthetic:seed=7:${samples}x${variants}`,
    open: async () => {
      const stream = syntheticVcf({ samples, variants, seed: 7 });
      stream.on('data', (b: Buffer) => { bytes += b.length; });
      return { stream, bytesRead: () => bytes, sizeOnDisk: 0 };
    },
  };
  // The same text (same generator, same seed) piped into bcftools: both sides pay for generating it.
  const generator = resolve(import.meta.dirname, 'synthetic-vcf.js');
  const bcftoolsS = timeShell(`'${process.execPath}' '${generator}' ${samples} ${variants} 7 | bcftools +fill-tags -Ou -o /dev/null -- -t AC,AN,AC_Hom`);
  const ingestS = await timeAsync(() => ingest(dir, { rawIds: true, sources: [source], phenotypes: panel }));
  const store = await openStore(dir, { readOnly: true });
  let wholeS = 0;
  let cohortS = 0;
  try {
    await store.alleleCounts({ cohort: 'super_pop=EUR' });
    // Medians of three: the first whole-store query builds the totals index (one scan of every record).
    const whole: number[] = [];
    const cohort: number[] = [];
    for (let i = 0; i < 3; i++) whole.push(await timeAsync(() => store.alleleCounts({})));
    for (let i = 0; i < 3; i++) cohort.push(await timeAsync(() => store.alleleCounts({ cohort: 'super_pop=EUR' })));
    wholeS = median(whole);
    cohortS = median(cohort);
  } finally {
    await store.close();
  }
  const onDisk = await dirBytes(dir);
  const r = {
    samples, variants,
    ingest_s: ingestS,
    bcftools_filltags_s: bcftoolsS,
    ingest_vs_bcftools: ingestS / bcftoolsS,
    vcf_text_bytes: bytes,
    ingest_mb_per_s: bytes / 1e6 / ingestS,
    store_bytes: onDisk,
    bytes_per_genotype: onDisk / (samples * variants),
    whole_store_query_s: wholeS,
    cohort_query_s: cohortS,
  };
  ctx.log(`scale ${samples} x ${variants}: ingest ${ingestS.toFixed(1)} s (${r.ingest_mb_per_s.toFixed(0)} MB/s of VCF text) vs bcftools +fill-tags ${bcftoolsS.toFixed(1)} s (ratio ${r.ingest_vs_bcftools.toFixed(2)}), ` +
    `${(onDisk / 1e6).toFixed(1)} MB on disk = ${r.bytes_per_genotype.toFixed(4)} B/genotype, whole-store AF ${wholeS.toFixed(2)} s, EUR cohort AF ${cohortS.toFixed(2)} s`);
  return r;
}

/** The base point, 10x its samples and 10x its variants, and the growth of each figure. */
async function scalePoints(ctx: BenchContext): Promise<Record<string, unknown>> {
  const [s, v] = ctx.quick ? [1_000, 10_000] : [10_000, 100_000];
  const base = await scalePoint(ctx, s, v);
  const samples10x = await scalePoint(ctx, 10 * s, v);
  const variants10x = await scalePoint(ctx, s, 10 * v);
  const growth = (p: Record<string, number>): Record<string, number> => Object.fromEntries(
    ['ingest_s', 'bcftools_filltags_s', 'store_bytes', 'bytes_per_genotype', 'whole_store_query_s', 'cohort_query_s'].map((k) => [k, Number((p[k]! / base[k]!).toFixed(2))]));
  const g = { samples_10x: growth(samples10x), variants_10x: growth(variants10x) };
  ctx.log(`scale growth, 10x samples: ${JSON.stringify(g.samples_10x)}`);
  ctx.log(`scale growth, 10x variants: ${JSON.stringify(g.variants_10x)}`);
  return { base, samples_10x: samples10x, variants_10x: variants10x, growth: g };
}

export const scaleSuite: BenchSuite = {
  name: 'store-scale',
  description: 'store scale points: ingest vs bcftools, bytes per genotype, whole-store and cohort AF, growth with samples and variants',
  async run(ctx) {
    return scalePoints(ctx);
  },
};

export const suite: BenchSuite = {
  name: 'store',
  description: 'store ingest and cohort AF queries vs bcftools; layout comparison; synthetic scale',
  async run(ctx) {
    const reps = ctx.quick ? 1 : 3;
    const il2ra = await realFile(ctx, IL2RA, 'IL2RA', reps);
    const mthfr = await realFile(ctx, MTHFR, 'MTHFR', reps);
    // GENOFED_BENCH_STORE_REAL=1: only the two real files (ingest, cohort queries), for iterating on them.
    const realOnly = process.env.GENOFED_BENCH_STORE_REAL === '1';
    const layout = realOnly ? 'skipped (GENOFED_BENCH_STORE_REAL=1)' : { blob_ingest_s: il2ra.ingest_s, blob_cohort_query_s: il2ra.cohort_query_s, blob_store_bytes: il2ra.store_bytes, ...(await rowsLayout(ctx, IL2RA)) };
    // The scale points take ~an hour at full size: `--full` here, or alone with `--suite store-scale`.
    const scale = realOnly ? 'skipped (GENOFED_BENCH_STORE_REAL=1)' : ctx.full || ctx.quick ? await scalePoints(ctx) : 'run with --full, or --suite store-scale';
    return {
      file: 'IL2RA 1 Mb window, 2,504 samples, 3,596 biallelic SNPs (MAF >= 5%)',
      ingest_vs_bcftools: il2ra.ingest_vs_bcftools,
      cohort_query_speedup: il2ra.cohort_query_speedup,
      cohort_query_speedup_cold: il2ra.cohort_query_speedup_cold,
      ingest_s: il2ra.ingest_s,
      bcftools_filltags_s: il2ra.bcftools_filltags_s,
      cohort_query_ms: il2ra.cohort_query_s! * 1000,
      whole_store_query_ms: il2ra.whole_store_query_s! * 1000,
      bcftools_cohort_s: il2ra.bcftools_cohort_s,
      mthfr: mthfr,
      layout,
      scale,
      note: 'wall-clock on a shared 2-core machine; ratios are measured in the same run',
    };
  },
};
