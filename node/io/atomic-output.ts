/**
 * Write an output file atomically: bytes go to a temporary name in the same
 * folder (same filesystem, so rename is atomic), are fsynced, and the file
 * is renamed into place only when the writer finished without error. On any
 * failure the temporary file is removed: no partial output is ever left.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withOperatorPath } from '../../proto/operator-path.js';
import { NodeError } from '../errors.js';

export interface AtomicOptions {
  /** File mode for the final file (secrets: 0o600). */
  mode?: number;
  /** Refuse to replace an existing file. Default false. */
  noClobber?: boolean;
}

export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Run `write` with a writable stream on a temporary file; rename into place
 * on success, delete on failure (and rethrow).
 */
export async function writeAtomically(path: string, write: (out: Writable) => Promise<void>, options: AtomicOptions = {}): Promise<void> {
  if (options.noClobber) {
    const exists = await access(path).then(() => true, () => false);
    if (exists) throw withOperatorPath(new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(path)}: output file already exists`), path);
  }
  const tmp = temporaryName(path);
  const out = createWriteStream(tmp, { mode: options.mode ?? 0o644, flags: 'wx' });
  // Listen at once: a failed open (folder gone, no space, no permission) is emitted before `write`
  // returns, and an 'error' event nobody listens to is an uncaught exception that ends the process.
  let failed: Error | undefined;
  out.on('error', (err) => { failed ??= err; });
  try {
    await write(out);
    if (failed) throw failed;
    if (!out.writableEnded) out.end();
    await new Promise<void>((resolve, reject) => {
      if (out.closed) return failed ? reject(failed) : resolve();
      out.once('close', () => (failed ? reject(failed) : resolve()));
      out.once('error', reject);
    });
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    // The folder of the output does not exist: say so (an fs error would print as "unexpected Error").
    if ((err as { code?: unknown }).code === 'ENOENT' && !(await access(dirname(path)).then(() => true, () => false))) {
      throw withOperatorPath(new NodeError('GENOFED_USAGE', `${basename(path)}: the folder to write it in does not exist; create it first`, { cause: err }), path);
    }
    throw err;
  }
}

/** Pipe a readable into `path` atomically. */
export async function pipeAtomically(path: string, source: Readable, options: AtomicOptions = {}): Promise<void> {
  await writeAtomically(path, (out) => pipeline(source, out), options);
}

/** Write a whole buffer or string atomically. */
export async function writeFileAtomically(path: string, data: string | Uint8Array, options: AtomicOptions = {}): Promise<void> {
  await writeAtomically(path, async (out) => {
    await new Promise<void>((resolve, reject) => {
      out.end(data, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }, options);
}
