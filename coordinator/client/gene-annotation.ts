/**
 * Where a gene lies, from the researcher's annotation file (read on the
 * researcher's machine; only the coordinates are sent): GTF/GFF (`gene`
 * records; `gene_id` or `gene_name`, Ensembl version suffixes ignored),
 * BED (0-based start; name in column 4) or a TSV with a header naming
 * `gene`, `chrom`, `start`, `end` (1-based, inclusive: what
 * `genofed demo` writes). gzip accepted.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CoordinatorError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface GeneSpan {
  readonly chrom: string;
  /** 1-based, inclusive. */
  readonly start: number;
  readonly end: number;
}

const unversioned = (id: string): string => id.replace(/\.\d+$/, '');

/** The span of `gene` in the annotation text; null when absent. Several records (GTF exons of one gene): their union. */
export function findGene(text: string, gene: string, name = 'annotation'): GeneSpan | null {
  const want = unversioned(gene);
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  let found: { chrom: string; start: number; end: number } | null = null;
  const take = (chrom: string, start: number, end: number, line: number): void => {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) throw new CoordinatorError('GENOFED_USAGE', `${name}:${line}: start/end are not positions`);
    if (found && found.chrom !== chrom) throw new CoordinatorError('GENOFED_USAGE', `${name}: gene ${gene} is on more than one contig`);
    found = found ? { chrom, start: Math.min(found.start, start), end: Math.max(found.end, end) } : { chrom, start, end };
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#') || line.startsWith('track ') || line.startsWith('browser ')) continue;
    const f = line.split('\t');
    if (f.length >= 9 && /(^|;)\s*gene_(id|name)[ =]/.test(f[8]!)) {
      if (f[2] !== 'gene') continue;
      const ids = [...f[8]!.matchAll(/gene_(?:id|name)[ =]"?([^";]+)"?/g)].map((m) => unversioned(m[1]!));
      if (ids.includes(want)) take(f[0]!, Number(f[3]), Number(f[4]), i + 1);
      continue;
    }
    if (header === null && i === lines.findIndex((l) => l !== '' && !l.startsWith('#')) && f.map((x) => x.toLowerCase()).includes('gene')) {
      header = f.map((x) => x.toLowerCase());
      for (const col of ['gene', 'chrom', 'start', 'end']) if (!header.includes(col)) throw new CoordinatorError('GENOFED_USAGE', `${name}: a TSV annotation needs the columns gene, chrom, start, end`);
      continue;
    }
    if (header) {
      const at = (c: string): string => f[header!.indexOf(c)] ?? '';
      if (unversioned(at('gene')) === want) take(at('chrom'), Number(at('start')), Number(at('end')), i + 1);
    } else if (f.length >= 4) {
      // BED: 0-based half-open.
      if (unversioned(f[3]!) === want) take(f[0]!, Number(f[1]) + 1, Number(f[2]), i + 1);
    }
  }
  return found;
}

export async function geneSpanFromFile(path: string, gene: string): Promise<GeneSpan> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (cause) {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `--annotation: cannot read ${basename(path)}`, { cause }), path);
  }
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const span = findGene(text, gene, basename(path));
  if (!span) throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `--annotation: ${basename(path)} has no gene ${gene}`), path);
  return span;
}

/** CHR:START-END (1-based, inclusive) -> span. */
export function parseGeneRegion(text: string): GeneSpan {
  const m = /^([^:\s]+):([\d,]+)-([\d,]+)$/.exec(text.trim());
  if (!m) throw new CoordinatorError('GENOFED_USAGE', `--gene-region: expected CHR:START-END, got '${text}'`);
  const start = Number(m[2]!.replace(/,/g, ''));
  const end = Number(m[3]!.replace(/,/g, ''));
  if (!(start >= 1 && end >= start)) throw new CoordinatorError('GENOFED_USAGE', '--gene-region: start must be >= 1 and <= end');
  return { chrom: m[1]!, start, end };
}
