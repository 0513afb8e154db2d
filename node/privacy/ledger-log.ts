/**
 * The node's privacy ledger: an append-only log of JSON lines
 * (`privacy-ledger.jsonl` in the store folder, mode 0600) holding every
 * piece of cross-query state the node enforces: epsilon debits
 * (`budget-ledger.ts`), answered member sets (`differencing-guard.ts`) and
 * admission times (`rate-limit.ts`). The state is rebuilt in memory when
 * the ledger is first used and kept up to date from then on.
 *
 * One transaction = one line, appended and fdatasync'ed before the caller
 * gets its result (write-ahead: the answer leaves the node only after), so
 * a query costs one small append, not a rewrite of the whole file (the
 * JSON file it replaces was 479 KB with 1,000 recorded cohorts, rewritten
 * per change). Cross-process safety: every read and transaction holds
 * `privacy-ledger.lock` (`node/audit/file-lock.ts`) and first reads what
 * other processes appended since (the file only grows; its length is the
 * position up to which this process's state is current).
 *
 * Crash rules: a final line without its newline is a torn append (the
 * writer died or its write failed before returning, so nobody was told it
 * was done): it is discarded and the file truncated to the last complete
 * line. Any complete line that does not parse, fails its schema or breaks
 * the sequence numbers refuses every query (GENOFED_LEDGER_CORRUPT): fail
 * closed, never "start from a fresh budget".
 *
 * Migration: a store with the old whole-file `privacy-ledger.json` (format
 * v1) and no log is migrated once, under the lock: the log is written
 * atomically from it (one transaction), then the old file is renamed to
 * `privacy-ledger.json.migrated`. A v1 file that fails its schema is
 * GENOFED_LEDGER_CORRUPT, as before.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NodeError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { syncFolder, withFileLock } from '../audit/file-lock.js';
import { toWords, type WordBitmap } from './bitmap.js';

export const LEDGER_FILE = 'privacy-ledger.jsonl';
export const LEDGER_LOCK = 'privacy-ledger.lock';
/** The whole-file ledger of format v1, migrated once. */
export const LEGACY_LEDGER_FILE = 'privacy-ledger.json';
export const LEGACY_MIGRATED_SUFFIX = '.migrated';

/** Who is asking: the coordinator (the key holder, by its policy id) and the researcher it names in the signed envelope. */
export interface Querier {
  readonly coordinator: string;
  readonly researcher: string;
}

/** The map key of a (coordinator, researcher) pair (JSON of the pair: no separator a researcher id could forge). */
export function querierKey(q: Querier): string {
  return JSON.stringify([q.coordinator, q.researcher]);
}

/**
 * Rate times older than this (behind the newest recorded time) are
 * dropped from memory: the longest window is 24 h; the second day is slack
 * for a clock set back.
 */
const RATE_HORIZON_MS = 2 * 24 * 3_600_000;

const name = z.string().min(1).max(1024);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

const debitOp = z.strictObject({
  op: z.literal('debit'), coordinator: name, researcher: name,
  micro: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Debits this line stands for (a migrated v1 total); default 1. */
  count: z.number().int().min(1).optional(),
  queryId: z.string().max(1024).optional(),
});
const cohortOp = z.strictObject({
  op: z.literal('cohort'), coordinator: name, researcher: name,
  /** Bitmap, bit i = store sample index i. */
  bits: base64,
  at: z.number().int(),
});
const rateOp = z.strictObject({ op: z.literal('rate'), coordinator: name, researcher: name, at: z.number().int() });
const ledgerOp = z.discriminatedUnion('op', [debitOp, cohortOp, rateOp]);
export type LedgerOp = z.infer<typeof ledgerOp>;

const headerLine = z.strictObject({
  format: z.literal('genofed-privacy-ledger'),
  version: z.literal(2),
  created: z.number().int(),
  migratedFrom: z.literal(LEGACY_LEDGER_FILE).optional(),
});
const txLine = z.strictObject({ seq: z.number().int().min(1), ops: z.array(ledgerOp).min(1) });

