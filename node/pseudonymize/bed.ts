/**
 * BED regions for `--regions` (a gene panel: the guideline's "disease-related
 * genes only"). BED is 0-based half-open. Contig names match across the
 * `chr22`/`22` conventions and `chrM`/`MT`, because hospital BEDs and VCFs
 * often disagree on the prefix (UCSC vs Ensembl/1000G naming).
 *
 * Intervals are merged per contig and kept in sorted typed arrays: a lookup
 * is one binary search (a 500-gene panel: ~9 steps per record).
 */
import type { Readable } from 'node:stream';
import { NodeError } from '../errors.js';
import { openInput } from '../io/open-input.js';
import { readLines, type Line } from '../io/lines.js';

/** Contig name in a convention-free form: no 'chr' prefix, M -> MT. */
export function normalizeContig(name: string): string {
  let n = name.length > 3 && name.slice(0, 3).toLowerCase() === 'chr' ? name.slice(3) : name;
  if (n === 'M' || n === 'm') n = 'MT';
  return n;
}

export class BedRegions {
  private readonly byContig: Map<string, { starts: Float64Array; ends: Float64Array }>;

  /** `intervals`: contig -> [start0, end0) pairs, any order, may overlap. */
  constructor(intervals: Map<string, Array<[number, number]>>) {
    this.byContig = new Map();
    for (const [contig, list] of intervals) {
      const sorted = [...list].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const starts: number[] = [];
      const ends: number[] = [];
      for (const [s, e] of sorted) {
        const last = ends.length - 1;
        if (last >= 0 && s <= ends[last]!) ends[last] = Math.max(ends[last]!, e);
        else {
          starts.push(s);
          ends.push(e);
        }
      }
      const key = normalizeContig(contig);
      const prev = this.byContig.get(key);
      if (prev) {
        // Same contig under two spellings ('chr1' and '1'): merge again.
        const merged = new Map([[key, [...prev.starts].map((s, i) => [s, prev.ends[i]!] as [number, number]).concat(starts.map((s, i) => [s, ends[i]!]))]]);
        this.byContig.set(key, new BedRegions(merged).byContig.get(key)!);
      } else {
        this.byContig.set(key, { starts: Float64Array.from(starts), ends: Float64Array.from(ends) });
      }
    }
  }

  /** Number of merged intervals. */
  get size(): number {
    let n = 0;
    for (const v of this.byContig.values()) n += v.starts.length;
    return n;
  }

  /** Does [start, end) (0-based half-open) overlap any region? */
  overlaps(chrom: string, start: number, end: number): boolean {
    const c = this.byContig.get(normalizeContig(chrom));
    if (!c) return false;
    // Last interval with start < end.
    let lo = 0;
    let hi = c.starts.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (c.starts[mid]! < end) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return idx >= 0 && c.ends[idx]! > start;
  }

  /** Is the 1-based position inside a region? (VCF POS, SAM POS.) */
  contains(chrom: string, pos1: number): boolean {
    return this.overlaps(chrom, pos1 - 1, pos1);
  }
}

/**
 * Parse BED text lines. Skips blank, `#`, `track` and `browser` lines;
 * needs at least chrom, start, end with 0 <= start <= end. Errors give the
 * line number, never the line.
 */
export async function parseBed(lines: AsyncIterable<Line> | Iterable<string>, label: string, signal?: AbortSignal): Promise<BedRegions> {
  const intervals = new Map<string, Array<[number, number]>>();
  let number = 0;
  for await (const item of lines as AsyncIterable<Line | string>) {
    signal?.throwIfAborted();
    let text: string;
    if (typeof item === 'string') {
      number += 1;
      text = item;
    } else {
      number = item.number;
      text = item.bytes.toString('utf8');
    }
    text = text.replace(/\r$/, '');
    if (!text.trim() || text.startsWith('#') || text.startsWith('track') || text.startsWith('browser')) continue;
    const f = text.split('\t');
    if (f.length < 3) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${number}: a BED line needs chrom, start and end separated by tabs`);
    const start = Number(f[1]);
    const end = Number(f[2]);
    if (!f[0] || !/^\d+$/.test(f[1]!) || !/^\d+$/.test(f[2]!) || start > end) {
      throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${number}: BED start/end must be integers with 0 <= start <= end`);
    }
    const list = intervals.get(f[0]) ?? [];
    list.push([start, end]);
    intervals.set(f[0], list);
  }
  if (intervals.size === 0) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: BED file has no regions`);
  return new BedRegions(intervals);
}

/** Open (plain or gzip) and parse a BED file. */
export async function readBedFile(path: string, signal?: AbortSignal): Promise<BedRegions> {
  const input = await openInput(path);
  return parseBed(readLines(input.stream as Readable, signal), input.label, signal);
}
