/**
 * Genomic regions as bcftools users write them (`-r` / `-R`), 1-based and
 * inclusive:
 * - one region: `CHR:START-END`, `CHR:POS` (one position), `CHR:START-`
 *   (to the end of the contig), `CHR` (the whole contig); thousands
 *   separators allowed in positions (`chr1:1,000,000-2,000,000`); a contig
 *   name that contains ':' is written in braces, as htslib does:
 *   `{HLA-A*01:01}` or `{HLA-A*01:01}:5-10`;
 * - a list: regions separated by commas (`1:100-200,2,X:5-`);
 * - a regions file (`-R`): BED (0-based half-open, 3+ columns) or tab
 *   `CHR POS` / `CHR BEG END` (1-based inclusive), `#` comments.
 * Validation is strict: anything else is GENOFED_BAD_REGION naming the item
 * or line and what is wrong (`2:abc-def` is refused, not read as a contig).
 * A list is merged per contig (mergeRegions): each record is then answered
 * once, in the order bcftools prints them.
 */
import { ProtoError } from './errors.js';
import { normalizeContig } from './variant.js';

export interface Region {
  readonly chrom: string;
  /** 1-based, inclusive. */
  readonly start: number;
  /** 1-based, inclusive; REGION_END for "to the end of the contig". */
  readonly end: number;
}

/** Longest region list a signed query carries (characters; ~4,000 regions of `chr12:112,345,678-112,456,789` size). */
export const REGION_LIST_MAX = 100_000;

/** End of a whole-contig region: 2^31-1 is the largest VCF POS htslib accepts. */
export const REGION_END = 2 ** 31 - 1;

const RANGE_RE = /^([0-9][0-9,]*)(?:(-)([0-9][0-9,]*)?)?$/;

function bad(where: string, problem: string): ProtoError {
  return new ProtoError('GENOFED_BAD_REGION', `${where}: ${problem}`);
}

function toPos(s: string, where: string, what: string): number {
  if (!/^[0-9]{1,3}(?:,[0-9]{3})*$|^[0-9]+$/.test(s)) {
    throw bad(where, `${what} '${s}' is not a position (digits, optional thousands commas in groups of three)`);
  }
  const n = Number(s.replaceAll(',', ''));
  if (!Number.isSafeInteger(n) || n < 1 || n > REGION_END) throw bad(where, `${what} must be from 1 to ${REGION_END}`);
  return n;
}

function checkContig(chrom: string, where: string): void {
  if (chrom === '') throw bad(where, 'the contig name is empty');
  if (/\s/.test(chrom)) throw bad(where, 'contig names have no spaces');
  if (/[,{}]/.test(chrom)) throw bad(where, "contig names have no ',', '{' or '}'");
}

/** One region; `where` names it in messages (`region '...'` or `region list item 2 '...'`). */
function parseOne(text: string, where: string): Region {
  const s = text.trim();
  if (s === '') throw bad(where, 'the region is empty');
  let chrom: string;
  let range: string | null;
  if (s.startsWith('{')) {
    const close = s.indexOf('}');
    if (close < 0) throw bad(where, "'{' without a closing '}'");
    chrom = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw bad(where, "expected ':' or the end after the braced contig name");
    range = after === '' ? null : after.slice(1);
  } else {
    const colon = s.lastIndexOf(':');
    chrom = colon < 0 ? s : s.slice(0, colon);
    range = colon < 0 ? null : s.slice(colon + 1);
  }
  checkContig(chrom, where);
  if (range === null) return { chrom, start: 1, end: REGION_END };
  if (range === '') throw bad(where, "nothing after ':' (expected POS, START-END or START-)");
  const m = RANGE_RE.exec(range);
  if (!m) {
    if (range.startsWith('-')) throw bad(where, `START is missing before '-'`);
    throw bad(where, `'${range}' after ':' is not POS, START-END or START- (a contig name containing ':' is written in braces, {name})`);
  }
  const start = toPos(m[1]!, where, 'START');
  const end = m[3] !== undefined ? toPos(m[3], where, 'END') : m[2] === '-' ? REGION_END : start;
  if (end < start) throw bad(where, 'END is before START');
  return { chrom, start, end };
}