const legacySchema = z.strictObject({
  format: z.literal('genofed-privacy-ledger'),
  version: z.literal(1),
  budgets: z.record(z.string(), z.strictObject({ spentMicro: z.number().int().min(0), debits: z.number().int().min(0) })),
  cohorts: z.record(z.string(), z.array(z.strictObject({ universe: z.number().int().min(0), size: z.number().int().min(0), bits: base64, at: z.number().int() }))),
  rates: z.record(z.string(), z.array(z.number().int())),
});

export interface Account {
  spentMicro: number;
  debits: number;
}

/** Read-only view of the ledger state handed to decisions. Rate times are sorted ascending. */
export interface LedgerView {
  /** Per coordinator (the key holder). */
  readonly budgets: ReadonlyMap<string, Readonly<Account>>;
  /** Per `querierKey` (coordinator, researcher). */
  readonly researcherBudgets: ReadonlyMap<string, Readonly<Account>>;
  /** Answered member sets, per coordinator (every researcher of one coordinator shares the history). */
  readonly cohorts: ReadonlyMap<string, readonly WordBitmap[]>;
  readonly rates: ReadonlyMap<string, readonly number[]>;
  readonly researcherRates: ReadonlyMap<string, readonly number[]>;
}

/** Index of the first element >= x in a sorted array. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertTime(times: number[], at: number): void {
  // Appends are in time order except across a clock step: insert in place to keep the array sorted.
  if (times.length === 0 || times[times.length - 1]! <= at) times.push(at);
  else times.splice(lowerBound(times, at + 1), 0, at);
  const stale = lowerBound(times, times[times.length - 1]! - RATE_HORIZON_MS);
  // Drop in batches: one splice per 1,024 stale entries, not one shift per admission.
  if (stale >= 1024) times.splice(0, stale);
}

class LedgerState implements LedgerView {
  readonly budgets = new Map<string, Account>();
  readonly researcherBudgets = new Map<string, Account>();
  readonly cohorts = new Map<string, WordBitmap[]>();
  readonly rates = new Map<string, number[]>();
  readonly researcherRates = new Map<string, number[]>();

  apply(op: LedgerOp): void {
    switch (op.op) {
      case 'debit': {
        const n = op.count ?? 1;
        for (const [map, key] of [[this.budgets, op.coordinator], [this.researcherBudgets, querierKey(op)]] as const) {
          const a = map.get(key) ?? { spentMicro: 0, debits: 0 };
          map.set(key, { spentMicro: a.spentMicro + op.micro, debits: a.debits + n });
        }
        return;
      }
      case 'cohort': {
        const list = this.cohorts.get(op.coordinator) ?? [];
        list.push(toWords(Buffer.from(op.bits, 'base64')));
        this.cohorts.set(op.coordinator, list);
        return;
      }
      case 'rate': {
        for (const [map, key] of [[this.rates, op.coordinator], [this.researcherRates, querierKey(op)]] as const) {
          const times = map.get(key) ?? [];
          insertTime(times, op.at);
          map.set(key, times);
        }
        return;
      }
    }
  }
}

function corrupt(what: string, cause?: unknown): NodeError {
  return new NodeError('GENOFED_LEDGER_CORRUPT', `${what}; queries are refused until the privacy ledger is restored`, cause === undefined ? undefined : { cause });
}

/** Which file, and how far this process has read it. */
interface Position {
  readonly dev: number;
  readonly ino: number;
  /** Bytes read and applied (always the end of a complete line). */
  offset: number;
  /** Sequence number of the last applied transaction (0 after the header). */
  seq: number;
  /** Lines read, for error messages (the header is line 1). */
  line: number;
}

/** The ledger of one store folder. Every method holds the lock file; in-process callers queue. */
export class PrivacyLedger {
  private state = new LedgerState();
  private pos: Position | undefined;

  constructor(readonly dir: string) {}

  private get path(): string {
    return join(this.dir, LEDGER_FILE);
  }

  /** Run `read` on the current state (others' appends included). */
  async read<T>(read: (view: LedgerView) => T): Promise<T> {
    return withFileLock(join(this.dir, LEDGER_LOCK), async () => {
      const fh = await this.catchUp();
      await fh.close();
      return read(this.state);
    });
  }

