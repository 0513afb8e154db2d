/**
 * Epsilon budgets per querier: debits in integer micro-epsilons, refusal
 * with GENOFED_BUDGET_EXHAUSTED leaving the budget untouched, persistence
 * across a reopen (node restart), isolation between queriers, safety of
 * concurrent debits, and fail-closed on a damaged ledger file.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger, PrivacyLedger, toMicroEpsilon } from '../../../node/privacy/budget-ledger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-budget-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alice = { coordinator: 'coord-1', researcher: 'alice' };
const bob = { coordinator: 'coord-1', researcher: 'bob' };

describe('budget ledger', () => {
  it('lets 100 debits of 0.1 spend a budget of exactly 10 (no floating-point drift), then refuses the 101st', async () => {
    // As doubles, 0.1 summed 100 times is 9.99999999999998: the check must not depend on that.
    let sum = 0;
    for (let i = 0; i < 100; i++) sum += 0.1;
    expect(sum).not.toBe(10);
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 10 });
    for (let i = 0; i < 100; i++) await budget.debit(alice, 0.1, `q${i}`);
    await expect(budget.remaining(alice)).resolves.toEqual({ totalEpsilon: 10, spentEpsilon: 10, remainingEpsilon: 0, debits: 100 });
    await expect(budget.debit(alice, 0.1, 'q100')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED', grpcStatus: 8 });
  });

  it('refuses a debit larger than what is left without spending anything', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 1 });
    await budget.debit(alice, 0.7, 'q1');
    await expect(budget.debit(alice, 0.5, 'q2')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(budget.remaining(alice)).resolves.toMatchObject({ spentEpsilon: 0.7, debits: 1 });
    await expect(budget.debit(alice, 0.3, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('survives a restart: debit, reopen the store folder, and the next query is refused', async () => {
    await new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 }).debit(alice, 1.5, 'q1');
    // The file is on disk before debit returns (write-ahead), private to the node user.
    const onDisk = JSON.parse(await readFile(join(dir, 'privacy-ledger.json'), 'utf8')) as { budgets: Record<string, { spentMicro: number }> };
    expect(Object.values(onDisk.budgets)).toEqual([{ spentMicro: 1_500_000, debits: 1 }]);
    expect((await stat(join(dir, 'privacy-ledger.json'))).mode & 0o777).toBe(0o600);
    const reopened = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 });
    await expect(reopened.debit(alice, 1, 'q2')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(reopened.debit(alice, 0.5, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('keeps separate budgets per researcher and per coordinator', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 1 });
    await budget.debit(alice, 1, 'q1');
    await expect(budget.debit(alice, 0.1, 'q2')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(budget.debit(bob, 1, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
    await expect(budget.debit({ coordinator: 'coord-2', researcher: 'alice' }, 1, 'q4')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('admits exactly as many concurrent debits as the budget pays for', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 5 });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => budget.debit(alice, 1, `q${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    await expect(budget.remaining(alice)).resolves.toMatchObject({ spentEpsilon: 5, debits: 5 });
  });

  it('refuses every query on a damaged ledger instead of starting from a fresh budget', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 });
    await budget.debit(alice, 1, 'q1');
    await writeFile(join(dir, 'privacy-ledger.json'), '{"format":"genofed-privacy-ledger","version":1,"budgets":{');
    await expect(budget.debit(alice, 0.1, 'q2')).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT' });
    await expect(budget.remaining(alice)).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT' });
  });

  it('rejects epsilons that are not positive finite multiples of a micro-epsilon', () => {
    expect(toMicroEpsilon(0.25)).toBe(250_000);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-9]) expect(() => toMicroEpsilon(bad)).toThrow(/epsilon/);
  });
});
