/**
 * Read a (plain, gzip or BGZF) VCF as text lines for the demo's splitter.
 * The coordinator may not import node/io (dependency rule), and the demo
 * needs only lines, so this is the 30-line version: gunzip when the file
 * starts with the gzip magic (BGZF is multi-member gzip, which gunzip reads).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CoordinatorError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${basename(path)}: cannot open input file`, { cause }), path);
  });
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Lines without their newline; errors name the file by basename only. */
export async function* vcfLines(path: string, signal?: AbortSignal): AsyncGenerator<string> {
  const gz = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: Readable = raw;
  if (gz) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', (e) => gunzip.destroy(e));
    stream = raw.pipe(gunzip);
  }
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      signal?.throwIfAborted();
      yield line;
    }
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${basename(path)}: cannot read input (truncated or corrupt compressed data?)`, { cause }), path);
  } finally {
    rl.close();
    stream.destroy();
    raw.destroy();
  }
}

/** Sample ids of the #CHROM line (reads only the header). */
export async function vcfSampleIds(path: string): Promise<string[]> {
  for await (const line of vcfLines(path)) {
    if (line.startsWith('#CHROM')) return line.split('\t').slice(9);
    if (!line.startsWith('#')) break;
  }
  throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${basename(path)}: no #CHROM header line`), path);
}

/**
 * The data lines at some positions (any contig) of each VCF, each with its
 * file's sample ids: the few records the demo's section checks recount.
 * Only the POS field of the other lines is looked at.
 */
export async function recordsAt(paths: readonly string[], positions: ReadonlySet<number>, signal?: AbortSignal): Promise<{ samples: string[]; line: string }[]> {
  const out: { samples: string[]; line: string }[] = [];
  if (positions.size === 0) return out;
  for (const path of paths) {
    let samples: string[] = [];
    for await (const line of vcfLines(path, signal)) {
      if (line.startsWith('#')) {
        if (line.startsWith('#CHROM')) samples = line.split('\t').slice(9);
        continue;
      }
      const a = line.indexOf('\t');
      const b = line.indexOf('\t', a + 1);
      if (a > 0 && b > a && positions.has(Number(line.slice(a + 1, b)))) out.push({ samples, line });
    }
  }
  return out;
}
