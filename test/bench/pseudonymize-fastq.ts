/**
 * FASTQ pseudonymization against `seqkit replace` renaming the same reads
 * (issue 13 target: fastq_vs_seqkit <= 1.5), in the same run.
 *
 * Input: a gzip (not BGZF, as bcl2fastq/BCL Convert write it) paired FASTQ
 * generated into the scratch folder: the 7,097 real airway read pairs
 * (test/fixtures/fastq) cycled under unique synthetic Casava 1.8 names
 * (`@A00123:8:H5KJ2DSXX:<lane>:<tile>:<x>:<y> 1:N:0:ACGTACGT+TTGCAAGG`),
 * 800,000 pairs (80,000 with --quick): ~150 MB uncompressed per file.
 *
 * Ours: pseudonymizeFastqFiles on the pair (keyed HMAC per spot, mates
 * checked in step, BGZF out with worker deflate).
 * Theirs: for R1 then R2, `seqkit replace -p '^(\S+) ([1-4]:[YN]:\d+):\S+$'
 * -r '{kv} ${2}' -k map.tsv -o OUT.fastq.gz IN.fastq.gz`: a regex over each
 * name line, the spot name looked up in a precomputed name -> pseudonym
 * table (our pseudonyms, computed untimed), the index barcode dropped, gzip
 * out (seqkit's default level). seqkit neither pairs mates nor computes
 * anything keyed, so this is a floor. Both outputs decompress to the same
 * bytes (checked), so the work compared is the same.
 *
 * Median wall time of REPEATS runs is compared, and process CPU time
 * (ours: process.cpuUsage, including deflate workers; seqkit: bash `time`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pseudonymizeFastqFiles } from '../../node/pseudonymize/fastq/pseudonymize-fastq.js';
import { Pseudonymizer } from '../../node/pseudonymize/pseudonym.js';
import { generateSiteKey } from '../../node/pseudonymize/site-key.js';
import type { BenchContext } from './suite.js';

const FIXTURE = resolve(import.meta.dirname, '../../../test/fixtures/fastq');
const FIXTURE_TS = resolve(import.meta.dirname, '../fixtures/fastq');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 2): number => Number(x.toFixed(d));

/** Sequence and quality pairs of a fixture file (BGZF, read with gunzip). */
function reads(path: string): Array<[string, string]> {
  const lines = gunzipSync(readFileSync(path)).toString('latin1').split('\n');
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 3 < lines.length; i += 4) out.push([lines[i + 1]!, lines[i + 3]!]);
  return out;
}

/** Write `pairs` records per file with synthetic Casava names; returns the spot names in order. */
async function buildPair(dir: string, pairs: number, r1: string, r2: string): Promise<string[]> {
  const fixture = await stat(FIXTURE).then(() => FIXTURE, () => FIXTURE_TS);
  const a = reads(join(fixture, 'airway_SRR1039508_subset_R1.fastq.gz'));
  const b = reads(join(fixture, 'airway_SRR1039508_subset_R2.fastq.gz'));
  const names: string[] = [];
  for (let i = 0; i < pairs; i++) names.push(`A00123:8:H5KJ2DSXX:${1 + (i % 4)}:${1101 + (Math.floor(i / 4) % 2500)}:${1000 + ((i * 7919) % 31000)}:${1000 + Math.floor(i / 10000)}`);
  const write = async (path: string, mate: 1 | 2, src: Array<[string, string]>): Promise<void> => {
    const gen = function* (): Generator<string> {
      for (let i = 0; i < pairs; i += 10000) {
        let s = '';
        for (let k = i; k < Math.min(pairs, i + 10000); k++) {
          const [seq, qual] = src[k % src.length]!;
          s += `@${names[k]} ${mate}:N:0:ACGTACGT+TTGCAAGG\n${seq}\n+\n${qual}\n`;
        }
        yield s;
      }
    };
    await pipeline(Readable.from(gen()), createGzip({ level: 6 }), createWriteStream(join(dir, path)));
  };
  await write(r1, 1, a);
  await write(r2, 2, b);
  return names;
}

