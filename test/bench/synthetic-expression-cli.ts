/**
 * Presets and the command line of the synthetic expression data:
 *
 *   node dist/test/bench/synthetic-expression-cli.js --preset small|demo|bench --out DIR
 *        [--seed N] [--values counts|log] [--genes N] [--samples N]
 *        [--sites K] [--split round-robin|blocks|random] [--gzip] [--vcf FILE]
 *
 * writes DIR/expression.tsv[.gz], truth.tsv, genes.tsv, phenotypes.tsv and,
 * with K sites (preset default 3; 0 for none), DIR/hospital-a/... with each
 * site's expression.tsv[.gz], phenotypes.tsv and genotypes.vcf.gz.
 */
import { parseArgs } from 'node:util';
import { assignSites, writeExpressionFiles, writeSiteFiles, type SplitMode } from './synthetic-expression-files.js';
import { DEFAULT_VCF, readDosages, readPanel } from '../../coordinator/demo/synthetic-expression-genotypes.js';
import { DEFAULT_SEED, PRESETS, presetExpression, type PresetName } from '../../coordinator/demo/synthetic-expression-presets.js';
import type { SyntheticExpression, ValuesMode } from '../../coordinator/demo/synthetic-expression.js';

export { PRESETS, presetExpression, pickSamples, type PresetName } from '../../coordinator/demo/synthetic-expression-presets.js';

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
    process.stderr.write('usage: synthetic-expression-cli.js --preset small|demo|bench --out DIR [--seed N] [--values counts|log] [--genes N] [--samples N] [--sites K] [--split round-robin|blocks|random] [--gzip] [--vcf FILE]\n');
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

if (process.argv[1] && import.meta.filename === process.argv[1]) main(process.argv.slice(2));
