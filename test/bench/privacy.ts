/**
 * `npm run bench -- --suite privacy [--json] [--quick]`
 *
 * Membership inference against the network's allele-frequency answers, with
 * DP off and with the distributed Skellam noise of node/privacy/skellam.ts,
 * on real 1000 Genomes phase 3 fixtures:
 * - genome-wide (the figures at top level): the UW-GAC thinned subset,
 *   autosomes 1-22, 1,126 samples, 24,144 biallelic variants (--quick: chr1-8);
 *   network of 200 (spread over 3 sites; all 200 are the in-targets), 300
 *   held-out out-targets, the other 626 the attacker's reference population;
 * - dense regions (`dense_regions`): the four 1KGP_hg19_*_1MB files and
 *   MTHFR, 2,504 samples, 15,190 variants in strong LD; network 250, out 500,
 *   reference 1,754 (skipped with --quick).
 *
 * The attacker asks ONE query for all variants and spends the whole default
 * budget on it (DEFAULT_EPSILON_BUDGET; the ledger adds epsilons, so no split
 * of the budget is cheaper), then runs the likelihood-ratio test of
 * Sankararaman et al. 2009, the AF form of Shringarpure & Bustamante 2015's
 * Beacon LRT:
 *   L = sum_j x_j log(p_j / r_j) + (2 - x_j) log((1 - p_j) / (1 - r_j))
 * (x_j: target's ALT count, p_j: released network AF, r_j: reference AF),
 * plain and ancestry-matched (see ancestryNeighbours), and the same with the
 * budget spent on the common variants only. Threshold: the 99th percentile of
 * the out-targets' statistics (1% false positives); power = fraction of
 * in-targets above it; lrt_power_dp_on is the best of the attackers, averaged
 * over 5 independent noise draws.
 *
 * Honest scope: the released values are computed in plaintext with the same
 * noise module the nodes use (each of 3 sites draws its noiseShare); BFV
 * aggregation is exact and the masks cancel, so the decrypted totals are
 * these values, but this run does not go through gRPC or encryption.
 * Disclosure control (small counts "<k") is not applied: the figures are
 * for the noise alone.
 */
import { resolve, sep } from 'node:path';
import { readVcfFile } from '../../node/vcf/index.js';
import { DEFAULT_DELTA, DEFAULT_EPSILON_BUDGET, noiseShare, skellamMu } from '../../node/privacy/skellam.js';
import type { BenchSuite } from './suite.js';

// From dist/test/bench the fixtures are three levels up; from the TS source (vitest, tsx) two.
const FIXTURES = resolve(import.meta.dirname, import.meta.dirname.split(sep).includes('dist') ? '../../../test/fixtures/vcf/1kg_dev' : '../fixtures/vcf/1kg_dev');
const SITES = 3;

/** A dataset and its split: network (= the in-targets), out-targets, the rest is the attacker's reference. */
interface Dataset {
  readonly name: string;
  readonly files: readonly string[];
  readonly network: number;
  readonly outTargets: number;
}

/** 1000G phase 3 thinned genome-wide (UW-GAC subset): 1,126 samples, ~1.1k sites per autosome, little LD. */
const GENOME_WIDE = (chromosomes: number): Dataset => ({
  name: 'genome-wide',
  files: Array.from({ length: chromosomes }, (_, i) => `uwgac_1KG_phase3_subset/1KG_phase3_subset_chr${i + 1}.vcf.gz`),
  network: 200,
  outTargets: 300,
});

/** Five dense 1 Mb regions of 1000G phase 3 (2,504 samples): many variants, but in strong LD. */
const DENSE: Dataset = {
  name: 'dense-regions',
  files: ['1KGP_hg19_AIRE_1MB.vcf.gz', '1KGP_hg19_APOE_1MB.vcf.gz', '1KGP_hg19_CFTR_1MB.vcf.gz', '1KGP_hg19_IL2RA_1MB.vcf.gz', 'genotype_plot_chr1_MTHFR_2504.vcf.gz'],
  network: 250,
  outTargets: 500,
};
const MISSING = 255;

/** Genotype matrix: variant-major ALT counts (0, 1, 2; MISSING), biallelic variants only. */
interface Genotypes {
  readonly samples: number;
  readonly variants: number;
  readonly gt: Uint8Array;
}

