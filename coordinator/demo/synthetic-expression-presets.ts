/**
 * Presets of the synthetic expression data (synthetic-expression.ts) on
 * 1000G samples: `small` for tests, `demo`, `bench` (issue 12).
 */
import { mulberry32 } from './demo-arm.js';
import { DEFAULT_VCF, readDosages, readPanel } from './synthetic-expression-genotypes.js';
import { syntheticExpression, type SyntheticExpression, type ValuesMode } from './synthetic-expression.js';

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