/**
 * Parse one region (`CHR`, `CHR:POS`, `CHR:START-END`, `CHR:START-`,
 * `{CHR}`...). The contig is everything before the LAST ':', so names with
 * ':' or '-' parse when a position or range follows (`HLA-A*01:01:01:01:5-10`);
 * a whole contig whose name contains ':' needs braces.
 */
export function parseRegion(text: string): Region {
  return parseOne(text, `region '${text.trim()}'`);
}

/**
 * Split a comma-separated list. A comma is a thousands separator, not a
 * list separator, when the piece after it is exactly three digits (then
 * optionally `-` and END digits) and the text before it ends inside a
 * position: `1:1,000,000-2,000,000` is one region, `1:5-10,12` two. So
 * `1:100,200` is position 100200; list a contig named with three digits
 * first, or in a regions file.
 */
function splitList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const piece = raw.trim();
    const prev = out.at(-1);
    if (prev !== undefined && /^[0-9]{3}(?:-[0-9]*)?$/.test(piece) && raw === piece && /:[0-9][0-9,]*(?:-[0-9][0-9,]*)?$/.test(prev)) {
      out[out.length - 1] = `${prev},${piece}`;
    } else {
      out.push(piece);
    }
  }
  return out;
}

/**
 * Parse a region list as `bcftools -r` takes it (comma-separated regions,
 * see parseRegion), merged by mergeRegions. Errors name the item.
 */
export function parseRegions(text: string): Region[] {
  const items = splitList(text);
  if (items.length === 1) return [parseRegion(text)];
  return mergeRegions(items.map((item, i) => {
    if (item === '') throw bad(`region list '${text.trim()}'`, `item ${i + 1} is empty (two commas in a row, or a comma at an end)`);
    return parseOne(item, `region list item ${i + 1} '${item}'`);
  }));
}

/**
 * Merge overlapping and adjacent regions of the same contig (contig
 * aliases are one contig: proto/variant.ts normalizeContig), keeping the
 * name first written. Order, as `bcftools view -r/-R` prints records:
 * contigs in the order first named, regions of a contig by position. Each
 * position is then in at most one region, so each record is answered once.
 */
export function mergeRegions(regions: readonly Region[]): Region[] {
  const byContig = new Map<string, Region[]>();
  for (const r of regions) {
    const k = normalizeContig(r.chrom);
    let list = byContig.get(k);
    if (!list) byContig.set(k, (list = []));
    list.push(r);
  }
  const out: Region[] = [];
  for (const list of byContig.values()) {
    const chrom = list[0]!.chrom;
    const sorted = [...list].sort((a, b) => a.start - b.start || a.end - b.end);
    let cur = { start: sorted[0]!.start, end: sorted[0]!.end };
    for (const r of sorted.slice(1)) {
      if (r.start <= cur.end + 1) cur.end = Math.max(cur.end, r.end);
      else { out.push({ chrom, ...cur }); cur = { start: r.start, end: r.end }; }
    }
    out.push({ chrom, ...cur });
  }
  return out;
}

export interface RegionsFileOptions {
  /** Names the file in messages (a basename, never a path). */
  readonly label?: string;
  /** 'bed': 0-based half-open; 'tab': 1-based inclusive. Default, as bcftools: 'bed' when the label ends in .bed or .bed.gz. */
  readonly format?: 'bed' | 'tab';
}