async function loadGenotypes(files: readonly string[]): Promise<Genotypes> {
  const rows: Uint8Array[] = [];
  let samples = -1;
  for (const f of files) {
    const reader = await readVcfFile(resolve(FIXTURES, f), { strict: false });
    const n = reader.header.samples.length;
    if (samples !== -1 && n !== samples) throw new Error(`${f}: sample count differs between fixtures`);
    samples = n;
    for await (const batch of reader.variants()) {
      for (const v of batch) {
        if (v.alts.length !== 1) continue;
        const row = new Uint8Array(n); // implicit hom-ref = 0
        for (let k = 0; k < v.sample.length; k++) {
          let alt = 0;
          let missing = v.offset[k + 1]! === v.offset[k]!;
          for (let a = v.offset[k]!; a < v.offset[k + 1]!; a++) {
            const allele = v.alleles[a]!;
            if (allele < 0) missing = true;
            else if (allele === 1) alt++;
          }
          // Diploid autosomes in these fixtures; another ploidy counts as missing here.
          if (v.offset[k + 1]! - v.offset[k]! !== 2) missing = true;
          row[v.sample[k]!] = missing ? MISSING : alt;
        }
        rows.push(row);
      }
    }
  }
  const gt = new Uint8Array(rows.length * samples);
  rows.forEach((r, i) => gt.set(r, i * samples));
  return { samples, variants: rows.length, gt };
}

/** Deterministic PRNG (mulberry32) for the sample split only; noise uses the CSPRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(n: number, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const r = prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

/** AC and AN per variant over a set of samples (an independent plain count). */
function counts(g: Genotypes, members: readonly number[]): { ac: Float64Array; an: Float64Array } {
  const ac = new Float64Array(g.variants);
  const an = new Float64Array(g.variants);
  for (let v = 0; v < g.variants; v++) {
    const base = v * g.samples;
    let a = 0;
    let n = 0;
    for (const s of members) {
      const x = g.gt[base + s]!;
      if (x === MISSING) continue;
      a += x;
      n += 2;
    }
    ac[v] = a;
    an[v] = n;
  }
  return { ac, an };
}

const clampAf = (p: number): number => Math.min(0.999, Math.max(0.001, p));

/** LRT statistic per target over the chosen variants. */
function lrt(g: Genotypes, targets: readonly number[], netAf: Float64Array, refAf: Float64Array, use: Uint8Array): Float64Array {
  const wAlt = new Float64Array(g.variants);
  const wRef = new Float64Array(g.variants);
  for (let v = 0; v < g.variants; v++) {
    const p = clampAf(netAf[v]!);
    const r = clampAf(refAf[v]!);
    wAlt[v] = Math.log(p / r);
    wRef[v] = Math.log((1 - p) / (1 - r));
  }
  return Float64Array.from(targets, (s) => {
    let L = 0;
    for (let v = 0; v < g.variants; v++) {
      if (!use[v]) continue;
      const x = g.gt[v * g.samples + s]!;
      if (x === MISSING) continue;
      L += x * wAlt[v]! + (2 - x) * wRef[v]!;
    }
    return L;
  });
}

/** Power at 1% FPR: threshold = the 99th percentile of the out statistics. */
function powerAt1Pct(inStats: Float64Array, outStats: Float64Array): number {
  const sorted = Float64Array.from(outStats).sort();
  const threshold = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  let above = 0;
  for (const x of inStats) if (x > threshold) above++;
  return above / inStats.length;
}

interface Release {
  readonly af: Float64Array;
}

/** Network answer: per-site counts plus each site's noise share (mu = 0: exact). */
function release(g: Genotypes, siteMembers: readonly (readonly number[])[], mu: number): Release {
  const ac = new Float64Array(g.variants);
  const an = new Float64Array(g.variants);
  for (const members of siteMembers) {
    const c = counts(g, members);
    const noiseAc = mu > 0 ? noiseShare({ mu, parties: siteMembers.length, length: g.variants }) : undefined;
    const noiseAn = mu > 0 ? noiseShare({ mu, parties: siteMembers.length, length: g.variants }) : undefined;
    for (let v = 0; v < g.variants; v++) {
      ac[v]! += c.ac[v]! + (noiseAc?.[v] ?? 0);
      an[v]! += c.an[v]! + (noiseAn?.[v] ?? 0);
    }
  }
  // What the researcher computes from the released (noisy) totals, clamped as disclosure control clamps.
  const af = Float64Array.from(ac, (a, v) => {
    const n = Math.max(an[v]!, 1);
    return Math.min(Math.max(a, 0), n) / n;
  });
  return { af };
}

