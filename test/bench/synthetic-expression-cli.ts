/**
 * Presets and the command line of the synthetic expression data:
 *
 *   node dist/test/bench/synthetic-expression.js --preset small|demo|bench --out DIR
 *        [--seed N] [--values counts|log] [--genes N] [--samples N]
 *        [--sites K] [--split round-robin|blocks|random] [--gzip] [--vcf FILE]
 *
 * writes DIR/expression.tsv[.gz], truth.tsv, genes.tsv, phenotypes.tsv and,
 * with K sites (preset default 3; 0 for none), DIR/hospital-a/... with each
 * site's expression.tsv[.gz], phenotypes.tsv and genotypes.vcf.gz.
 */
import { parseArgs } from 'node:util';
import { assignSites, writeExpressionFiles, writeSiteFiles, type SplitMode } from './synthetic-expression-files.js';
import { DEFAULT_VCF, readDosages, readPanel } from './synthetic-expression-genotypes.js';
import { syntheticExpression, type SyntheticExpression, type ValuesMode } from './synthetic-expression.js';
import { mulberry32 } from '../../coordinator/demo/demo-arm.js';

export interface Preset {
  readonly genes: number;
  readonly samples: number;
  readonly cisGenes: number;
  readonly eqtlGenes: number;
  readonly sites: number;
}

export const PRESETS = {
  /** Tests: well under a second. */
  small: { genes: 2_000, samples: 120, cisGenes: 100, eqtlGenes: 20, sites: 3 },
  demo: { genes: 5_000, samples: 300, cisGenes: 200, eqtlGenes: 40, sites: 3 },
  /** 300 samples per site x 3 sites. */
  bench: { genes: 20_000, samples: 900, cisGenes: 500, eqtlGenes: 100, sites: 3 },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const DEFAULT_SEED = 20_150_218; // the 1000G Phase 3 VCFs' fileDate

/** `count` panel samples, a seeded choice, in panel order (1000G lists them by population). */
export function pickSamples(panel: readonly { sample: string }[], count: number, seed: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > panel.length) throw new RangeError(`samples must be 1..${panel.length}`);
  const idx = panel.map((_, i) => i);
  const rand = mulberry32(seed ^ 0x51a3);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, count).sort((a, b) => a - b).map((i) => panel[i]!.sample);
}

export interface PresetOptions {
  readonly seed?: number;
  readonly values?: ValuesMode;
  readonly genes?: number;
  readonly samples?: number;
  readonly vcf?: string;
}

/** A preset's data on 1000G samples (seeded choice from the panel) and the VCF's real genotypes. */
export function presetExpression(name: PresetName, options: PresetOptions = {}): SyntheticExpression {
  const p = PRESETS[name];
  const seed = options.seed ?? DEFAULT_SEED;
  const panel = readPanel();
  const samples = pickSamples(panel, options.samples ?? p.samples, seed);
  const vcf = options.vcf ?? DEFAULT_VCF;
  return syntheticExpression({
    samples,
    genes: options.genes ?? p.genes,
    seed,
    values: options.values ?? 'counts',
    panel: new Map(panel.map((r) => [r.sample, r])),
    eqtl: { genes: p.eqtlGenes, cisGenes: p.cisGenes, genotypes: readDosages(vcf, samples) },
  });
}

export function main(argv: readonly string[]): void {
  const { values: a } = parseArgs({
    args: [...argv],
    options: {
      preset: { type: 'string', default: 'small' },
      out: { type: 'string' },
      seed: { type: 'string' },
      values: { type: 'string', default: 'counts' },
      genes: { type: 'string' },
      samples: { type: 'string' },
      sites: { type: 'string' },
      split: { type: 'string', default: 'round-robin' },
      gzip: { type: 'boolean', default: false },
      vcf: { type: 'string' },
    },
  });
  const preset = a.preset as PresetName;
  const int = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  if (!(preset in PRESETS) || !a.out || !['counts', 'log'].includes(a.values) || !['round-robin', 'blocks', 'random'].includes(a.split)) {
    process.stderr.write('usage: synthetic-expression.js --preset small|demo|bench --out DIR [--seed N] [--values counts|log] [--genes N] [--samples N] [--sites K] [--split round-robin|blocks|random] [--gzip] [--vcf FILE]\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const vcf = a.vcf ?? DEFAULT_VCF;
  const seed = int(a.seed) ?? DEFAULT_SEED;
  const data = presetExpression(preset, { seed, values: a.values as ValuesMode, genes: int(a.genes), samples: int(a.samples), vcf });
  const t1 = performance.now();
  const files = writeExpressionFiles(a.out, data, { gzip: a.gzip });
  const sites = int(a.sites) ?? PRESETS[preset].sites;
  const folders = sites > 0 ? writeSiteFiles(a.out, data, assignSites(data.samples, sites, a.split as SplitMode, seed), { gzip: a.gzip, vcf }) : [];
  const t2 = performance.now();
  const de = data.truth.filter((t) => t.deLog2fc !== 0).length;
  const eqtl = data.truth.filter((t) => t.eqtlVariant !== '').length;
  process.stderr.write(
    `${data.genes.length} genes x ${data.samples.length} samples (${data.values}), ${de} DE, ${eqtl} eQTL, ${data.genotypes?.variants.length ?? 0} variants; ` +
      `generated in ${((t1 - t0) / 1000).toFixed(2)} s, written in ${((t2 - t1) / 1000).toFixed(2)} s: ${files.matrix}${folders.length ? ` + ${folders.length} sites` : ''}\n`,
  );
}