function filePos(s: string | undefined, where: string, what: string, min: number): number {
  if (s === undefined || !/^[0-9]+$/.test(s)) throw bad(where, `${what} is not a non-negative integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > REGION_END) throw bad(where, `${what} must be from ${min} to ${REGION_END}`);
  return n;
}

/**
 * Parse the lines of a regions file (`bcftools -R`): BED `CHR START END
 * [...]` (0-based, half-open; a zero-length interval selects nothing, as
 * in bcftools; `track`/`browser` lines skipped), or tab `CHR POS` /
 * `CHR BEG END [...]` (1-based inclusive; one layout for the whole file,
 * fixed by its first line). Columns are tab- (or space-) separated; extra
 * columns after END are ignored; blank lines and `#` comments are skipped. Merged by mergeRegions; errors name the line.
 * No I/O: the caller reads the file.
 */
export function parseRegionsFile(lines: Iterable<string>, options: RegionsFileOptions = {}): Region[] {
  const label = options.label ?? 'regions file';
  const bed = (options.format ?? (/\.bed(?:\.gz)?$/i.test(label) ? 'bed' : 'tab')) === 'bed';
  const out: Region[] = [];
  let layout: { withEnd: boolean; line: number } | undefined;
  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (bed && /^(?:track|browser)(?:\s|$)/.test(line)) continue;
    const where = `${label} line ${n}`;
    const cols = line.split(/\s+/);
    const chrom = cols[0]!;
    checkContig(chrom, where);
    if (bed) {
      if (cols.length < 3) throw bad(where, 'a BED line needs CHROM, START and END (0-based, half-open)');
      const start = filePos(cols[1], where, 'START', 0);
      const end = filePos(cols[2], where, 'END', 0);
      if (end < start) throw bad(where, 'END is before START');
      if (end > start) out.push({ chrom, start: start + 1, end });
    } else {
      if (cols.length < 2) throw bad(where, 'expected CHROM POS or CHROM BEG END (1-based, inclusive)');
      // The first line fixes the layout, as in bcftools (which then silently ignores a later
      // line's third column): a different one later is refused instead.
      layout ??= { withEnd: cols.length >= 3, line: n };
      if (layout.withEnd !== cols.length >= 3) {
        throw bad(where, `${cols.length} columns where line ${layout.line} had ${layout.withEnd ? 'CHROM BEG END' : 'CHROM POS'}; a regions file is either CHROM POS or CHROM BEG END throughout`);
      }
      const start = filePos(cols[1], where, layout.withEnd ? 'BEG' : 'POS', 1);
      const end = layout.withEnd ? filePos(cols[2], where, 'END', 1) : start;
      if (end < start) throw bad(where, 'END is before BEG');
      out.push({ chrom, start, end });
    }
  }
  return mergeRegions(out);
}

/**
 * The canonical text of a region list, as it travels in a signed query:
 * parsed, merged (mergeRegions) and formatted, comma-separated. Equal lists
 * give equal text; parseRegions(canonicalRegions(t)) is the merged list.
 */
export function canonicalRegions(text: string): string {
  return formatRegions(parseRegions(text));
}

export function formatRegions(regions: readonly Region[]): string {
  return regions.map(formatRegion).join(',');
}

/** Whether a position of `chrom` (aliases are one contig) lies in one of `regions`. */
export function inRegions(regions: readonly Region[], chrom: string, pos: number): boolean {
  const c = normalizeContig(chrom);
  return regions.some((r) => normalizeContig(r.chrom) === c && pos >= r.start && pos <= r.end);
}

/** inRegions as a function of (chrom, pos) for many keys: contig names are normalized once each. */
export function regionsTest(regions: readonly Region[]): (chrom: string, pos: number) => boolean {
  const norms = regions.map((r) => normalizeContig(r.chrom));
  const seen = new Map<string, string>();
  return (chrom, pos) => {
    let c = seen.get(chrom);
    if (c === undefined) seen.set(chrom, (c = normalizeContig(chrom)));
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!;
      if (norms[i] === c && pos >= r.start && pos <= r.end) return true;
    }
    return false;
  };
}

/** `CHR:START-END`, `CHR:START-` (open end), `CHR` for a whole contig; braces around a name with ':' when no range follows. */
export function formatRegion(r: Region): string {
  if (r.start === 1 && r.end === REGION_END) return r.chrom.includes(':') ? `{${r.chrom}}` : r.chrom;
  return r.end === REGION_END ? `${r.chrom}:${r.start}-` : `${r.chrom}:${r.start}-${r.end}`;
}