/**
 * Ancestry-matched baseline: in 1000 Genomes (26 populations) most of the
 * LRT's spread between targets is ancestry (the network's chance excess of
 * one population), not membership: without a correction the test reached
 * 5.6% power at 1% FPR here. The attacker knows some non-members (the out
 * set); each target's statistic is compared with the mean over its
 * NEIGHBOURS most similar out-targets (IBS distance on every 4th variant,
 * itself excluded). Returns, per target, the indices of those neighbours.
 */
const NEIGHBOURS = 20;
function ancestryNeighbours(g: Genotypes, targets: readonly number[], outT: readonly number[]): Int32Array[] {
  const snps: number[] = [];
  for (let v = 0; v < g.variants; v += 4) snps.push(v);
  const pack = (s: number): Uint8Array => Uint8Array.from(snps, (v) => Math.min(g.gt[v * g.samples + s]!, 2));
  const outG = outT.map(pack);
  return targets.map((s) => {
    const mine = pack(s);
    const dist = outG.map((o, k) => {
      if (outT[k] === s) return Infinity;
      let d = 0;
      for (let i = 0; i < mine.length; i++) d += Math.abs(mine[i]! - o[i]!);
      return d;
    });
    return Int32Array.from(
      dist.map((d, k) => [d, k] as const).sort((a, b) => a[0] - b[0]).slice(0, NEIGHBOURS),
      ([, k]) => k,
    );
  });
}

function adjusted(stats: Float64Array, outStats: Float64Array, neighbours: readonly Int32Array[]): Float64Array {
  return Float64Array.from(stats, (x, i) => {
    let m = 0;
    for (const k of neighbours[i]!) m += outStats[k]!;
    return x - m / neighbours[i]!.length;
  });
}

interface Outcome {
  readonly powerPlain: number;
  readonly powerMatched: number;
  readonly mae: { overall: number; lt1: number; b1to5: number; b5to50: number };
}

interface Split {
  readonly inT: number[];
  readonly outT: number[];
  readonly inNeighbours: Int32Array[];
  readonly outNeighbours: Int32Array[];
}

/** `use`: the variants the attacker's query asked for (all, or only the common ones). */
function attack(g: Genotypes, rel: Release, exactAf: Float64Array, refAf: Float64Array, split: Split, use: Uint8Array): Outcome {
  const inStats = lrt(g, split.inT, rel.af, refAf, use);
  const outStats = lrt(g, split.outT, rel.af, refAf, use);
  const powerPlain = powerAt1Pct(inStats, outStats);
  const powerMatched = powerAt1Pct(adjusted(inStats, outStats, split.inNeighbours), adjusted(outStats, outStats, split.outNeighbours));
  const sums = { overall: [0, 0], lt1: [0, 0], b1to5: [0, 0], b5to50: [0, 0] };
  for (let v = 0; v < g.variants; v++) {
    if (!use[v]) continue;
    const err = Math.abs(rel.af[v]! - exactAf[v]!);
    const maf = Math.min(exactAf[v]!, 1 - exactAf[v]!);
    const bin = maf < 0.01 ? sums.lt1 : maf < 0.05 ? sums.b1to5 : sums.b5to50;
    for (const s of [sums.overall, bin]) {
      s[0]! += err;
      s[1]!++;
    }
  }
  const mean = (s: number[]): number => (s[1]! > 0 ? s[0]! / s[1]! : NaN);
  return { powerPlain, powerMatched, mae: { overall: mean(sums.overall), lt1: mean(sums.lt1), b1to5: mean(sums.b1to5), b5to50: mean(sums.b5to50) } };
}

const r4 = (x: number): number => Number(x.toPrecision(4));
const r3 = (x: number): number => Number(x.toFixed(3));

interface Experiment {
  readonly variants: number;
  readonly samples: number;
  readonly network: number;
  readonly reference: number;
  readonly outTargets: number;
  readonly off: Outcome;
  readonly sweep: Sweep[];
}

type Sweep = Outcome & { epsilon: number; mu: number; commonQuery: Outcome & { mu: number; variants: number } };

/** The strongest of the attacks run at one epsilon. */
const bestPower = (x: Sweep): number => Math.max(x.powerPlain, x.powerMatched, x.commonQuery.powerPlain, x.commonQuery.powerMatched);

