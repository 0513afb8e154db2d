/**
 * What happens to each VCF meta-information line (DESIGN.md table,
 * "Pseudonymization per format"). Pure functions over one line of text: the
 * streaming code in `pseudonymize-vcf.ts` calls them, and `verify` and
 * `scan` reuse the same classification.
 *
 * Rules, in order:
 * - `##fileformat`, `##phasing`: kept byte-identical.
 * - `##INFO`, `##FORMAT`, `##FILTER`, `##ALT`, `##META`: kept byte-identical, except that a local
 *   path in them (`/data/x/y.vcf.gz`, `gemini_data/ExAC.vcf.gz`) is reduced to its file name;
 *   URLs of public resources are kept.
 * - `##contig`: kept; a `URL=` key (or any value that is a path) is removed.
 * - `##reference`: reduced to the assembly name (`file:///x/hs37d5.fa` -> `hs37d5`); dropped if no known assembly is named.
 * - `##SAMPLE`: `ID` replaced by the sample pseudonym; only `Genomes` and `Mixture` kept (Description and other keys are free text).
 * - `##PEDIGREE`: every value replaced by the sample pseudonym of that id.
 * - `##INDIVIDUAL`, `##center`: dropped (names of people and of the sequencing centre).
 * - command lines (`*Command*`, `*CommandLine*`, `*cmdline*`, `*Cmd`), tool provenance
 *   (`##bcftools_*`, `##vcftools_*`, `##samtools*`, `##GATK*`), `##source*`, and keys naming
 *   a date or time (`##fileDate`, `##source_PFAM_DATE`): dropped.
 * - any other meta line: kept, unless its value holds a local path, a URL or a date, then dropped.
 * - strict mode: `##SAMPLE`/`##PEDIGREE` dropped, and every meta line not in the
 *   standard list above is dropped.
 */
import type { PseudonymCache } from '../pseudonym.js';

export type HeaderAction =
  | { action: 'keep' }
  | { action: 'drop'; reason: string }
  | { action: 'rewrite'; line: string; reason: string };

/** Keys kept byte-identical in every mode. */
const STANDARD_KEEP = new Set(['fileformat', 'phasing']);
/** Definition lines: kept, except that local paths in them are reduced to file names. */
export const DEFINITION_KEYS = new Set(['INFO', 'FORMAT', 'FILTER', 'ALT', 'META']);

const DROP_KEY_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/command|cmdline|cmd$/i, 'command line'],
  [/^(bcftools|vcftools|samtools|tabix|htslib|gatk|picard)/i, 'tool provenance'],
  [/^source/i, 'source'],
  [/date|time/i, 'date'],
  [/^(individual|center|centre)$/i, 'person or centre'],
];

