/**
 * The append-only privacy ledger: one fsynced line per transaction and no
 * rewrite of earlier bytes; state rebuilt when a ledger is opened and
 * caught up with another process's appends; a torn final line (crash mid
 * append) discarded and cut; a corrupt or out-of-sequence complete line
 * refusing everything; the v1 whole-file ledger migrated once; concurrent
 * processes on one store folder never over-spend.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger, PrivacyLedger } from '../../../node/privacy/budget-ledger.js';
import { DifferencingGuard } from '../../../node/privacy/differencing-guard.js';
import { RateLimiter } from '../../../node/privacy/rate-limit.js';

const DIST = join(resolve(import.meta.dirname, '../../..'), 'dist/node');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alice = { coordinator: 'coord-1', researcher: 'alice' };
const bob = { coordinator: 'coord-1', researcher: 'bob' };
const log = (): string => join(dir, 'privacy-ledger.jsonl');
const range = (from: number, to: number): Uint32Array => Uint32Array.from({ length: to - from }, (_, i) => from + i);

describe('append-only privacy ledger', () => {
  it('appends one line per transaction and never rewrites what is already on disk', async () => {
    const ledger = new PrivacyLedger(dir);
    const budget = new BudgetLedger(ledger, { totalEpsilon: 100 });
    const guard = new DifferencingGuard(ledger);
    const rates = new RateLimiter(ledger, { now: () => 1_000 });
    await budget.debit(alice, 1, 'q1');
    const before = await readFile(log());
    const ino = (await stat(log())).ino;
    await rates.admit(alice, { perHour: 10 });
    await guard.admit(alice, [range(0, 2504), range(0, 1200), range(1200, 2504)]);
    await budget.debit(bob, 1, 'q2');
    const after = await readFile(log());
    expect((await stat(log())).ino).toBe(ino); // appended in place, not replaced
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    const lines = after.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { seq?: number; ops?: { op: string }[] });
    expect(lines.map((l) => l.seq)).toEqual([undefined, 1, 2, 3, 4]);
    // The three member sets of one query are one transaction.
    expect(lines[3]!.ops!.map((o) => o.op)).toEqual(['cohort', 'cohort', 'cohort']);
    expect(await readdir(dir)).toEqual(['privacy-ledger.jsonl']); // no temporary files, lock released
  });

  it('discards and cuts a torn final line (a crash mid-append), then appends after the last complete line', async () => {
    await new BudgetLedger(new PrivacyLedger(dir)).debit(alice, 1, 'q1');
    const complete = await readFile(log(), 'utf8');
    // The process died inside its write: a prefix of the next line, no newline, nobody told it was done.
    await appendFile(log(), '{"seq":2,"ops":[{"op":"debit","coordinator":"coord-1","researcher":"alice","micro":10000');
    const budget = new BudgetLedger(new PrivacyLedger(dir));
    await expect(budget.remaining(alice)).resolves.toMatchObject({ coordinator: { spentEpsilon: 1, debits: 1 } });
    expect(await readFile(log(), 'utf8')).toBe(complete);
    await budget.debit(alice, 2, 'q2');
    const lines = (await readFile(log(), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 2 });
    await expect(new BudgetLedger(new PrivacyLedger(dir)).remaining(alice)).resolves.toMatchObject({ coordinator: { spentEpsilon: 3, debits: 2 } });
  });

  it('a ledger already open catches up with another instance\'s appends and cuts a torn line they left', async () => {
    const mine = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 3 });
    const theirs = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 3 });
    await mine.debit(alice, 1, 'q1');
    await theirs.debit(bob, 1, 'q2');
    await appendFile(log(), '{"seq":3,"op');
    await expect(mine.debit(alice, 1.5, 'q3')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(mine.debit(alice, 1, 'q4')).resolves.toMatchObject({ remainingEpsilon: 0 });
    await expect(theirs.remaining(bob)).resolves.toMatchObject({ coordinator: { spentEpsilon: 3, debits: 3 } });
  });

  it('fails closed on a corrupt complete line anywhere, a broken sequence or a missing header', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir));
    await budget.debit(alice, 1, 'q1');
    await budget.debit(alice, 1, 'q2');
    const lines = (await readFile(log(), 'utf8')).split('\n');
    const cases: [string, RegExp][] = [
      [[lines[0], 'not json', lines[2], ''].join('\n'), /line 2 is not JSON/],
      [[lines[0], lines[2], lines[1], ''].join('\n'), /line 2 is out of sequence/],
      [[lines[0], '{"seq":1,"ops":[{"op":"refund","coordinator":"coord-1"}]}', lines[2], ''].join('\n'), /line 2 is not a valid ledger transaction/],
      [[lines[1], lines[2], ''].join('\n'), /line 1 is not a privacy ledger header/],
      ['', /no header/],
    ];
    for (const [text, message] of cases) {
      await writeFile(log(), text);
      const err = await new BudgetLedger(new PrivacyLedger(dir)).debit(alice, 1, 'q3').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT', message: expect.stringMatching(message) });
      expect((err as Error).message).not.toContain(dir);
      // Nothing was cut or appended: the damage stays for the operator to see.
      expect(await readFile(log(), 'utf8')).toBe(text);
    }
  });

  it('migrates a v1 privacy-ledger.json once: budgets, per-coordinator cohort history and rate times carry over', async () => {
    const key = (c: string, r: string): string => JSON.stringify([c, r]);
    const bits = (m: Uint32Array): string => {
      const b = new Uint8Array(Math.ceil((Math.max(...m) + 1) / 8));
      for (const x of m) b[x >>> 3]! |= 1 << (x & 7);
      return Buffer.from(b).toString('base64');
    };
    const a = range(0, 661);
    const v1 = {
      format: 'genofed-privacy-ledger', version: 1,
      budgets: { [key('coord-1', 'alice')]: { spentMicro: 4_000_000, debits: 4 }, [key('coord-1', 'bob')]: { spentMicro: 3_000_000, debits: 3 } },
      cohorts: {
        [key('coord-1', 'alice')]: [{ universe: 661, size: 661, bits: bits(a), at: 5 }],
        [key('coord-1', 'bob')]: [{ universe: 661, size: 661, bits: bits(a), at: 6 }],
      },
      rates: { [key('coord-1', 'alice')]: [Date.UTC(2026, 0, 1, 11, 30)] },
    };
    await writeFile(join(dir, 'privacy-ledger.json'), JSON.stringify(v1), { mode: 0o600 });
    const ledger = new PrivacyLedger(dir);
    const budget = new BudgetLedger(ledger, { totalEpsilon: 10 });
    await expect(budget.remaining(bob)).resolves.toMatchObject({ remainingEpsilon: 3, coordinator: { spentEpsilon: 7, debits: 7 }, researcher: { spentEpsilon: 3, debits: 3 } });
    // Alice's cohort is now the coordinator's history: Bob asking it minus one patient is refused.
    await expect(new DifferencingGuard(ledger).admit(bob, a.subarray(1))).rejects.toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING' });
    await expect(new RateLimiter(ledger, { now: () => Date.UTC(2026, 0, 1, 12) }).admit(alice, { perHourPerResearcher: 1 })).rejects.toMatchObject({ code: 'GENOFED_RATE_LIMITED' });
    expect((await readdir(dir)).sort()).toEqual(['privacy-ledger.json.migrated', 'privacy-ledger.jsonl']);
    const lines = (await readFile(log(), 'utf8')).trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'genofed-privacy-ledger', version: 2, migratedFrom: 'privacy-ledger.json' });
    expect((JSON.parse(lines[1]!) as { ops: { op: string }[] }).ops.filter((o) => o.op === 'cohort')).toHaveLength(1); // kept once per coordinator
    // Once: a fresh instance reads the log, not the renamed v1 file.
    await expect(new BudgetLedger(new PrivacyLedger(dir)).remaining(alice)).resolves.toMatchObject({ coordinator: { spentEpsilon: 7 } });
  });

  it('refuses to migrate a damaged v1 file (fail closed) and leaves it in place', async () => {
    await writeFile(join(dir, 'privacy-ledger.json'), '{"format":"genofed-privacy-ledger","version":1,"budgets":{');
    await expect(new BudgetLedger(new PrivacyLedger(dir)).debit(alice, 1, 'q1')).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT', message: expect.stringContaining('privacy-ledger.json') });
    expect(await readdir(dir)).toEqual(['privacy-ledger.json']);
  });

  it('two processes debiting one store folder at once spend exactly the budget', async () => {
    const worker = `
      const { BudgetLedger, PrivacyLedger } = await import(${JSON.stringify(join(DIST, 'privacy/budget-ledger.js'))});
      const budget = new BudgetLedger(new PrivacyLedger(process.argv[1]), { totalEpsilon: 30 });
      let ok = 0;
      for (let i = 0; i < 25; i++) ok += await budget.debit({ coordinator: 'c', researcher: process.argv[2] }, 1, process.argv[2] + i).then(() => 1, () => 0);
      process.stdout.write(String(ok));
    `;
    const run = (who: string): Promise<number> => new Promise((done, fail) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', worker, dir, who], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      child.on('close', (code) => (code === 0 ? done(Number(out)) : fail(new Error(`worker exited ${code}`))));
    });
    const admitted = await Promise.all([run('r1'), run('r2')]);
    expect(admitted[0]! + admitted[1]!).toBe(30);
    await expect(new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 30 }).remaining({ coordinator: 'c', researcher: 'r1' })).resolves.toMatchObject({ coordinator: { spentEpsilon: 30, debits: 30 } });
  }, 60_000);
});
