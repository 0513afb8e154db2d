/**
 * The lock shared by the audit log and the privacy ledger: released after
 * success and after a throw, a lock left by a crashed process (dead pid)
 * is taken over, and a live holder makes the caller give up with
 * GENOFED_LEDGER_LOCKED after the timeout without breaking its lock.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../../node/audit/file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file lock', () => {
  it('removes the lock file after the critical section, also when it throws', async () => {
    const lock = join(dir, 'x.lock');
    await expect(withFileLock(lock, async () => (await readFile(lock, 'utf8')) === String(process.pid))).resolves.toBe(true);
    expect(existsSync(lock)).toBe(false);
    await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    const lock = join(dir, 'x.lock');
    await writeFile(lock, String(pid));
    await expect(withFileLock(lock, async () => 'ran', 2_000)).resolves.toBe('ran');
  });

  it('takes over an empty lock file once it is older than a few seconds, and waits on a fresh one', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '');
    await expect(withFileLock(lock, async () => 'ran', 300)).rejects.toMatchObject({ code: 'GENOFED_LEDGER_LOCKED' });
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await expect(withFileLock(lock, async () => 'ran', 2_000)).resolves.toBe('ran');
    expect(existsSync(lock)).toBe(false);
  });

  it('gives up with GENOFED_LEDGER_LOCKED while a live process holds the lock, leaving its lock in place', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const lock = join(dir, 'x.lock');
      await writeFile(lock, String(child.pid));
      await expect(withFileLock(lock, async () => 'ran', 300)).rejects.toMatchObject({ code: 'GENOFED_LEDGER_LOCKED' });
      expect(await readFile(lock, 'utf8')).toBe(String(child.pid));
    } finally {
      child.kill();
    }
  });

  it('keeps two processes that both find a stale lock mutually exclusive (no lost increments)', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    const lock = join(dir, 'x.lock');
    const counter = join(dir, 'counter');
    await writeFile(lock, String(deadPid));
    await writeFile(counter, '0');
    const mod = join(resolve(import.meta.dirname, '../../..'), 'dist/node/audit/file-lock.js');
    const worker = `
      const { withFileLock } = await import(${JSON.stringify(mod)});
      const { readFile, writeFile } = await import('node:fs/promises');
      for (let i = 0; i < 20; i++) await withFileLock(process.argv[1], async () => {
        const n = Number(await readFile(process.argv[2], 'utf8'));
        await new Promise((r) => setTimeout(r, 2));
        await writeFile(process.argv[2], String(n + 1));
      });
    `;
    const codes = await Promise.all([0, 1, 2].map(() => new Promise<number | null>((done) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', worker, lock, counter], { stdio: 'inherit' });
      p.on('exit', done);
    })));
    expect(codes).toEqual([0, 0, 0]);
    expect(await readFile(counter, 'utf8')).toBe('60');
  });

  it('runs the critical sections of one process one at a time', async () => {
    const lock = join(dir, 'x.lock');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(Array.from({ length: 10 }, () => withFileLock(lock, async () => {
      inside += 1;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 2));
      inside -= 1;
    })));
    expect(maxInside).toBe(1);
  });
});
