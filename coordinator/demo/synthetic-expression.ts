/**
 * Synthetic human expression data on real 1000 Genomes samples and
 * genotypes (issue 12: tests, demo and bench data for differential
 * expression and cis expression-by-genotype), deterministic from `seed`.
 *
 * Counts (`values: 'counts'`): gene g, sample j ~ NB(mu, phi) with
 * mu = base_g x lib_j x 2^(effects in log2 units). base_g: log10 ~ N(2, 0.8)
 * reads at the mean library (clamped to [-1, 5.5]); dispersion
 * phi_g = (0.05 + 1 / base_g) x lognormal(0, 0.5) (the mean-dispersion trend
 * and per-gene scatter of polyester/compcodeR); library factor lib_j ~
 * U(10, 40) M / 25 M. Totals: ~5.5 x 100 reads per gene at the mean library
 * (20,000 genes: ~11 M reads). Log values (`values: 'log'`, microarray-like
 * log2 intensities): base_g ~ N(8, 1.8) in [3, 15] plus the same effects plus
 * N(0, sd_g), sd_g = (0.12 + 0.5 x 2^(-(base_g - 4) / 1.5)) x lognormal(0, 0.3),
 * written with 4 decimals.
 *
 * Planted effects (log2 units; the truth table lists them per gene):
 * - group B vs A on `deFraction` of the genes: +-U(0.5, 2);
 * - covariates (`covariates`, fraction of genes each): sex (male vs female,
 *   the panel's real gender) +-U(0.5, 1.5), age (20..79, per year, centred
 *   at 50) +-U(0.01, 0.03), batch (b2 vs b1) +-U(0.3, 1);
 *   a two-level effect fc moves each level by half (B x 2^(fc/2), A x
 *   2^(-fc/2)), and its signs are balanced by expected reads
 *   (`balancedEffects`), so log-CPM of the null genes does not move between
 *   the levels (no composition bias; limma on log-CPM keeps its FDR);
 * - cis-eQTL on `eqtl.genes` of the `eqtl.cisGenes` genes placed around the
 *   genotyped window: beta x dosage of one real variant (MAF >= minMaf in
 *   the samples, within 500 kb of the gene's start), beta +-U(0.3, 1) per
 *   ALT allele (counts: mean x 2^(beta x dosage)).
 * Groups, age and batch are seeded draws independent of ancestry, so none
 * is confounded with the genotypes.
 */
import { assignArms } from './demo-arm.js';
import { CIS_FLANK, layoutGenes, type Gene } from './synthetic-expression-genes.js';
import { DEFAULT_VCF, dosageOf, readDosages, type Genotypes, type PanelRow } from './synthetic-expression-genotypes.js';
import { Draws } from './synthetic-expression-random.js';

export type { Gene } from './synthetic-expression-genes.js';
export type Group = 'A' | 'B';
export type ValuesMode = 'counts' | 'log';

export interface EqtlOptions {
  /** Genes with a planted cis-eQTL. */
  readonly genes: number;
  /** Genes placed around the genotyped window (planted and null); default 5 x genes. */
  readonly cisGenes?: number;
  /** Genotypes of exactly `samples`, in order; default read from `vcf`. */
  readonly genotypes?: Genotypes;
  /** Default: the 1000G IL2RA window (chr10, 3,596 SNPs, 2,504 samples). */
  readonly vcf?: string;
  /** Minor-allele frequency in the samples a planted variant needs; default 0.1. */
  readonly minMaf?: number;
}

export interface SyntheticExpressionOptions {
  readonly samples: readonly string[];
  readonly genes: number;
  readonly seed: number;
  readonly values?: ValuesMode;
  /** Default: a seeded random half of the samples each (independent of ancestry). */
  readonly groups?: ReadonlyMap<string, Group>;
  /** Fraction of genes with a planted group effect; default 0.1. */
  readonly deFraction?: number;
  /** Fraction of genes with a planted effect of each covariate; default 0.05 each. */
  readonly covariates?: { readonly sex?: number; readonly age?: number; readonly batch?: number };
  /** sex, pop and super_pop of the samples (readPanel); without it sex is a seeded draw and pop/super_pop are missing. */
  readonly panel?: ReadonlyMap<string, PanelRow>;
  readonly eqtl?: EqtlOptions;
}

