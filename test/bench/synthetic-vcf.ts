/**
 * Synthetic VCF for benchmarks: a realistic VCFv4.2 with phased diploid GT
 * only, streamed, deterministic from `seed`. Allele frequencies follow a
 * neutral site-frequency spectrum (density ~ 1/x: AF drawn log-uniform in
 * [1/2N, 1], so most variants are rare), ~3% of sites are tri-allelic and
 * ~5% carry a few missing calls ('.|.').
 *
 * Speed: each row is a memcpy of a prebuilt "0|0<TAB>" template, then only
 * the non-ref haplotypes are patched (one byte each). 10,000 samples x
 * 1,000,000 variants is 4e10 bytes; generation has to stay far below the
 * reader's cost per byte to measure the reader, not the generator.
 */
import { Readable } from 'node:stream';
import { BgzfWriter } from '../../node/io/bgzf-writer.js';
import { mulberry32 } from '../../coordinator/demo/demo-arm.js';

export interface SyntheticVcfOptions {
  readonly samples: number;
  readonly variants: number;
  readonly seed: number;
  /** Contig name, default '22' (use 'chr22' for UCSC style). */
  readonly contig?: string;
  /** BGZF-compress the stream (htslib-compatible). */
  readonly bgzip?: boolean;
}

/** mulberry32 (the demo's seeded generator): a tiny, fast, well-mixed 32-bit PRNG; enough for test data. */
export const prng = mulberry32;

const BASES = ['A', 'C', 'G', 'T'] as const;
/** ~1 MiB per push: large enough to amortize stream overhead, small enough for backpressure. */
const CHUNK = 1 << 20;

export function sampleName(i: number): string {
  return `SYN${String(i + 1).padStart(6, '0')}`;
}

export function syntheticVcf(options: SyntheticVcfOptions): Readable {
  const { samples, variants, seed } = options;
  const contig = options.contig ?? '22';
  const rand = prng(seed);
  const header =
    '##fileformat=VCFv4.2\n' +
    // chr22's length, or enough for every position at 10M+ variants (POS grows by <= 61 per record).
    `##contig=<ID=${contig},length=${Math.max(51_304_566, 16_050_000 + 61 * variants)}>\n` +
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n' +
    `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT${samples > 0 ? '\t' : ''}${Array.from({ length: samples }, (_, i) => sampleName(i)).join('\t')}\n`;
  const template = Buffer.from('0|0\t'.repeat(samples));
  if (samples > 0) template[template.length - 1] = 10; // last TAB -> newline
  const haplotypes = 2 * samples;
  let emitted = 0;
  let pos = 16_050_000;
  let headerSent = false;

  const row = (): Buffer[] => {
    pos += 1 + Math.floor(rand() * 60);
    const r = Math.floor(rand() * 4);
    const ref = BASES[r]!;
    const alt1 = BASES[(r + 1 + Math.floor(rand() * 3)) % 4]!;
    const triallelic = rand() < 0.03;
    const others = BASES.filter((b) => b !== ref && b !== alt1);
    const alt = triallelic ? `${alt1},${others[Math.floor(rand() * others.length)]!}` : alt1;
    const fixed = Buffer.from(`${contig}\t${pos}\t.\t${ref}\t${alt}\t.\tPASS\t.\tGT${samples > 0 ? '\t' : '\n'}`, 'latin1');
    if (samples === 0) return [fixed];
    const gt = Buffer.allocUnsafe(template.length);
    template.copy(gt);
    // Neutral SFS: AF log-uniform in [1/2N, 1].
    const af = Math.pow(haplotypes, -rand());
    const carriers = Math.max(1, Math.round(af * haplotypes));
    for (let c = 0; c < carriers; c++) {
      const h = Math.floor(rand() * haplotypes);
      gt[(h >> 1) * 4 + (h & 1) * 2] = triallelic && rand() < 0.3 ? 50 : 49; // '2' or '1'
    }
    if (rand() < 0.05) {
      const missing = 1 + Math.floor(rand() * 4);
      for (let m = 0; m < missing; m++) {
        const s = Math.floor(rand() * samples);
        gt[s * 4] = 46; // '.'
        gt[s * 4 + 2] = 46;
      }
    }
    return [fixed, gt];
  };

  const stream = new Readable({
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(Buffer.from(header));
      }
      const parts: Buffer[] = [];
      let size = 0;
      while (emitted < variants && size < CHUNK) {
        for (const b of row()) {
          parts.push(b);
          size += b.length;
        }
        emitted += 1;
      }
      if (parts.length > 0) this.push(Buffer.concat(parts, size));
      if (emitted >= variants) this.push(null);
    },
  });
  return options.bgzip ? stream.pipe(new BgzfWriter()) : stream;
}

const POPULATIONS: readonly [pop: string, superPop: string][] = [
  ['GBR', 'EUR'], ['FIN', 'EUR'], ['IBS', 'EUR'], ['TSI', 'EUR'], ['CEU', 'EUR'],
  ['YRI', 'AFR'], ['LWK', 'AFR'], ['GWD', 'AFR'], ['MSL', 'AFR'], ['ESN', 'AFR'], ['ASW', 'AFR'], ['ACB', 'AFR'],
  ['CHB', 'EAS'], ['JPT', 'EAS'], ['CHS', 'EAS'], ['CDX', 'EAS'], ['KHV', 'EAS'],
  ['MXL', 'AMR'], ['PUR', 'AMR'], ['CLM', 'AMR'], ['PEL', 'AMR'],
  ['GIH', 'SAS'], ['PJL', 'SAS'], ['BEB', 'SAS'], ['STU', 'SAS'], ['ITU', 'SAS'],
];

/** Schema columns of the synthetic panel's categorical columns (the benches' consortium schemas start with them). */
export const PANEL_SCHEMA_COLUMNS = [
  { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
  { name: 'gender', type: 'categorical', values: ['female', 'male'] },
] as const;

/** Phenotype TSV for the synthetic samples: sample, pop, super_pop, gender, age (1000G panel shape plus age). */
export function syntheticPanel(samples: number, seed: number): string {
  const rand = prng(seed ^ 0x5eed);
  const lines = ['sample\tpop\tsuper_pop\tgender\tage'];
  for (let i = 0; i < samples; i++) {
    const [pop, superPop] = POPULATIONS[Math.floor(rand() * POPULATIONS.length)]!;
    const gender = rand() < 0.5 ? 'male' : 'female';
    const age = 18 + Math.floor(rand() * 73);
    lines.push(`${sampleName(i)}\t${pop}\t${superPop}\t${gender}\t${age}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `node dist/test/bench/synthetic-vcf.js SAMPLES VARIANTS SEED`: the same VCF text on stdout (for bcftools in the benches). */
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const [samples, variants, seed] = process.argv.slice(2).map(Number);
  if (!Number.isInteger(samples) || !Number.isInteger(variants) || !Number.isInteger(seed)) {
    process.stderr.write('usage: synthetic-vcf.js SAMPLES VARIANTS SEED\n');
    process.exit(2);
  }
  syntheticVcf({ samples: samples!, variants: variants!, seed: seed! }).pipe(process.stdout);
}
