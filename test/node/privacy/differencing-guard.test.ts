/**
 * The differencing guard: A, then A without one patient, is refused; a
 * disjoint or sufficiently different cohort and the identical cohort are
 * allowed; history is per querier and survives a restart. Cohorts are
 * 1000 Genomes-sized (2,504 samples) and the symmetric differences are
 * checked against a plain Set computation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrivacyLedger } from '../../../node/privacy/budget-ledger.js';
import { cohortBitmap, DifferencingGuard, symmetricDifference } from '../../../node/privacy/differencing-guard.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-diff-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alice = { coordinator: 'coord-1', researcher: 'alice' };
const range = (from: number, to: number): Uint32Array => Uint32Array.from({ length: to - from }, (_, i) => from + i);
const without = (a: Uint32Array, ...drop: number[]): Uint32Array => a.filter((x) => !drop.includes(x));

describe('differencing guard', () => {
  it('refuses A then A without one patient, with GENOFED_COHORT_DIFFERENCING and no count in the message', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    const a = range(0, 661); // e.g. the EUR samples of 1000 Genomes at their store indices
    await guard.admit(alice, a);
    await expect(guard.check(alice, without(a, 17))).resolves.toMatchObject({ ok: false });
    const err = await guard.admit(alice, without(a, 17)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING', grpcStatus: 7 });
    expect((err as Error).message).not.toMatch(/\b1\b|\b17\b|660|661/);
    // A plus one patient, and A with one swapped (difference 2), are refused as well.
    await expect(guard.check(alice, Uint32Array.from([...a, 2000]))).resolves.toMatchObject({ ok: false });
    await expect(guard.check(alice, Uint32Array.from([...without(a, 3), 2000]))).resolves.toMatchObject({ ok: false });
  });

  it('allows the identical cohort again, a disjoint cohort, and one that differs by k or more', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir), { k: 5 });
    const a = range(0, 661);
    await guard.admit(alice, a);
    await guard.admit(alice, a);
    await guard.admit(alice, range(1000, 1500));
    await guard.admit(alice, without(a, 1, 2, 3, 4, 5));
    // ...but that last one is now history too: it and A differ by 5, a cohort between them by fewer.
    await expect(guard.check(alice, without(a, 1, 2))).resolves.toMatchObject({ ok: false });
    const ledger = JSON.parse(await readFile(join(dir, 'privacy-ledger.json'), 'utf8')) as { cohorts: Record<string, unknown[]> };
    expect(Object.values(ledger.cohorts)[0]).toHaveLength(3); // identical cohorts are kept once
  });

  it('keeps history per querier', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    const a = range(0, 100);
    await guard.admit(alice, a);
    await expect(guard.check({ coordinator: 'coord-1', researcher: 'bob' }, without(a, 0))).resolves.toEqual({ ok: true });
    await expect(guard.check({ coordinator: 'coord-2', researcher: 'alice' }, without(a, 0))).resolves.toEqual({ ok: true });
  });

  it('survives a restart: the cohort history is read back from the store folder', async () => {
    const a = range(0, 2504);
    await new DifferencingGuard(new PrivacyLedger(dir)).record(alice, a);
    const restarted = new DifferencingGuard(new PrivacyLedger(dir));
    await expect(restarted.admit(alice, without(a, 2503))).rejects.toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING' });
    await expect(restarted.check(alice, a)).resolves.toEqual({ ok: true });
  });

  it('lets exactly one of two concurrent near-identical cohorts through (check and record are one transaction)', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    const a = range(0, 500);
    const results = await Promise.allSettled([guard.admit(alice, a), guard.admit(alice, without(a, 42))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('computes |A xor B| of bitmaps as a Set computation does, for any sample index sets', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), (xs, ys) => {
        const a = new Set(xs);
        const b = new Set(ys);
        const expected = [...a].filter((x) => !b.has(x)).length + [...b].filter((y) => !a.has(y)).length;
        const ba = cohortBitmap(Uint32Array.from(xs));
        expect(ba.size).toBe(a.size);
        expect(symmetricDifference(ba.bits, cohortBitmap(Uint32Array.from(ys)).bits)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