  /**
   * Decide on the current state; append the decision's ops as one line and
   * fdatasync it before applying them and returning the result. `decide`
   * must not mutate the view; no ops = nothing written (a refusal).
   */
  async transact<T>(decide: (view: LedgerView) => { ops: readonly LedgerOp[]; result: T }): Promise<T> {
    return withFileLock(join(this.dir, LEDGER_LOCK), async () => {
      const fh = await this.catchUp();
      try {
        const { ops, result } = decide(this.state);
        if (ops.length === 0) return result;
        const pos = this.pos!;
        // Never write a line that would fail closed at the next load (an over-long id, say).
        const checked = txLine.safeParse({ seq: pos.seq + 1, ops });
        if (!checked.success) throw new NodeError('GENOFED_LEDGER_IO', `${LEDGER_FILE}: refusing to append a record that fails the ledger schema`, { cause: checked.error });
        const bytes = Buffer.from(`${JSON.stringify(checked.data)}\n`, 'utf8');
        try {
          // O_APPEND: one write at the end; a crash inside it leaves at most a torn final line.
          let written = 0;
          while (written < bytes.length) written += (await fh.write(bytes, written, bytes.length - written)).bytesWritten;
          await fh.datasync();
        } catch (cause) {
          // Position not advanced: the next transaction re-reads the tail (a complete line is then
          // applied, conservatively; a torn one is cut).
          throw new NodeError('GENOFED_LEDGER_IO', `${LEDGER_FILE}: append failed; the query is not answered`, { cause });
        }
        for (const op of ops) this.state.apply(op);
        pos.offset += bytes.length;
        pos.seq += 1;
        pos.line += 1;
        return result;
      } finally {
        await fh.close();
      }
    });
  }