function meanOutcome(xs: readonly Outcome[]): Outcome {
  const m = (f: (o: Outcome) => number): number => xs.reduce((a, o) => a + f(o), 0) / xs.length;
  return {
    powerPlain: m((o) => o.powerPlain),
    powerMatched: m((o) => o.powerMatched),
    mae: { overall: m((o) => o.mae.overall), lt1: m((o) => o.mae.lt1), b1to5: m((o) => o.mae.b1to5), b5to50: m((o) => o.mae.b5to50) },
  };
}

async function experiment(ds: Dataset, epsilons: readonly number[], repeats: number, log: (line: string) => void): Promise<Experiment> {
  const t0 = performance.now();
  const g = await loadGenotypes(ds.files);
  log(`[${ds.name}] read ${g.variants} biallelic variants x ${g.samples} samples from ${ds.files.length} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (g.samples < ds.network + ds.outTargets + 300) throw new Error('the fixtures have too few samples for the split');
  const order = shuffled(g.samples, 20_150_601);
  const network = order.slice(0, ds.network);
  const outT = order.slice(ds.network, ds.network + ds.outTargets);
  const reference = order.slice(ds.network + ds.outTargets);
  const inT = network;
  const sites = Array.from({ length: SITES }, (_, s) => network.filter((_, i) => i % SITES === s));

  const exact = counts(g, network);
  const exactAf = Float64Array.from(exact.ac, (a, v) => a / Math.max(exact.an[v]!, 1));
  const ref = counts(g, reference);
  const refAf = Float64Array.from(ref.ac, (a, v) => a / Math.max(ref.an[v]!, 1));
  const mafBins = [0, 0, 0];
  for (const p of exactAf) mafBins[Math.min(p, 1 - p) < 0.01 ? 0 : Math.min(p, 1 - p) < 0.05 ? 1 : 2]!++;
  log(`[${ds.name}] network ${network.length} (${SITES} sites) = in-targets, out-targets ${outT.length}, reference ${reference.length}; variants by network MAF <1% ${mafBins[0]}, 1-5% ${mafBins[1]}, 5-50% ${mafBins[2]}`);

  const split: Split = { inT, outT, inNeighbours: ancestryNeighbours(g, inT, outT), outNeighbours: ancestryNeighbours(g, outT, outT) };
  const all = new Uint8Array(g.variants).fill(1);
  // The attacker may instead spend the same epsilon on the common variants only
  // (reference MAF >= 5%): fewer counts, so less noise per count.
  const common = Uint8Array.from(refAf, (r) => (Math.min(r, 1 - r) >= 0.05 ? 1 : 0));
  const commonCount = common.reduce((a, b) => a + b, 0);
  const off = attack(g, release(g, sites, 0), exactAf, refAf, split, all);
  log(`[${ds.name}] DP off: LRT power at 1% FPR ${off.powerPlain.toFixed(3)} (plain), ${off.powerMatched.toFixed(3)} (ancestry-matched)`);

  // One query asks for all variants; it returns ac, an and nhomalt per variant,
  // each changed by at most 2 when one person is added or removed.
  const countsPerPerson = 3 * g.variants;
  const sweep: Sweep[] = [];
  for (const epsilon of epsilons) {
    const mu = skellamMu({ epsilon, delta: DEFAULT_DELTA, sensitivity: 2, counts: countsPerPerson });
    const muCommon = skellamMu({ epsilon, delta: DEFAULT_DELTA, sensitivity: 2, counts: 3 * commonCount });
    // One noise draw gives a power estimate with ~1-2 points of spread (200 in, 300 out):
    // average over `repeats` independent releases.
    const on = meanOutcome(Array.from({ length: repeats }, () => attack(g, release(g, sites, mu), exactAf, refAf, split, all)));
    const onCommon = meanOutcome(Array.from({ length: repeats }, () => attack(g, release(g, sites, muCommon), exactAf, refAf, split, common)));
    sweep.push({ ...on, epsilon, mu, commonQuery: { ...onCommon, mu: muCommon, variants: commonCount } });
    log(`[${ds.name}] eps ${epsilon} (delta ${DEFAULT_DELTA}), mean of ${repeats} releases: all ${g.variants} variants: mu ${r4(mu)} (sd ${r4(Math.sqrt(2 * mu))} per count): power ${on.powerPlain.toFixed(3)} plain / ${on.powerMatched.toFixed(3)} matched; AF MAE ${r4(on.mae.overall)} (MAF <1% ${r4(on.mae.lt1)}, 1-5% ${r4(on.mae.b1to5)}, 5-50% ${r4(on.mae.b5to50)})`);
    log(`[${ds.name}]   same eps on the ${commonCount} common variants only: sd ${r4(Math.sqrt(2 * muCommon))} per count: power ${onCommon.powerPlain.toFixed(3)} plain / ${onCommon.powerMatched.toFixed(3)} matched; AF MAE ${r4(onCommon.mae.overall)}`);
  }
  return { variants: g.variants, samples: g.samples, network: network.length, reference: reference.length, outTargets: outT.length, off, sweep };
}

export const suite: BenchSuite = {
  name: 'privacy',
  description: 'membership inference (LRT) against AF answers on 1000 Genomes, DP off vs Skellam noise at the default budget; AF error by MAF bin',
  async run(ctx) {
    const t0 = performance.now();
    const epsilons = ctx.quick ? [DEFAULT_EPSILON_BUDGET] : [...new Set([1, 4, 8, DEFAULT_EPSILON_BUDGET, 16, 32, 64])].sort((a, b) => a - b);
    const main = await experiment(GENOME_WIDE(ctx.quick ? 8 : 22), epsilons, ctx.quick ? 2 : 5, ctx.log);
    const d = main.sweep.find((x) => x.epsilon === DEFAULT_EPSILON_BUDGET)!;
    const dense = ctx.quick ? undefined : await experiment(DENSE, [DEFAULT_EPSILON_BUDGET], 3, ctx.log);
    return {
      dataset: 'genome-wide',
      variants: main.variants,
      network_samples: main.network,
      reference_samples: main.reference,
      in_targets: main.network,
      out_targets: main.outTargets,
      lrt_power_dp_off: r3(Math.max(main.off.powerPlain, main.off.powerMatched)),
      lrt_power_dp_off_plain: main.off.powerPlain,
      lrt_power_dp_off_matched: main.off.powerMatched,
      // The attacker spends the whole default budget on one query of all variants
      // (the ledger adds epsilons, so no split of the budget costs less); the
      // query's epsilon is RDP-composed over its 3 x variants counts.
      epsilon_per_query: DEFAULT_EPSILON_BUDGET,
      queries: 1,
      epsilon_total: DEFAULT_EPSILON_BUDGET,
      delta: DEFAULT_DELTA,
      mu: r4(d.mu),
      noise_sd_per_count: r4(Math.sqrt(2 * d.mu)),
      lrt_power_dp_on: r3(bestPower(d)),
      lrt_power_dp_on_plain: r3(d.powerPlain),
      lrt_power_dp_on_matched: r3(d.powerMatched),
      lrt_power_dp_on_common_query: r3(Math.max(d.commonQuery.powerPlain, d.commonQuery.powerMatched)),
      common_query_variants: d.commonQuery.variants,
      noise_sd_per_count_common_query: r4(Math.sqrt(2 * d.commonQuery.mu)),
      af_mae_dp_on_common_query: r4(d.commonQuery.mae.overall),
      af_mae_dp_on: r4(d.mae.overall),
      af_mae_dp_on_maf_lt1: r4(d.mae.lt1),
      af_mae_dp_on_maf_1to5: r4(d.mae.b1to5),
      af_mae_dp_on_maf_5to50: r4(d.mae.b5to50),
      af_mae_dp_on_by_maf: { lt_0_01: r4(d.mae.lt1), '0_01_to_0_05': r4(d.mae.b1to5), '0_05_to_0_5': r4(d.mae.b5to50) },
      epsilon_sweep: main.sweep.map((x) => ({ epsilon: x.epsilon, mu: r4(x.mu), power_best: r3(bestPower(x)), power_plain: r3(x.powerPlain), power_matched: r3(x.powerMatched), af_mae: r4(x.mae.overall), af_mae_maf_5to50: r4(x.mae.b5to50), af_mae_common_query: r4(x.commonQuery.mae.overall) })),
      dense_regions: dense && {
        variants: dense.variants,
        network_samples: dense.network,
        out_targets: dense.outTargets,
        lrt_power_dp_off: r3(Math.max(dense.off.powerPlain, dense.off.powerMatched)),
        lrt_power_dp_on: r3(bestPower(dense.sweep[0]!)),
        af_mae_dp_on: r4(dense.sweep[0]!.mae.overall),
      },
      releases_averaged: ctx.quick ? 2 : 5,
      seconds: r4((performance.now() - t0) / 1000),
    };
  },
};
