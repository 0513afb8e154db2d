/**
 * The differencing guard: A, then A without one patient, is refused; a
 * disjoint or sufficiently different cohort and the identical cohort are
 * allowed; history is per coordinator (every researcher name it asserts
 * shares it) and survives a restart; one query's several populations
 * (cohort, strata, carrier set) are each checked against the history, not
 * against each other, and recorded together. Cohorts are 1000
 * Genomes-sized (2,504 samples) and the symmetric differences are checked
 * against a plain Set computation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrivacyLedger } from '../../../node/privacy/budget-ledger.js';
import { toWords, xorDistanceBelow } from '../../../node/privacy/bitmap.js';
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
    const lines = (await readFile(join(dir, 'privacy-ledger.jsonl'), 'utf8')).trimEnd().split('\n').slice(1);
    expect(lines.map((l) => (JSON.parse(l) as { ops: { op: string }[] }).ops.length)).toEqual([1, 1, 1]); // identical cohorts are kept once
  });

  it('keeps one history per coordinator: researcher A asks cohort C, researcher B asks C minus one patient through the same coordinator, refused', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    const c = range(0, 661);
    await guard.admit({ coordinator: 'coord-1', researcher: 'alice' }, c);
    // The coordinator decrypts both answers whatever researcher name it signs into the envelope.
    await expect(guard.admit({ coordinator: 'coord-1', researcher: 'bob' }, without(c, 300))).rejects.toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING' });
    await expect(guard.check({ coordinator: 'coord-1', researcher: 'mallory' }, Uint32Array.from([...c, 700]))).resolves.toMatchObject({ ok: false });
    // Another coordinator (another key holder) has its own history.
    await expect(guard.check({ coordinator: 'coord-2', researcher: 'alice' }, without(c, 300))).resolves.toEqual({ ok: true });
  });

  it('checks every population of one query (cohort, strata, carrier set) against the history, not against each other, and records them together', async () => {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    const cohort = range(0, 1000);
    const female = range(0, 500);
    const male = range(500, 1000);
    const carriers = without(cohort, 10); // a carrier filter dropping one patient: same query, allowed
    await guard.admit(alice, [cohort, female, male, carriers]);
    // Later: "A and female and not X" as a stratum of another query, next to an unrelated cohort.
    await expect(guard.admit(alice, [range(1000, 2000), without(female, 7)])).rejects.toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING' });
    // A refused query records nothing: its other population is not in the history either.
    await expect(guard.check(alice, without(range(1000, 2000), 1))).resolves.toEqual({ ok: true });
    // A carrier set one patient short of an earlier stratum, through another researcher name.
    await expect(guard.admit({ ...alice, researcher: 'bob' }, [range(1500, 2504), without(male, 999)])).rejects.toMatchObject({ code: 'GENOFED_COHORT_DIFFERENCING' });
    // Every set of the first query was recorded: each one, minus a patient, is refused now.
    for (const s of [cohort, female, male, carriers]) await expect(guard.check(alice, without(s, s[3]!))).resolves.toMatchObject({ ok: false });
    // Identical populations within one query and across queries are stored once.
    await guard.admit(alice, [female, female, cohort]);
    const lines = (await readFile(join(dir, 'privacy-ledger.jsonl'), 'utf8')).trimEnd().split('\n').slice(1);
    expect(lines.map((l) => (JSON.parse(l) as { ops: unknown[] }).ops.length)).toEqual([4]);
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

  it('computes |A xor B| of bitmaps as a Set computation does, for any sample index sets (bytes, and words stopping at a limit)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), (xs, ys) => {
        const a = new Set(xs);
        const b = new Set(ys);
        const expected = [...a].filter((x) => !b.has(x)).length + [...b].filter((y) => !a.has(y)).length;
        const ba = cohortBitmap(Uint32Array.from(xs));
        expect(ba.size).toBe(a.size);
        const bb = cohortBitmap(Uint32Array.from(ys));
        expect(symmetricDifference(ba.bits, bb.bits)).toBe(expected);
        const [wa, wb] = [toWords(ba.bits), toWords(bb.bits)];
        expect(wa.size).toBe(a.size);
        for (const limit of [1, 5, 10_000]) expect(xorDistanceBelow(wa, wb, limit)).toBe(Math.min(expected, limit));
      }),
      { numRuns: 300 },
    );
  });
});