/** URLs (public references: ftp/http); matched first so their paths are not taken for local ones. */
export const URL_PATTERN = /(?:s?ftp|https?):\/\/[^\s"',>]*/gi;

/**
 * Local paths: `file://`, absolute `/a/b/...`, `C:\...`, or a relative
 * `dir/file.ext` with a genomics/text file extension (so `0/1` or `Hom/Het`
 * in a Description are not paths).
 */
const LOCAL_PATH = /(?:file:\/\/)?(?:(?<![\w.])\/(?:[\w.+@~-]+\/)+[\w.+@~-]*|(?<![\w])[A-Za-z]:\\(?:[\w.+@~-]+\\)*[\w.+@~-]*|(?<![\w/])(?:\.{1,2}\/)?(?:[\w.+@~-]+\/)+[\w.+@~-]+\.(?:fa|fasta|fna|bam|bai|cram|sam|vcf|bcf|bed|gz|bgz|bz2|txt|tsv|csv|list|interval_list|gtf|gff|gff3|json|py|sh|pl|jar))/g;

/** Does the text hold a local path (URLs excluded)? */
export function hasLocalPath(text: string): boolean {
  LOCAL_PATH.lastIndex = 0;
  return LOCAL_PATH.test(text.replace(URL_PATTERN, ' '));
}

/** Does the text hold a local path or a URL? */
export function hasPathOrUrl(text: string): boolean {
  URL_PATTERN.lastIndex = 0;
  return URL_PATTERN.test(text) || hasLocalPath(text);
}

/** Replace each local path (not URLs) by its last component: directories carry user, project and patient names. */
export function reducePaths(text: string): string {
  let out = '';
  let last = 0;
  URL_PATTERN.lastIndex = 0;
  const reduce = (seg: string): string => seg.replace(LOCAL_PATH, (m) => m.split(/[\\/]/).filter(Boolean).pop() ?? '');
  for (const m of text.matchAll(URL_PATTERN)) {
    out += reduce(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + reduce(text.slice(last));
}

/** Dates: ISO/compact YYYY[-/.]MM[-/.]DD with plausible month/day, or `Mon Mar 10 16:30:34 2019` style. */
export const DATE_PATTERN = /(?<!\d)(?:19|20)\d{2}([-/.]?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?!\d)|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,? +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* +\d{1,2}\b/;

/** The key of a `##key=value` line, or '' for a malformed one. */
export function metaKey(line: string): string {
  const eq = line.indexOf('=');
  return eq > 2 ? line.slice(2, eq) : '';
}

/** Split `<a=1,b="x, y",c=2>` into raw [key, value] pairs (quotes kept in value). Returns null if not structured. */
export function parseStructured(value: string): Array<[string, string]> | null {
  if (!value.startsWith('<') || !value.endsWith('>')) return null;
  const body = value.slice(1, -1);
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq < 0) return null;
    const key = body.slice(i, eq);
    let j = eq + 1;
    if (body[j] === '"') {
      j += 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      j += 1;
    } else {
      while (j < body.length && body[j] !== ',') j += 1;
    }
    out.push([key, body.slice(eq + 1, j)]);
    if (j < body.length && body[j] !== ',') return null;
    i = j + 1;
  }
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Canonical assembly names recognised in a `##reference` value, most specific first. */
const ASSEMBLIES: ReadonlyArray<[RegExp, string]> = [
  [/hs37d5/i, 'hs37d5'],
  [/hs38dh|grch38|hg38|hs38/i, 'GRCh38'],
  [/human_g1k_v37|(?:^|[^a-z])b37(?:[^a-z0-9]|$)/i, 'b37'],
  [/grch37|homo_sapiens_assembly19|build37/i, 'GRCh37'],
  [/hg19/i, 'hg19'],
  [/hg18|ncbi36/i, 'NCBI36'],
  [/chm13|t2t/i, 'T2T-CHM13'],
];

/** `file:///data/ref/hs37d5.fa.gz` -> `hs37d5`; null when no known assembly is named. */
export function assemblyName(value: string): string | null {
  const last = value.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  for (const [re, name] of ASSEMBLIES) if (re.test(last)) return name;
  return null;
}

export interface HeaderContext {
  readonly mode: 'default' | 'strict';
  readonly cache: PseudonymCache;
  /** Record (idType, original, pseudonym) for the re-identification map. */
  readonly onPseudonym?: (idType: 'sample', original: string, pseudonym: string) => void;
}

function samplePseudonym(ctx: HeaderContext, id: string): string {
  const p = ctx.cache.get('sample', id);
  ctx.onPseudonym?.('sample', id.trim().normalize('NFC'), p);
  return p;
}

/** Decide what to do with one `##` line. */
export function classifyMetaLine(line: string, ctx: HeaderContext): HeaderAction {
  const key = metaKey(line);
  const value = line.slice(key.length + 3);
  if (!key) return { action: 'drop', reason: 'malformed meta line' };
  if (STANDARD_KEEP.has(key)) return { action: 'keep' };
  if (DEFINITION_KEYS.has(key)) {
    if (!hasLocalPath(value)) return { action: 'keep' };
    return { action: 'rewrite', line: reducePaths(line), reason: 'path in a definition' };
  }
  if (key === 'contig') {
    const fields = parseStructured(value);
    if (!fields) return { action: 'keep' };
    const kept = fields.filter(([k, v]) => k.toUpperCase() !== 'URL' && !hasPathOrUrl(unquote(v)));
    if (kept.length === fields.length) return { action: 'keep' };
    return { action: 'rewrite', line: `##contig=<${kept.map(([k, v]) => `${k}=${v}`).join(',')}>`, reason: 'contig URL' };
  }
  if (key === 'reference') {
    const name = assemblyName(value);
    if (name === null) return { action: 'drop', reason: 'reference without a known assembly' };
    return value === name ? { action: 'keep' } : { action: 'rewrite', line: `##reference=${name}`, reason: 'reference path' };
  }
  if (key === 'SAMPLE' || key === 'PEDIGREE') {
    if (ctx.mode === 'strict') return { action: 'drop', reason: key };
    const fields = parseStructured(value);
    if (!fields) return { action: 'drop', reason: key };
    if (key === 'SAMPLE') {
      const id = fields.find(([k]) => k === 'ID');
      if (!id) return { action: 'drop', reason: key };
      const rest = fields.filter(([k]) => k === 'Genomes' || k === 'Mixture');
      const parts = [`ID=${samplePseudonym(ctx, unquote(id[1]))}`, ...rest.map(([k, v]) => `${k}=${v}`)];
      return { action: 'rewrite', line: `##SAMPLE=<${parts.join(',')}>`, reason: key };
    }
    const parts = fields.map(([k, v]) => `${k}=${samplePseudonym(ctx, unquote(v))}`);
    return { action: 'rewrite', line: `##PEDIGREE=<${parts.join(',')}>`, reason: key };
  }
  for (const [re, reason] of DROP_KEY_PATTERNS) if (re.test(key)) return { action: 'drop', reason };
  if (ctx.mode === 'strict') return { action: 'drop', reason: 'non-standard (strict)' };
  if (hasPathOrUrl(value)) return { action: 'drop', reason: 'path' };
  if (DATE_PATTERN.test(value)) return { action: 'drop', reason: 'date' };
  return { action: 'keep' };
}