/** Wall and CPU (user + sys of the children) milliseconds of a bash command. */
function timeBash(cmd: string): { wallMs: number; cpuMs: number } {
  const out = execFileSync('bash', ['-c', `TIMEFORMAT='%3R %3U %3S'; time ( ${cmd} ) 2>&1 >/dev/null`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [r, u, s] = out.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  return { wallMs: r * 1000, cpuMs: (u + s) * 1000 };
}

async function decompressedSha(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), createGunzip(), async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) h.update(c);
  });
  return h.digest('hex');
}

export async function benchFastq(ctx: BenchContext): Promise<Record<string, number>> {
  const pairs = ctx.quick ? 80_000 : 800_000;
  const repeats = ctx.quick ? 1 : 3;
  const dir = ctx.scratch;
  const names = await buildPair(dir, pairs, 'in_R1.fastq.gz', 'in_R2.fastq.gz');
  const key = generateSiteKey();
  // seqkit's table: the same pseudonyms we compute, so both outputs must decompress to the same bytes.
  const p = new Pseudonymizer(key, 'read');
  const map = join(dir, 'map.tsv');
  await pipeline(Readable.from((function* () {
    for (let i = 0; i < names.length; i += 10000) yield names.slice(i, i + 10000).map((n) => `${n}\t${p.pseudonym(n)}\n`).join('');
  })()), createWriteStream(map));
  const plainMb = (2 * (await decompressedBytes(join(dir, 'in_R1.fastq.gz')))) / 1e6;
  ctx.log(`  FASTQ: ${pairs} pairs, ${plainMb.toFixed(0)} MB uncompressed (2 files, gzip)`);
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await pseudonymizeFastqFiles({ input: join(dir, 'in_R1.fastq.gz'), input2: join(dir, 'in_R2.fastq.gz'), output: join(dir, 'ours_R1.fastq.gz'), output2: join(dir, 'ours_R2.fastq.gz'), key, overwrite: true });
    ours.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1000);
    if (report.records !== pairs) throw new Error('bench: record count mismatch');
    const seqkit = (mate: number): string => `seqkit replace -p '^(\\S+) ([1-4]:[YN]:\\d+):\\S+$' -r '{kv} \${2}' -k '${map}' -o '${join(dir, `seqkit_R${mate}.fastq.gz`)}' '${join(dir, `in_R${mate}.fastq.gz`)}' 2>/dev/null`;
    const t = timeBash(`${seqkit(1)} && ${seqkit(2)}`);
    theirs.push(t.wallMs);
    theirsCpu.push(t.cpuMs);
  }
  for (const m of [1, 2]) {
    if ((await decompressedSha(join(dir, `ours_R${m}.fastq.gz`))) !== (await decompressedSha(join(dir, `seqkit_R${m}.fastq.gz`)))) throw new Error(`bench: our R${m} and seqkit's differ after decompression`);
  }
  const oursMs = median(ours);
  const seqMs = median(theirs);
  ctx.log(`  ours ${oursMs.toFixed(0)} ms wall / ${median(oursCpu).toFixed(0)} ms CPU; seqkit replace (R1 then R2) ${seqMs.toFixed(0)} ms wall / ${median(theirsCpu).toFixed(0)} ms CPU; load average ${loadavg()[0]!.toFixed(1)}`);
  return {
    fastq_vs_seqkit: round(oursMs / seqMs),
    fastq_cpu_vs_seqkit: round(median(oursCpu) / median(theirsCpu)),
    fastq_pairs: pairs,
    fastq_input_mb: round(plainMb, 0),
    fastq_ms: Math.round(oursMs),
    seqkit_ms: Math.round(seqMs),
    fastq_load_average: round(loadavg()[0]!, 1),
  };
}

async function decompressedBytes(path: string): Promise<number> {
  let n = 0;
  await pipeline(createReadStream(path), createGunzip(), async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) n += c.length;
  });
  return n;
}

