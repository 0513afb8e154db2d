/**
 * File hygiene of the set-up commands (`network init`, `coordinator init`,
 * `roster build|sign|seal`): outputs never overwrite anything, appear
 * whole or not at all, and secrets are mode 0600 whatever the umask.
 * Messages name files by basename only.
 */
import { randomBytes } from 'node:crypto';
import { access, chmod, link, mkdir, mkdtemp, open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CoordinatorError, type CoordinatorErrorCode } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

/** Create one file inside a folder being built (`flag: 'wx'`: never replaces). */
export async function putFile(path: string, data: string | Uint8Array, secret: boolean): Promise<void> {
  await writeFile(path, data, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
  await chmod(path, secret ? 0o600 : 0o644);
}

/**
 * Build a new folder `out`: `fill` writes into a temporary sibling (mode
 * 0700), which is renamed to `out` only when `fill` succeeded, and removed
 * otherwise. Refuses an existing `out`.
 */
export async function buildFolder<T>(out: string, fill: (dir: string) => Promise<T>): Promise<T> {
  const path = resolve(out);
  if (await access(path).then(() => true, () => false)) {
    // Callers pass a resolved path; the CLI adds the folder as typed (bin/genofed.ts, proto/operator-path.ts).
    throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(path)}: output folder already exists`);
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = await mkdtemp(join(dirname(path), `.${basename(path)}.tmp-`));
  try {
    await chmod(tmp, 0o700);
    const result = await fill(tmp);
    await rename(tmp, path);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Write one public file atomically and without overwriting: a temporary
 * file in the same folder (fsynced) is hard-linked to `path`, which fails
 * if `path` exists, then unlinked.
 */
export async function writeNewFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, path).catch((cause: unknown) => {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw withOperatorPath(new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(path)}: output file already exists`, { cause }), path);
      throw cause;
    });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Read and parse a JSON file; `code` is the error for an unreadable or invalid file. */
export async function readJsonFile(path: string, code: CoordinatorErrorCode, what: string): Promise<unknown> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError(code, `${what} ${label}: cannot read file`, { cause }), path);
  });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CoordinatorError(code, `${what} ${label}: not valid JSON`, { cause });
  }
}
