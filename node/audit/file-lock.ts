/**
 * An exclusive lock between processes on one store folder's privacy files
 * (audit log, privacy ledger): a lock file created with O_EXCL ('wx')
 * holding the owner's pid. Within one process, callers queue on a promise
 * chain first, so the file is never polled against ourselves.
 *
 * A lock whose pid no longer runs (a crashed node) is stale and is taken
 * over; a live holder is waited for up to `timeoutMs`, then the caller gets
 * GENOFED_LEDGER_LOCKED rather than waiting forever.
 */
import { link, open, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

const chains = new Map<string, Promise<unknown>>();

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(lockPath: string): Promise<number> {
  return Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
}

/**
 * Remove a lock whose holder died, under a second lock: two waiters that
 * both saw the dead pid must not both remove, or the slower one would
 * delete the lock the faster one has just taken. The break lock is held
 * for one read and one unlink; one older than 10 s is itself left by a
 * crash and is removed.
 */
async function breakStale(lockPath: string, deadPid: number /* 0: an empty lock */): Promise<boolean> {
  const breakPath = `${lockPath}.break`;
  try {
    await (await open(breakPath, 'wx', 0o600)).close();
  } catch {
    const age = await stat(breakPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > 10_000) await rm(breakPath, { force: true });
    return false;
  }
  try {
    if ((await holderOf(lockPath)) === deadPid) await rm(lockPath, { force: true });
    return true;
  } finally {
    await rm(breakPath, { force: true });
  }
}

/**
 * Create the lock file with the holder's pid already in it: the pid is
 * written to a private file first and hard-linked into place (link fails
 * with EEXIST like O_EXCL does), so no crash can leave an empty lock.
 */
async function tryCreate(lockPath: string): Promise<boolean> {
  const mine = `${lockPath}.${process.pid}`;
  const fh = await open(mine, 'w', 0o600);
  try {
    await fh.writeFile(String(process.pid));
  } finally {
    await fh.close();
  }
  try {
    await link(mine, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(mine, { force: true });
  }
}

/** An empty lock file older than this was left by an older release that crashed between create and write. */
const EMPTY_LOCK_STALE_MS = 5_000;

async function acquire(lockPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // 5 ms first, doubling to 100 ms: an append + fsync holds the lock ~1-5 ms on this machine.
  let wait = 5;
  for (;;) {
    try {
      if (await tryCreate(lockPath)) return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw withOperatorPath(new NodeError('GENOFED_STORE_NOT_FOUND', 'store folder does not exist', { cause: err }), dirname(lockPath));
      throw new NodeError('GENOFED_LEDGER_LOCKED', `${basename(lockPath)}: cannot create the lock file`, { cause: err });
    }
    const holder = await holderOf(lockPath);
    if (holder ? !alive(holder) : await olderThan(lockPath, EMPTY_LOCK_STALE_MS)) {
      if (await breakStale(lockPath, holder)) continue;
    }
    if (Date.now() >= deadline) {
      throw new NodeError('GENOFED_LEDGER_LOCKED', `${basename(lockPath)}: held by another process for more than ${timeoutMs} ms`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  return stat(path).then((s) => Date.now() - s.mtimeMs > ms, () => false);
}

/** Run `fn` holding the lock file `lockPath` (in-process callers are serialized first). */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const prev = chains.get(lockPath) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(async () => {
    await acquire(lockPath, timeoutMs);
    try {
      return await fn();
    } finally {
      await rm(lockPath, { force: true });
    }
  });
  chains.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (chains.get(lockPath) === run) chains.delete(lockPath);
  }
}

/** fsync a folder so a rename or a file creation in it survives a power loss. */
export async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