  /**
   * Open the log (creating or migrating it when absent), read and apply
   * what was appended since this process last looked, cut a torn final
   * line. Returns the handle, open for appending. Caller holds the lock.
   */
  private async catchUp(): Promise<FileHandle> {
    const fh = await this.openLog();
    try {
      const st = await fh.stat();
      if (!this.pos || this.pos.dev !== st.dev || this.pos.ino !== st.ino || st.size < this.pos.offset) {
        // First use, or the file was replaced or shortened (restored from a backup): rebuild from scratch.
        this.state = new LedgerState();
        this.pos = { dev: st.dev, ino: st.ino, offset: 0, seq: -1, line: 0 };
      }
      const pos = this.pos;
      if (st.size > pos.offset) {
        const tail = Buffer.alloc(st.size - pos.offset);
        let got = 0;
        while (got < tail.length) {
          const { bytesRead } = await fh.read(tail, got, tail.length - got, pos.offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        let start = 0;
        for (let nl = tail.indexOf(0x0a, start); nl !== -1 && nl < got; nl = tail.indexOf(0x0a, start)) {
          this.applyLine(tail.subarray(start, nl));
          pos.offset += nl + 1 - start;
          start = nl + 1;
        }
        if (pos.offset < st.size) {
          // Torn final line (no newline): its writer died or failed before returning, so nobody was
          // told it was done. Cut it, so the next append starts a line of its own.
          await fh.truncate(pos.offset);
          await fh.datasync();
        }
      }
      if (pos.seq < 0) throw corrupt(`${LEDGER_FILE}: no header line`);
      return fh;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Parse and apply one complete line; line 1 is the header. */
  private applyLine(raw: Buffer): void {
    const pos = this.pos!;
    const lineNo = pos.line + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (cause) {
      throw corrupt(`${LEDGER_FILE}: line ${lineNo} is not JSON`, cause);
    }
    if (pos.seq < 0) {
      const h = headerLine.safeParse(value);
      if (!h.success) throw corrupt(`${LEDGER_FILE}: line 1 is not a privacy ledger header (format genofed-privacy-ledger, version 2)`, h.error);
      pos.seq = 0;
      pos.line = 1;
      return;
    }
    const t = txLine.safeParse(value);
    if (!t.success) throw corrupt(`${LEDGER_FILE}: line ${lineNo} is not a valid ledger transaction`, t.error);
    if (t.data.seq !== pos.seq + 1) throw corrupt(`${LEDGER_FILE}: line ${lineNo} is out of sequence`);
    for (const op of t.data.ops) this.state.apply(op);
    pos.seq = t.data.seq;
    pos.line = lineNo;
  }

  /** The log, open for reading and appending (O_APPEND, no O_CREAT); created or migrated first when absent. */
  private async openLog(): Promise<FileHandle> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await open(this.path, fsConstants.O_RDWR | fsConstants.O_APPEND);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw corrupt(`${LEDGER_FILE}: cannot be opened`, err);
      }
      await this.create();
    }
  }

  /**
   * A new log: the header, plus the v1 ledger's state as transaction 1
   * when `privacy-ledger.json` exists. Written atomically (temp + fsync +
   * rename + folder fsync) so the header is never torn; the v1 file is
   * renamed away only after, so a crash in between migrates again from it.
   */
  private async create(): Promise<void> {
    const legacyPath = join(this.dir, LEGACY_LEDGER_FILE);
    let legacy: string | undefined;
    try {
      legacy = await readFile(legacyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw corrupt(`${LEGACY_LEDGER_FILE}: cannot be read`, err);
    }
    const header = { format: 'genofed-privacy-ledger', version: 2, created: Date.now(), ...(legacy !== undefined ? { migratedFrom: LEGACY_LEDGER_FILE } : {}) };
    let text = `${JSON.stringify(header)}\n`;
    if (legacy !== undefined) {
      const ops = migrateV1(legacy);
      if (ops.length > 0) text += `${JSON.stringify({ seq: 1, ops })}\n`;
    }
    try {
      await writeFileAtomically(this.path, text, { mode: 0o600 });
      await syncFolder(this.dir);
      if (legacy !== undefined) {
        await rename(legacyPath, `${legacyPath}${LEGACY_MIGRATED_SUFFIX}`);
        await syncFolder(this.dir);
      }
    } catch (cause) {
      throw new NodeError('GENOFED_LEDGER_IO', `${LEDGER_FILE}: cannot be created`, { cause });
    }
  }
}

/** The v1 whole-file ledger as ops: budgets and rate times per (coordinator, researcher), cohorts each once per coordinator. */
export function migrateV1(text: string): LedgerOp[] {
  let v1: z.infer<typeof legacySchema>;
  try {
    v1 = legacySchema.parse(JSON.parse(text));
  } catch (cause) {
    throw corrupt(`${LEGACY_LEDGER_FILE}: not a valid privacy ledger (v1), so it cannot be migrated`, cause);
  }
  const querier = (key: string): Querier => {
    let pair: unknown;
    try {
      pair = JSON.parse(key);
    } catch (cause) {
      throw corrupt(`${LEGACY_LEDGER_FILE}: a querier key is not valid`, cause);
    }
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string' || !pair[0] || !pair[1]) {
      throw corrupt(`${LEGACY_LEDGER_FILE}: a querier key is not valid`);
    }
    return { coordinator: pair[0], researcher: pair[1] };
  };
  const ops: LedgerOp[] = [];
  for (const [key, b] of Object.entries(v1.budgets)) {
    if (b.spentMicro > 0) ops.push({ op: 'debit', ...querier(key), micro: b.spentMicro, count: Math.max(1, b.debits) });
  }
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(v1.cohorts)) {
    const q = querier(key);
    for (const c of list) {
      // v1 kept history per researcher; v2 per coordinator, identical sets once.
      const id = JSON.stringify([q.coordinator, c.bits]);
      if (seen.has(id)) continue;
      seen.add(id);
      ops.push({ op: 'cohort', ...q, bits: c.bits, at: c.at });
    }
  }
  for (const [key, times] of Object.entries(v1.rates)) {
    const q = querier(key);
    for (const at of times) ops.push({ op: 'rate', ...q, at });
  }
  return ops;
}
