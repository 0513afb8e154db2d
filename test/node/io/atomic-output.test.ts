/**
 * node/io/atomic-output.ts: a write that cannot even open its temporary
 * file (the folder is gone, as when a store is removed under a running
 * node) rejects with the error, leaves nothing, and never becomes an
 * uncaught 'error' event (which would end the process: vitest fails the
 * run on one).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeAtomically, writeFileAtomically } from '../../../node/io/atomic-output.js';
import { operatorPath } from '../../../proto/operator-path.js';

describe('atomic output', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'genofed-atomic-')); });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes the whole file under its name, nothing else left', async () => {
    await writeFileAtomically(join(dir, 'a.txt'), 'hello\n', { mode: 0o600 });
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello\n');
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('a folder that does not exist: rejects saying so (string and stream writers), with the path as given for the operator, no uncaught error', async () => {
    const path = join(dir, 'gone', 'b.txt');
    const err = await writeFileAtomically(path, 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GENOFED_USAGE', message: 'b.txt: the folder to write it in does not exist; create it first' });
    expect(operatorPath(err)).toBe(path);
    await expect(pipeAtomically(join(dir, 'gone', 'c.txt'), Readable.from(['x', 'y']))).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    // Give any stray 'error' event a turn to surface.
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('refuses to replace a file with noClobber', async () => {
    await expect(writeFileAtomically(join(dir, 'a.txt'), 'other', { noClobber: true })).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello\n');
  });
});
