/**
 * Write-ahead under a crash: a process appending audit entries and debiting
 * budgets is SIGKILLed mid-stream (leaving its locks behind). Every entry
 * and debit it had reported as done is on disk, the ledger still parses,
 * the audit chain verifies, and a new process carries on (stale locks are
 * taken over).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../node/audit/audit-log.js';
import { verifyAuditLog } from '../../../node/audit/verify.js';
import { BudgetLedger, PrivacyLedger } from '../../../node/privacy/budget-ledger.js';

const DIST = join(resolve(import.meta.dirname, '../../..'), 'dist/node');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const querier = { coordinator: 'c', researcher: 'r' };

describe('crash during queries', () => {
  it('keeps every reported debit and audit entry after SIGKILL, and the next process continues the chain', async () => {
    const worker = `
      const { AuditLog } = await import(${JSON.stringify(join(DIST, 'audit/audit-log.js'))});
      const { BudgetLedger, PrivacyLedger } = await import(${JSON.stringify(join(DIST, 'privacy/budget-ledger.js'))});
      const dir = process.argv[1];
      const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 100000 });
      const log = await AuditLog.open(dir);
      for (let i = 1; ; i++) {
        await budget.debit({ coordinator: 'c', researcher: 'r' }, 1, 'q' + i);
        await log.append({ queryId: 'q' + i, querier: { coordinator: 'c', researcher: 'r' }, kind: 'cohort-count', parameters: { cohort: '' }, participants: ['a', 'b', 'c'], epsilonSpent: 1, decision: 'answered' });
        process.stdout.write(i + '\\n');
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', worker, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let reported = 0;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const complete = out.slice(0, out.lastIndexOf('\n'));
      reported = complete ? Number(complete.slice(complete.lastIndexOf('\n') + 1)) : 0;
    });
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (reported >= 30) {
          clearInterval(poll);
          done();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    // 'close' comes after the child's stdout is drained: `reported` is then the last number it printed.
    await new Promise((r) => child.on('close', r));

    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 100000 });
    const spent = (await budget.remaining(querier)).researcher.debits;
    // Debit i is written before entry i, and entry i before "i" is printed.
    expect(spent).toBeGreaterThanOrEqual(reported);
    expect(spent).toBeLessThanOrEqual(reported + 1);
    const v = await verifyAuditLog(dir);
    expect(v.ok).toBe(true);
    expect(v.entries).toBeGreaterThanOrEqual(reported);
    expect(v.entries).toBeLessThanOrEqual(reported + 1);
    expect(v.entries).toBeLessThanOrEqual(spent);

    await budget.debit(querier, 1, 'after');
    const next = await (await AuditLog.open(dir)).append({ queryId: 'after', querier, kind: 'cohort-count', parameters: { cohort: '' }, participants: ['a', 'b', 'c'], epsilonSpent: 1, decision: 'answered' });
    expect(next.seq).toBe(v.entries + 1);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: v.entries + 1 });
  });
});
