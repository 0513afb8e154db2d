/**
 * `--out FILE`: an answer written to a file on the researcher's machine
 * instead of stdout, BGZF-compressed when the name ends in `.gz` (so
 * `bcftools index`/`tabix` take a VCF, and any gzip reader the rest). The
 * bytes go to `FILE.partial-<pid>` first and are renamed over FILE only
 * once the whole answer was written: a query that fails half-way (a cut
 * stream) leaves no file that looks complete.
 */
import { basename } from 'node:path';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoordinatorError } from '../errors.js';
import { bgzf } from './bgzf-writer.js';
import { withOperatorPath } from '../../proto/operator-path.js';

/** Why: the CLI's file output; the error names the file, and carries the path as given for the terminal (proto/operator-path.ts). */
export async function writeFileOut(path: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  const source = Readable.from(path.endsWith('.gz') ? bgzf(chunks) : chunks);
  try {
    await pipeline(source, createWriteStream(tmp));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    // An error of the answer itself (a GenofedError) passes through unchanged.
    if ((err as { code?: unknown }).code !== undefined && String((err as { code?: unknown }).code).startsWith('GENOFED_')) throw err;
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `--out ${basename(path)}: cannot write the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }), path);
  }
}
