/**
 * Epsilon budgets per key holder: debits in integer micro-epsilons, a total
 * per coordinator shared by every researcher it names and a cap per
 * researcher beneath it, refusal with GENOFED_BUDGET_EXHAUSTED leaving both
 * untouched, persistence across a reopen (node restart), safety of
 * concurrent debits, and fail-closed on a damaged ledger. The log format
 * itself (torn lines, migration) is tested in ledger-log.test.ts.
 */
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
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
    await expect(budget.remaining(alice)).resolves.toEqual({
      remainingEpsilon: 0,
      coordinator: { totalEpsilon: 10, spentEpsilon: 10, debits: 100 },
      researcher: { totalEpsilon: 10, spentEpsilon: 10, debits: 100 },
    });
    await expect(budget.debit(alice, 0.1, 'q100')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED', grpcStatus: 8 });
  });

  it('refuses a debit larger than what is left without spending anything', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 1 });
    await budget.debit(alice, 0.7, 'q1');
    await expect(budget.debit(alice, 0.5, 'q2')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(budget.remaining(alice)).resolves.toMatchObject({ remainingEpsilon: 0.3, researcher: { spentEpsilon: 0.7, debits: 1 } });
    await expect(budget.debit(alice, 0.3, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('survives a restart: debit, reopen the store folder, and the next query is refused', async () => {
    await new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 }).debit(alice, 1.5, 'q1');
    // The debit is on disk before debit returns (write-ahead): one appended line, private to the node user.
    const lines = (await readFile(join(dir, 'privacy-ledger.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2); // header + the debit
    expect(JSON.parse(lines[1]!)).toEqual({ seq: 1, ops: [{ op: 'debit', coordinator: 'coord-1', researcher: 'alice', micro: 1_500_000, queryId: 'q1' }] });
    expect((await stat(join(dir, 'privacy-ledger.jsonl'))).mode & 0o777).toBe(0o600);
    const reopened = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 });
    await expect(reopened.debit(alice, 1, 'q2')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(reopened.debit(alice, 0.5, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('keeps one total per coordinator: two researcher names of one coordinator share it, another coordinator has its own', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 1 });
    await budget.debit(alice, 0.6, 'q1');
    // Bob is another name the same coordinator asserts: the key holder has 0.4 left, whoever it names.
    const err = await budget.debit(bob, 0.6, 'q2').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED', message: expect.stringContaining('coordinator') });
    await expect(budget.remaining(bob)).resolves.toMatchObject({ remainingEpsilon: 0.4, coordinator: { spentEpsilon: 0.6, debits: 1 }, researcher: { spentEpsilon: 0, debits: 0 } });
    await expect(budget.debit(bob, 0.4, 'q3')).resolves.toMatchObject({ remainingEpsilon: 0 });
    await expect(budget.debit({ coordinator: 'coord-2', researcher: 'alice' }, 1, 'q4')).resolves.toMatchObject({ remainingEpsilon: 0 });
  });

  it('caps each researcher beneath the coordinator total, and a debit must fit both (a refusal leaves both untouched)', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 3, perResearcherEpsilon: 2 });
    await budget.debit(alice, 1.5, 'q1');
    const err = await budget.debit(alice, 1, 'q2').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED', message: expect.stringContaining('researcher') });
    await expect(budget.remaining(alice)).resolves.toEqual({
      remainingEpsilon: 0.5,
      coordinator: { totalEpsilon: 3, spentEpsilon: 1.5, debits: 1 },
      researcher: { totalEpsilon: 2, spentEpsilon: 1.5, debits: 1 },
    });
    // Bob fits his cap (2) but not what is left of the coordinator's total (1.5).
    await expect(budget.debit(bob, 2, 'q3')).rejects.toMatchObject({ code: 'GENOFED_BUDGET_EXHAUSTED' });
    await expect(budget.remaining(bob)).resolves.toMatchObject({ remainingEpsilon: 1.5, coordinator: { spentEpsilon: 1.5 }, researcher: { spentEpsilon: 0 } });
    await expect(budget.debit(bob, 1.5, 'q4')).resolves.toMatchObject({ remainingEpsilon: 0 });
    expect(() => new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 1, perResearcherEpsilon: 2 })).toThrow(/perResearcherEpsilon/);
  });

  it('admits exactly as many concurrent debits as the budget pays for', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 5 });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => budget.debit(alice, 1, `q${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    await expect(budget.remaining(alice)).resolves.toMatchObject({ coordinator: { spentEpsilon: 5, debits: 5 } });
  });

  it('refuses every query on a damaged ledger instead of starting from a fresh budget', async () => {
    const budget = new BudgetLedger(new PrivacyLedger(dir), { totalEpsilon: 2 });
    await budget.debit(alice, 1, 'q1');
    // A complete line that is not a ledger record (a torn one would have no newline).
    await appendFile(join(dir, 'privacy-ledger.jsonl'), '{"seq":2,"ops":[{"op":"debit"\n');
    await expect(budget.debit(alice, 0.1, 'q2')).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT', grpcStatus: 15 });
    await expect(budget.remaining(alice)).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT' });
    await expect(new BudgetLedger(new PrivacyLedger(dir)).remaining(alice)).rejects.toMatchObject({ code: 'GENOFED_LEDGER_CORRUPT' });
  });

  it('rejects epsilons that are not positive finite multiples of a micro-epsilon', () => {
    expect(toMicroEpsilon(0.25)).toBe(250_000);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-9]) expect(() => toMicroEpsilon(bad)).toThrow(/epsilon/);
  });
});
