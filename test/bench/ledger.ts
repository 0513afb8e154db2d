/**
 * `npm run bench -- --suite ledger [--json] [--quick]`
 *
 * What the node's privacy ledger costs per query: rate-limit admit +
 * differencing-guard admit (one 2,504-sample cohort) + budget debit, i.e.
 * three appended and fdatasync'ed lines, measured on a small ledger and
 * after 1,000 and 10,000 recorded cohorts of a 2,504-sample store (1000
 * Genomes size), in the suite's scratch folder (same disk as the stores).
 * Also: the time to open a ledger (rebuild its state from the log), its
 * size, and the guard alone against 10,000 cohorts of one size (the size
 * filter of `xorDistanceBelow` then skips nothing: worst case).
 *
 * Cohorts: random subsets, each sample in with a probability drawn
 * uniformly from 2-98% (seeded PRNG: the same cohorts every run).
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BudgetLedger, LEDGER_FILE, PrivacyLedger } from '../../node/privacy/budget-ledger.js';
import { DifferencingGuard } from '../../node/privacy/differencing-guard.js';
import { RateLimiter } from '../../node/privacy/rate-limit.js';
import type { BenchSuite } from './suite.js';
import { prng } from './synthetic-vcf.js';

const SAMPLES = 2_504;
const BATCH = 500;

function randomCohort(rand: () => number, fixedSize?: number): Uint32Array {
  if (fixedSize !== undefined) {
    const all = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
    for (let i = 0; i < fixedSize; i++) {
      const j = i + Math.floor(rand() * (SAMPLES - i));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.subarray(0, fixedSize).sort();
  }
  const p = 0.02 + 0.96 * rand();
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) if (rand() < p) out.push(i);
  return Uint32Array.from(out);
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Point {
  readonly cohorts: number;
  readonly fileBytes: number;
  readonly openMs: number;
  readonly msPerQuery: number;
  readonly msPerQueryMedian: number;
  readonly rateMs: number;
  readonly guardMs: number;
  readonly debitMs: number;
  /** guard.check: lock + comparison with the history, no append (the CPU part of the guard). */
  readonly checkMs: number;
}

async function measure(dir: string, cohorts: number, queries: number, seed: number, fixedSize?: number): Promise<Point> {
  await mkdir(dir, { recursive: true });
  const rand = prng(seed);
  const querier = { coordinator: 'coordinator', researcher: 'bench' };
  {
    const guard = new DifferencingGuard(new PrivacyLedger(dir));
    for (let done = 0; done < cohorts; done += BATCH) {
      await guard.record(querier, Array.from({ length: Math.min(BATCH, cohorts - done) }, () => randomCohort(rand, fixedSize)));
    }
  }
  // Opening = rebuilding the state from the log (what a node restart pays once).
  const ledger = new PrivacyLedger(dir);
  let t = performance.now();
  await ledger.read(() => undefined);
  const openMs = performance.now() - t;
  const guard = new DifferencingGuard(ledger, { k: 5 });
  const budget = new BudgetLedger(ledger, { totalEpsilon: 1_000_000 });
  const rates = new RateLimiter(ledger);
  const limits = { perHour: 100_000, perDay: 100_000, perHourPerResearcher: 100_000, perDayPerResearcher: 100_000 };
  const total: number[] = [];
  const rate: number[] = [];
  const admit: number[] = [];
  const debit: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < queries; i++) {
    const cohort = randomCohort(rand, fixedSize);
    const t0 = performance.now();
    await rates.admit(querier, limits);
    const t1 = performance.now();
    // A random cohort may land within k of a recorded one (rare): that is a refusal, also a cost.
    await guard.admit(querier, cohort).catch(() => undefined);
    const t2 = performance.now();
    await budget.debit(querier, 1, `q${i}`);
    t = performance.now();
    rate.push(t1 - t0);
    admit.push(t2 - t1);
    debit.push(t - t2);
    total.push(t - t0);
    const probe = randomCohort(rand, fixedSize);
    const t3 = performance.now();
    await guard.check(querier, probe);
    check.push(performance.now() - t3);
  }
  return {
    cohorts,
    fileBytes: (await stat(join(dir, LEDGER_FILE))).size,
    openMs: r3(openMs),
    msPerQuery: r3(mean(total)),
    msPerQueryMedian: r3(median(total)),
    rateMs: r3(mean(rate)),
    guardMs: r3(mean(admit)),
    debitMs: r3(mean(debit)),
    checkMs: r3(mean(check)),
  };
}

export const suite: BenchSuite = {
  name: 'ledger',
  description: 'privacy ledger cost per query (rate admit + differencing admit + budget debit, 3 fsynced appends) vs recorded 2,504-sample cohorts',
  async run(ctx) {
    const queries = ctx.quick ? 20 : 100;
    const sizes = ctx.quick ? [0, 1_000] : [0, 1_000, 10_000];
    const points: Point[] = [];
    for (const n of sizes) {
      const p = await measure(join(ctx.scratch, `h${n}`), n, queries, 42 + n);
      ctx.log(`  ${n} cohorts: ${p.msPerQuery} ms/query (median ${p.msPerQueryMedian}; rate ${p.rateMs}, guard ${p.guardMs}, debit ${p.debitMs}; check alone ${p.checkMs}), open ${p.openMs} ms, ${p.fileBytes} bytes`);
      points.push(p);
    }
    const worst = ctx.quick ? undefined : await measure(join(ctx.scratch, 'equal'), 10_000, queries, 7, SAMPLES / 2);
    if (worst) ctx.log(`  10,000 cohorts of one size: guard ${worst.guardMs} ms (check alone ${worst.checkMs}), ${worst.msPerQuery} ms/query`);
    const at = (n: number): Point | undefined => points.find((p) => p.cohorts === n);
    return {
      samples: SAMPLES,
      queries_per_point: queries,
      ledger_ms_per_query: at(0)!.msPerQuery,
      ledger_ms_per_query_1000_cohorts: at(1_000)?.msPerQuery,
      ledger_ms_per_query_10000_cohorts: at(10_000)?.msPerQuery,
      guard_ms_10000_cohorts_equal_size: worst?.guardMs,
      guard_check_ms_10000_cohorts: at(10_000)?.checkMs,
      guard_check_ms_10000_cohorts_equal_size: worst?.checkMs,
      open_ms_10000_cohorts: at(10_000)?.openMs,
      file_bytes_10000_cohorts: at(10_000)?.fileBytes,
      points: points.map((p) => ({ ...p })),
      ...(worst ? { worst_case_equal_size: { ...worst } } : {}),
    };
  },
};
