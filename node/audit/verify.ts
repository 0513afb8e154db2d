/**
 * Verify a store's audit log end to end: every line parses, hashes to its
 * `hash`, has seq = previous + 1 and prevHash = previous hash, the file
 * ends with a newline, and the last entry is the one `audit.head` names.
 * Reports the first bad entry by seq and the kind of problem, never its
 * content (an entry's parameters are a querier's text).
 *
 * Streams the file (a year of queries at 10,000 a day is ~2 GB of JSON
 * lines: never read whole) and holds `audit.lock` meanwhile, so a
 * running node's append is not seen half-written.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_HEAD, AUDIT_LOCK, AUDIT_LOG, readHead } from './audit-log.js';
import { auditEntrySchema, entryHash, GENESIS_HASH } from './entry.js';
import { withFileLock } from './file-lock.js';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface AuditVerdict {
  readonly ok: boolean;
  /** Entries that verified before the first problem (all of them when ok). */
  readonly entries: number;
  /** The last verified entry's seq and hash: record it off the node to anchor the chain. */
  readonly headSeq: number;
  readonly headHash: string;
  /** The seq of the first entry that is bad or missing. */
  readonly firstBadSeq?: number;
  /** 1-based line of audit.log where the problem was found, when it is in the file. */
  readonly line?: number;
  readonly problem?: string;
}

export async function verifyAuditLog(dir: string): Promise<AuditVerdict> {
  try {
    await access(dir);
  } catch (cause) {
    throw withOperatorPath(new NodeError('GENOFED_STORE_NOT_FOUND', 'store folder does not exist', { cause }), dir);
  }
  try {
    return await withFileLock(join(dir, AUDIT_LOCK), () => verifyUnlocked(dir));
  } catch (err) {
    // An auditor with read-only access (another user, a read-only mount of a copy) cannot take the
    // lock; no node can be appending through such a mount, so verify without it.
    const code = ((err as { cause?: NodeJS.ErrnoException }).cause ?? {}).code;
    if (err instanceof NodeError && err.code === 'GENOFED_LEDGER_LOCKED' && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return verifyUnlocked(dir);
    throw err;
  }
}

async function verifyUnlocked(dir: string): Promise<AuditVerdict> {
  let head;
  try {
    head = await readHead(dir);
  } catch {
    head = null; // present but unreadable
  }
  let seq = 0;
  let hash = GENESIS_HASH;
  let beforeHash = GENESIS_HASH;
  let lineNo = 0;
  const bad = (firstBadSeq: number, problem: string, line?: number): AuditVerdict => ({
    ok: false, entries: seq, headSeq: seq, headHash: hash, firstBadSeq, problem, ...(line !== undefined ? { line } : {}),
  });

  let carry: Buffer = Buffer.alloc(0);
  let logExists = true;
  const stream = createReadStream(join(dir, AUDIT_LOG));
  try {
    for await (const chunk of stream) {
      let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        lineNo += 1;
        const text = buf.subarray(start, nl).toString('utf8');
        start = nl + 1;
        const expected = seq + 1;
        let parsed;
        try {
          parsed = auditEntrySchema.safeParse(JSON.parse(text));
        } catch {
          return bad(expected, 'line is not JSON (garbage or partial write)', lineNo);
        }
        if (!parsed.success) return bad(expected, 'line is not an audit entry (fields missing or of the wrong type)', lineNo);
        const e = parsed.data;
        if (entryHash(e) !== e.hash) return bad(e.seq === expected ? expected : Math.min(expected, e.seq), `entry seq ${e.seq} does not match its hash: edited`, lineNo);
        if (e.seq !== expected) {
          return bad(expected, e.seq > expected ? `seq ${e.seq} found where ${expected} was expected: entries deleted or reordered` : `seq ${e.seq} found after seq ${seq}: entries reordered or duplicated`, lineNo);
        }
        if (e.prevHash !== hash) return bad(expected, `entry seq ${e.seq} does not chain to the previous entry: an entry before it was deleted, reordered or replaced`, lineNo);
        seq = e.seq;
        beforeHash = hash;
        hash = e.hash;
      }
      carry = Buffer.from(buf.subarray(start));
      buf = carry;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new NodeError('GENOFED_AUDIT_IO', `${AUDIT_LOG}: cannot be read`, { cause: err });
    logExists = false;
  }
  if (carry.length > 0) return bad(seq + 1, 'the file ends inside a line: truncated, or garbage appended', lineNo + 1);

  if (head === null) return bad(seq + 1, `${AUDIT_HEAD} is unreadable`);
  if (head === undefined) {
    if (!logExists) return { ok: true, entries: 0, headSeq: 0, headHash: GENESIS_HASH };
    return bad(seq + 1, `${AUDIT_HEAD} is missing`);
  }
  if (head.seq === seq && head.hash === hash) return { ok: true, entries: seq, headSeq: seq, headHash: hash };
  if (head.seq > seq) return bad(seq + 1, `${AUDIT_HEAD} records seq ${head.seq} but the log ends at seq ${seq}: entries deleted at the end`);
  if (head.seq === seq) return bad(seq, `the last entry (seq ${seq}) is not the one ${AUDIT_HEAD} records: replaced`);
  // The log is ahead of the head: one entry is the window between an append's fsync and its head update (a crash).
  if (head.seq === seq - 1 && head.hash === beforeHash) {
    return { ok: true, entries: seq, headSeq: seq, headHash: hash, problem: `${AUDIT_HEAD} is one entry behind (a crash after the last append); the next append repairs it` };
  }
  if (head.seq === seq - 1) return bad(head.seq, `entry seq ${head.seq} is not the one ${AUDIT_HEAD} records: replaced`);
  return bad(head.seq + 1, `the log continues ${seq - head.seq} entries beyond ${AUDIT_HEAD}`);
}
