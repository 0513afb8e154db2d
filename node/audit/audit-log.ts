/**
 * The node's hash-chained, append-only audit log: `audit.log` in the store
 * folder, one canonical JSON entry per line, each fsynced before `append`
 * returns (write-ahead: the service appends before it releases an answer).
 * Entry n carries the hash of entry n-1, so editing, reordering or
 * deleting an entry breaks the chain; `audit.head` (the last seq and hash,
 * replaced atomically after each append) catches deletion at the end.
 *
 * Appends hold `audit.lock` (two processes on one store cannot fork the
 * chain). A torn last line from a crash mid-write, with `audit.head`
 * still naming the last complete entry, is cut off and recorded as a
 * `recovered` entry, so the repair itself is in the chain; any other
 * inconsistency refuses the append (GENOFED_AUDIT_CORRUPT): fail closed.
 */
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NodeError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { type AuditEntry, type AuditRecord, auditEntrySchema, entryHash, GENESIS_HASH } from './entry.js';
import { syncFolder, withFileLock } from './file-lock.js';

export const AUDIT_LOG = 'audit.log';
export const AUDIT_HEAD = 'audit.head';
export const AUDIT_LOCK = 'audit.lock';

const headSchema = z.strictObject({
  format: z.literal('genofed-audit-head'),
  version: z.literal(1),
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditHead = z.infer<typeof headSchema>;

/** Read `audit.head`; undefined when absent; GENOFED_AUDIT_CORRUPT when unreadable. */
export async function readHead(dir: string): Promise<AuditHead | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, AUDIT_HEAD), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NodeError('GENOFED_AUDIT_IO', `${AUDIT_HEAD}: cannot be read`, { cause: err });
  }
  try {
    return headSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new NodeError('GENOFED_AUDIT_CORRUPT', `${AUDIT_HEAD}: not a valid audit head`, { cause });
  }
}

async function writeHead(dir: string, seq: number, hash: string): Promise<void> {
  const head: AuditHead = { format: 'genofed-audit-head', version: 1, seq, hash };
  await writeFileAtomically(join(dir, AUDIT_HEAD), `${JSON.stringify(head)}\n`, { mode: 0o600 });
  await syncFolder(dir);
}

interface Tail {
  /** The last complete entry (undefined: empty log). */
  last?: AuditEntry;
  /** Byte length of the complete lines; the file is longer when its tail is torn. */
  completeBytes: number;
  fileBytes: number;
}

/** Read the last complete line (entries are < 64 KiB; the window doubles if one is not). */
async function readTail(path: string): Promise<Tail> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { completeBytes: 0, fileBytes: 0 };
    throw new NodeError('GENOFED_AUDIT_IO', `${AUDIT_LOG}: cannot be read`, { cause: err });
  }
  if (size === 0) return { completeBytes: 0, fileBytes: 0 };
  const fh = await open(path, 'r');
  try {
    for (let window = 65_536; ; window *= 2) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lastNl = buf.lastIndexOf(10);
      if (lastNl < 0 && start > 0) continue;
      const completeBytes = lastNl < 0 ? 0 : start + lastNl + 1;
      if (completeBytes === 0) return { completeBytes: 0, fileBytes: size };
      const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(10, lastNl - 1);
      if (prevNl < 0 && start > 0) continue;
      const line = buf.subarray(prevNl + 1, lastNl).toString('utf8');
      let last: AuditEntry;
      try {
        last = auditEntrySchema.parse(JSON.parse(line));
      } catch (cause) {
        throw new NodeError('GENOFED_AUDIT_CORRUPT', `${AUDIT_LOG}: the last entry does not parse; run genofed audit verify`, { cause });
      }
      return { last, completeBytes, fileBytes: size };
    }
  } finally {
    await fh.close();
  }
}

export class AuditLog {
  private constructor(readonly dir: string) {}

  /**
   * Open the audit log of a store folder; a new log gets `audit.head` at
   * seq 0 at once, so deleting the log later cannot pass for "never used".
   */
  static async open(dir: string): Promise<AuditLog> {
    const log = new AuditLog(dir);
    await withFileLock(join(dir, AUDIT_LOCK), async () => {
      const head = await readHead(dir);
      const tail = await readTail(join(dir, AUDIT_LOG));
      if (!head && tail.fileBytes === 0) await writeHead(dir, 0, GENESIS_HASH);
    });
    return log;
  }

  /** Append one entry, fsynced, and move the head; returns the entry as written. */
  async append(record: AuditRecord): Promise<AuditEntry> {
    return withFileLock(join(this.dir, AUDIT_LOCK), async () => {
      const path = join(this.dir, AUDIT_LOG);
      const head = await readHead(this.dir);
      let tail = await readTail(path);
      const lastSeq = tail.last?.seq ?? 0;
      const lastHash = tail.last?.hash ?? GENESIS_HASH;
      if (tail.last && entryHash(tail.last) !== tail.last.hash) {
        throw new NodeError('GENOFED_AUDIT_CORRUPT', `${AUDIT_LOG}: entry ${tail.last.seq} does not match its hash; run genofed audit verify`);
      }
      // Consistent states: head names the last entry, or (crash between the log fsync and the head rename) the one before.
      const headOk = head !== undefined && ((head.seq === lastSeq && head.hash === lastHash) || (head.seq === lastSeq - 1 && head.hash === tail.last?.prevHash));
      if (!headOk) {
        throw new NodeError('GENOFED_AUDIT_CORRUPT', `${AUDIT_LOG}: does not end at the entry ${AUDIT_HEAD} names; run genofed audit verify`);
      }
      const entries: AuditRecord[] = [];
      if (tail.fileBytes > tail.completeBytes) {
        const discarded = tail.fileBytes - tail.completeBytes;
        await truncate(path, tail.completeBytes);
        entries.push({ queryId: '', querier: { coordinator: '', researcher: '' }, kind: 'audit-recovery', parameters: { tornBytesDiscarded: discarded }, participants: [], epsilonSpent: 0, decision: 'answered' });
        tail = { ...tail, fileBytes: tail.completeBytes };
      }
      entries.push(record);
      let seq = lastSeq;
      let prevHash = lastHash;
      let lines = '';
      let written: AuditEntry | undefined;
      for (const [i, r] of entries.entries()) {
        seq += 1;
        const isRecovery = i < entries.length - 1;
        const body = {
          seq,
          at: (r.at ?? new Date()).toISOString(),
          queryId: r.queryId,
          querier: { coordinator: r.querier.coordinator, researcher: r.querier.researcher },
          kind: r.kind,
          parameters: Object.fromEntries(Object.entries(r.parameters).map(([k, v]) => [k, Array.isArray(v) ? [...(v as string[])] : v])) as AuditEntry['parameters'],
          participants: [...r.participants],
          epsilonSpent: r.epsilonSpent,
          decision: isRecovery ? ('recovered' as const) : r.decision,
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
          prevHash,
        };
        const entry: AuditEntry = auditEntrySchema.parse({ ...body, hash: entryHash(body) });
        lines += `${JSON.stringify(entry)}\n`;
        prevHash = entry.hash;
        written = entry;
      }
      try {
        const fh = await open(path, 'a', 0o600);
        try {
          await fh.writeFile(lines);
          await fh.sync();
        } finally {
          await fh.close();
        }
        if (tail.fileBytes === 0) await syncFolder(this.dir);
        await writeHead(this.dir, seq, prevHash);
      } catch (cause) {
        throw new NodeError('GENOFED_AUDIT_IO', `${AUDIT_LOG}: append failed`, { cause });
      }
      return written!;
    });
  }
}