export interface SamplePhenotype {
  readonly sample: string;
  readonly group: Group;
  readonly sex: 'male' | 'female';
  readonly pop: string;
  readonly superPop: string;
  readonly age: number;
  readonly batch: 'b1' | 'b2';
}

export interface GeneTruth {
  readonly gene: string;
  /** log2(B / A); 0 for a null gene. */
  readonly deLog2fc: number;
  /** CHR:POS:REF:ALT of the planted cis-eQTL, '' if none. */
  readonly eqtlVariant: string;
  /** log2 change per ALT allele; 0 if none. */
  readonly eqtlBeta: number;
  readonly sexLog2fc: number;
  readonly ageLog2fcPerYear: number;
  readonly batchLog2fc: number;
  /** Placed around the genotyped window (has variants within 1 Mb). */
  readonly cis: boolean;
}

export interface SyntheticExpression {
  readonly values: ValuesMode;
  readonly samples: readonly string[];
  readonly genes: readonly Gene[];
  /** genes x samples, row-major: counts (Uint32Array) or log2 values rounded to 4 decimals (Float64Array). */
  readonly matrix: Uint32Array | Float64Array;
  readonly truth: readonly GeneTruth[];
  readonly phenotypes: readonly SamplePhenotype[];
  /** The genotypes the eQTL were planted from (null without eqtl). */
  readonly genotypes: Genotypes | null;
}

/** Independent streams per part, so e.g. the layout does not move when the sample count changes. */
const stream = (seed: number, part: number): Draws => new Draws((Math.imul(seed >>> 0, 0x9e3779b1) + part * 0x85ebca6b) >>> 0);

function pickGenes(n: number, fraction: number, d: Draws): Set<number> {
  const order = Array.from({ length: n }, (_, i) => i);
  const k = Math.round(Math.max(0, Math.min(1, fraction)) * n);
  for (let i = 0; i < k; i++) {
    const j = i + d.int(n - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Set(order.slice(0, k));
}

function samplePhenotypes(o: SyntheticExpressionOptions): SamplePhenotype[] {
  const d = stream(o.seed, 1);
  const groups = o.groups ?? assignArms(o.samples, o.seed);
  return o.samples.map((sample) => {
    const row = o.panel?.get(sample);
    const group = groups.get(sample);
    if (group !== 'A' && group !== 'B') throw new RangeError('syntheticExpression: a sample has no group A or B');
    const drawnSex = d.uniform() < 0.5 ? 'male' : 'female';
    const age = 20 + d.int(60);
    const batch = d.uniform() < 0.5 ? 'b1' : 'b2';
    return { sample, group, sex: row?.sex ?? drawnSex, pop: row?.pop ?? '', superPop: row?.superPop ?? '', age, batch };
  });
}

export function syntheticExpression(o: SyntheticExpressionOptions): SyntheticExpression {
  const n = o.samples.length;
  if (new Set(o.samples).size !== n) throw new RangeError('syntheticExpression: duplicate sample ids');
  if (!Number.isInteger(o.genes) || o.genes < 1 || o.genes > 99_999) throw new RangeError('syntheticExpression: genes must be 1..99,999');
  const values = o.values ?? 'counts';
  const phenotypes = samplePhenotypes(o);
  const genotypes = o.eqtl ? (o.eqtl.genotypes ?? readDosages(o.eqtl.vcf ?? DEFAULT_VCF, o.samples)) : null;
  if (genotypes && genotypes.samples.join('\t') !== o.samples.join('\t')) throw new RangeError('syntheticExpression: genotypes are not of the samples, in order');
  const window = genotypes?.variants.length
    ? { chrom: genotypes.variants[0]!.chrom, first: genotypes.variants[0]!.pos, last: genotypes.variants[genotypes.variants.length - 1]!.pos }
    : null;
  const eqtlGenes = o.eqtl?.genes ?? 0;
  const layout = layoutGenes(o.genes, o.eqtl ? (o.eqtl.cisGenes ?? 5 * eqtlGenes) : 0, window, stream(o.seed, 2));

  // Gene levels: counts, base (mean reads at the mean library) and dispersion; log, base and noise sd.
  const dg = stream(o.seed, 5);
  const base = new Float64Array(o.genes);
  const spread = new Float64Array(o.genes);
  for (let g = 0; g < o.genes; g++) {
    if (values === 'counts') {
      base[g] = 10 ** Math.min(5.5, Math.max(-1, dg.normal(2, 0.8)));
      spread[g] = (0.05 + 1 / base[g]!) * Math.exp(dg.normal(0, 0.5));
    } else {
      base[g] = Math.min(15, Math.max(3, dg.normal(8, 1.8)));
      spread[g] = (0.12 + 0.5 * 2 ** (-(base[g]! - 4) / 1.5)) * Math.exp(dg.normal(0, 0.3));
    }
  }
  const reads = values === 'counts' ? base : base.map((b) => 2 ** b);

  // Planted effects.
  const d = stream(o.seed, 3);
  const cov = o.covariates ?? {};
  const de = balancedEffects(pickGenes(o.genes, o.deFraction ?? 0.1, d), 0.5, 2, 0.5, reads, d);
  const sex = balancedEffects(pickGenes(o.genes, cov.sex ?? 0.05, d), 0.5, 1.5, 0.5, reads, d);
  const age = balancedEffects(pickGenes(o.genes, cov.age ?? 0.05, d), 0.01, 0.03, 15, reads, d);
  const batch = balancedEffects(pickGenes(o.genes, cov.batch ?? 0.05, d), 0.3, 1, 0.5, reads, d);
  const eqtl = genotypes ? plantEqtl(layout.genes, layout.cis, genotypes, eqtlGenes, o.eqtl?.minMaf ?? 0.1, d) : new Map<number, { variant: number; beta: number }>();
  const truth: GeneTruth[] = layout.genes.map((g, i) => {
    const e = eqtl.get(i);
    return {
      gene: g.id,
      deLog2fc: de.get(i) ?? 0,
      eqtlVariant: e ? genotypes!.variants[e.variant]!.id : '',
      eqtlBeta: e ? e.beta : 0,
      sexLog2fc: sex.get(i) ?? 0,
      ageLog2fcPerYear: age.get(i) ?? 0,
      batchLog2fc: batch.get(i) ?? 0,
      cis: layout.cis[i]!,
    };
  });

  // Per-sample design: two-level effects split half each way (B +fc/2, A -fc/2), age centred at 50.
  const groupX = Float64Array.from(phenotypes, (p) => (p.group === 'B' ? 0.5 : -0.5));
  const sexX = Float64Array.from(phenotypes, (p) => (p.sex === 'male' ? 0.5 : -0.5));
  const ageX = Float64Array.from(phenotypes, (p) => p.age - 50);
  const batchX = Float64Array.from(phenotypes, (p) => (p.batch === 'b2' ? 0.5 : -0.5));
  const ds = stream(o.seed, 4);
  const lib = Float64Array.from(phenotypes, () => ds.between(10, 40) / 25);

  const matrix = values === 'counts' ? new Uint32Array(o.genes * n) : new Float64Array(o.genes * n);
  const noise = stream(o.seed, 6);
  const effect = new Float64Array(n);
  for (let g = 0; g < o.genes; g++) {
    const t = truth[g]!;
    const e = eqtl.get(g);
    const { deLog2fc: de2, sexLog2fc: sex2, ageLog2fcPerYear: age2, batchLog2fc: batch2 } = t;
    const planted = de2 !== 0 || sex2 !== 0 || age2 !== 0 || batch2 !== 0 || e !== undefined;
    if (planted) {
      for (let j = 0; j < n; j++) effect[j] = de2 * groupX[j]! + sex2 * sexX[j]! + age2 * ageX[j]! + batch2 * batchX[j]!;
      if (e) {
        const dos = dosageOf(genotypes!, e.variant);
        for (let j = 0; j < n; j++) effect[j]! += e.beta * dos[j]!;
      }
    }
    const out = matrix.subarray(g * n, (g + 1) * n);
    if (out instanceof Uint32Array) countsRow(out, base[g]!, spread[g]!, planted ? effect : null, lib, noise);
    else logRow(out, base[g]!, spread[g]!, planted ? effect : null, noise);
  }
  return { values, samples: [...o.samples], genes: layout.genes, matrix, truth, phenotypes, genotypes };
}

/**
 * Effects (log2) of one kind on `genes`: magnitudes U(lo, hi); signs chosen
 * largest expected read change first, each against the running sum, so
 * the ups and downs cancel in each sample's expected total. Otherwise a
 * few highly expressed planted genes shift every other gene's CPM between
 * the groups (composition bias), and log-CPM without TMM would call
 * hundreds of null genes. `half`: the effect's typical lever (0.5 for a
 * two-level split, 15 years for age).
 */
function balancedEffects(genes: ReadonlySet<number>, lo: number, hi: number, half: number, reads: Float64Array, d: Draws): Map<number, number> {
  const drawn = [...genes].map((g) => {
    const m = d.between(lo, hi);
    return { g, m, change: reads[g]! * (2 ** (m * half) - 2 ** (-m * half)) };
  });
  drawn.sort((a, b) => b.change - a.change || a.g - b.g);
  const out = new Map<number, number>();
  let sum = 0;
  for (const x of drawn) {
    const sign = sum > 0 ? -1 : sum < 0 ? 1 : d.sign();
    out.set(x.g, sign * x.m);
    sum += sign * x.change;
  }
  return out;
}

/** One gene's counts: NB(base x lib_j x 2^effect_j, phi) (the model in the header). */
function countsRow(out: Uint32Array, base: number, phi: number, effect: Float64Array | null, lib: Float64Array, noise: Draws): void {
  for (let j = 0; j < out.length; j++) out[j] = noise.negativeBinomial(base * lib[j]! * (effect ? 2 ** effect[j]! : 1), phi);
}

/** One gene's log2 values: base + effect_j + N(0, sd), rounded to 4 decimals. */
function logRow(out: Float64Array, base: number, sd: number, effect: Float64Array | null, noise: Draws): void {
  for (let j = 0; j < out.length; j++) out[j] = Math.round((base + (effect ? effect[j]! : 0) + noise.normal(0, sd)) * 1e4) / 1e4;
}

/** eQTL genes: cis genes in seeded order, each with a seeded variant of MAF >= minMaf within 500 kb of its start. */
function plantEqtl(genes: readonly Gene[], cis: readonly boolean[], g: Genotypes, count: number, minMaf: number, d: Draws): Map<number, { variant: number; beta: number }> {
  const n = g.samples.length;
  const eligible = g.variants.map((_, v) => {
    let s = 0;
    for (const x of dosageOf(g, v)) s += x;
    const af = s / (2 * n);
    return Math.min(af, 1 - af) >= minMaf;
  });
  const candidates = genes.map((_, i) => i).filter((i) => cis[i]);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = d.int(i + 1);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const out = new Map<number, { variant: number; beta: number }>();
  for (const i of candidates) {
    if (out.size >= count) break;
    const gene = genes[i]!;
    const near = g.variants.flatMap((v, k) => (eligible[k] && v.chrom === gene.chrom && Math.abs(v.pos - gene.start) <= CIS_FLANK ? [k] : []));
    if (near.length === 0) continue;
    out.set(i, { variant: near[d.int(near.length)]!, beta: d.sign() * d.between(0.3, 1) });
  }
  return out;
}
