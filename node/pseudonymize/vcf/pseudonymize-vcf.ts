/**
 * Streaming VCF pseudonymization (issue 5): header lines per
 * `header-rules.ts`, sample names of the `#CHROM` line replaced by sample
 * pseudonyms (and, before `#CHROM`, a `##genofed_pseudonyms` line whose
 * MAC over them lets ingest check they are this site's pseudonyms:
 * `sample-list-mac.ts`), non-rs ids of the ID column replaced, optional
 * `--regions` filter; every other byte of a kept record is copied unchanged.
 *
 * `pseudonymizeVcfLines` is the parser (lines in, output chunks out, no
 * I/O). `pseudonymizeVcfFile` does the I/O: bgzip/gzip input gives BGZF
 * output (so tabix and `bcftools index` accept it; a plain-gzip input is
 * upgraded to BGZF, which is still valid gzip), plain input gives plain
 * output; the output is written atomically. BCF input is refused: convert
 * it with `bcftools view -Oz` first.
 */
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NodeError } from '../../errors.js';
import { writeAtomically } from '../../io/atomic-output.js';
import { BgzfWriter } from '../../io/bgzf-writer.js';
import { readLines, type Line } from '../../io/lines.js';
import { validatedVcfLines } from '../../vcf/line-validator.js';
import { openInput, type Compression } from '../../io/open-input.js';
import type { BedRegions } from '../bed.js';
import { PseudonymCache } from '../pseudonym.js';
import type { MapCollector } from '../reid-map.js';
import { isPseudonymsMetaLine, pseudonymsMetaLine } from '../sample-list-mac.js';
import type { SiteKey } from '../site-key.js';
import { classifyMetaLine, type HeaderContext } from './header-rules.js';
import { infoDefinition, levelMetaAction } from './level-header.js';
import { levelContext, levelOptions, maskRecord, type FieldDef, type VcfLevel } from './level-rules.js';
import { countColumns, idColumnIsPublic, parseUint, recordEnd, rewriteIdColumn, tabOffsets } from './records.js';

export type PseudonymizeMode = 'default' | 'strict';

export interface VcfPseudonymizeOptions {
  key: SiteKey;
  mode?: PseudonymizeMode;
  regions?: BedRegions;
  map?: MapCollector;
  /** Guideline level (issue 13; README "VCF levels"): standard (default), low or high. */
  level?: VcfLevel;
  /** high: rare threshold (site MAF strictly below it; default 0.01). */
  maf?: number;
  /** high: minimum STR repeats (default 7). */
  strMinRepeat?: number;
  /** high: STR motif lengths, inclusive (default [1, 6]). */
  strMotif?: readonly [number, number];
  /** File name for error messages (basename only). */
  label: string;
  signal?: AbortSignal;
}

/** Counts only: never an id, a name or a path (written by `--report`). */
export interface VcfReport {
  format: 'vcf';
  mode: PseudonymizeMode;
  keyId: string;
  keyVersion: number;
  samples: number;
  recordsIn: number;
  recordsOut: number;
  recordsOutsideRegions: number;
  variantIdsReplaced: number;
  headerLinesKept: number;
  headerLinesRewritten: Record<string, number>;
  headerLinesDropped: Record<string, number>;
  inputCompression?: Compression;
  outputCompression?: 'none' | 'bgzf';
  /** Set for low/high: the level and, for high, records masked by each rule (counts only). */
  level?: VcfLevel;
  strMasked?: number;
  rareMasked?: number;
  /** Rare-masked records whose MAF came from the genotypes (no INFO MAF/AF/AC+AN): the reference tool would leave them unmasked. */
  rareFromGenotypes?: number;
}

export const FIXED_COLUMNS = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'] as const;
/** Output is handed on in ~1 MiB pieces: fewer stream writes than one per line (2,504-sample lines are ~10 KB). */
const CHUNK = 1 << 20;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function emptyVcfReport(key: SiteKey, mode: PseudonymizeMode): VcfReport {
  return {
    format: 'vcf', mode, keyId: key.keyId, keyVersion: key.version, samples: 0, recordsIn: 0, recordsOut: 0,
    recordsOutsideRegions: 0, variantIdsReplaced: 0, headerLinesKept: 0, headerLinesRewritten: {}, headerLinesDropped: {},
  };
}

/**
 * Pseudonymize VCF lines; yields output bytes in ~1 MiB chunks and fills
 * `report`. Throws GENOFED_INPUT_FORMAT with the line number on a broken
 * header or a record with the wrong number of columns.
 */
export async function* pseudonymizeVcfLines(lines: AsyncIterable<Line>, options: VcfPseudonymizeOptions, report: VcfReport): AsyncGenerator<Buffer> {
  const { label, regions, map, signal } = options;
  const mode = options.mode ?? 'default';
  const cache = new PseudonymCache(options.key);
  const ctx: HeaderContext = { mode, cache, onPseudonym: map ? (t, o, p) => map.add(t, o, p) : undefined };
  const variantId = (original: string): string => {
    const p = cache.get('variant-id', original);
    map?.add('variant-id', original, p);
    return p;
  };
  const fail = (line: number, what: string): NodeError => new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${line}: ${what}`);
  const levels = levelOptions(options);
  const infoDefs = new Map<string, FieldDef>();
  const levelHeader = { cmdline: false };
  const level = levelContext(levels, infoDefs); // infoDefs fills up while the header is read
  if (levels.level !== 'standard') {
    report.level = levels.level;
    if (levels.level === 'high') Object.assign(report, { strMasked: 0, rareMasked: 0, rareFromGenotypes: 0 });
  }

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const emit = (b: Buffer): void => {
    pending.push(b);
    pendingBytes += b.length;
  };
  const NL = Buffer.from('\n');

  let columns = 0; // expected columns per record, known after #CHROM
  let sawFileformat = false;
  const tabs = new Int32Array(8);

  for await (const { bytes, number } of lines) {
    if (columns === 0) {
      // Header.
      if (number === 1) {
        if (bytes.length >= 3 && bytes[0] === 0x42 && bytes[1] === 0x43 && bytes[2] === 0x46) throw fail(1, 'BCF input is not supported; convert it to VCF with bcftools view first');
        if (!bytes.toString('latin1').startsWith('##fileformat=VCF')) throw fail(1, 'not a VCF file (the first line must be ##fileformat=VCFv4.x)');
        sawFileformat = true;
      }
      if (bytes.length === 0) throw fail(number, 'empty line in the header');
      const text = bytes.toString('utf8');
      if (isPseudonymsMetaLine(text)) {
        // A previous run's line: the one for this output is written before #CHROM.
        bump(report.headerLinesDropped, 'previous genofed_pseudonyms');
        continue;
      }
      if (text.startsWith('##')) {
        const def = infoDefinition(text);
        if (def) infoDefs.set(def[0], def[1]);
        const verdict = levelMetaAction(text, classifyMetaLine(text, ctx), levels.level, levelHeader);
        if (verdict.action === 'keep') {
          report.headerLinesKept++;
          emit(Buffer.from(bytes));
          emit(NL);
        } else if (verdict.action === 'rewrite') {
          bump(report.headerLinesRewritten, verdict.reason);
          emit(Buffer.from(`${verdict.line}\n`, 'utf8'));
        } else {
          bump(report.headerLinesDropped, verdict.reason);
        }
        continue;
      }
      if (!text.startsWith('#CHROM')) throw fail(number, text.startsWith('#') ? 'header line is neither ##meta nor #CHROM' : 'data line before the #CHROM header line');
      const cols = text.split('\t');
      for (let i = 0; i < FIXED_COLUMNS.length; i++) {
        if (cols[i] !== FIXED_COLUMNS[i]) throw fail(number, `#CHROM line: column ${i + 1} must be ${FIXED_COLUMNS[i]}`);
      }
      if (cols.length > 8 && cols[8] !== 'FORMAT') throw fail(number, '#CHROM line: column 9 must be FORMAT');
      if (cols.length === 9) throw fail(number, '#CHROM line: FORMAT column without samples');
      const samples = cols.slice(9);
      const pseudo = samples.map((s) => {
        if (s.trim() === '') throw fail(number, '#CHROM line: empty sample name');
        const p = cache.get('sample', s);
        map?.add('sample', s.trim().normalize('NFC'), p);
        return p;
      });
      if (new Set(samples).size !== samples.length) throw fail(number, '#CHROM line: duplicate sample names');
      report.samples = samples.length;
      columns = cols.length;
      // How ingest knows these names are this site's pseudonyms (sample-list-mac.ts).
      if (pseudo.length > 0) emit(Buffer.from(`${pseudonymsMetaLine(options.key, pseudo)}\n`, 'utf8'));
      emit(Buffer.from(`${[...FIXED_COLUMNS, ...(cols.length > 8 ? ['FORMAT'] : []), ...pseudo].join('\t')}\n`, 'utf8'));
      continue;
    }

    // Data line.
    signal?.throwIfAborted();
    if (bytes.length === 0) continue; // tolerated: trailing blank lines
    report.recordsIn++;
    if (tabOffsets(bytes, Math.min(8, columns - 1), tabs) < Math.min(8, columns - 1)) throw fail(number, `record has fewer than ${columns} columns`);
    const n = columns > 8 ? countColumns(bytes, tabs[7]! + 1) + 8 : countColumns(bytes, tabs[6]! + 1) + 7;
    if (n !== columns) throw fail(number, `record has ${n} columns, the header has ${columns}`);
    const pos = parseUint(bytes, tabs[0]! + 1, tabs[1]!);
    if (!Number.isFinite(pos)) throw fail(number, 'POS is not a non-negative integer');
    if (regions) {
      const chrom = bytes.toString('latin1', 0, tabs[0]!);
      const info = bytes.toString('latin1', tabs[6]! + 1, columns > 8 ? tabs[7]! : bytes.length);
      const end = recordEnd(pos, tabs[3]! - tabs[2]! - 1, info);
      if (!regions.overlaps(chrom, pos - 1, end)) {
        report.recordsOutsideRegions++;
        continue;
      }
    }
    report.recordsOut++;
    let line = bytes;
    const masked = maskRecord(bytes, columns, level);
    if (masked) {
      line = masked.line;
      tabOffsets(line, Math.min(8, columns - 1), tabs);
      if (masked.kind === 'str') report.strMasked!++;
      else {
        report.rareMasked!++;
        if (masked.fromGenotypes) report.rareFromGenotypes!++;
      }
    }
    const idStart = tabs[1]! + 1;
    const idEnd = tabs[2]!;
    const isDot = idEnd - idStart === 1 && line[idStart] === 0x2e;
    const id = isDot ? '.' : line.toString('utf8', idStart, idEnd);
    if (isDot || idColumnIsPublic(id)) {
      emit(Buffer.from(line));
    } else {
      const { value, replaced } = rewriteIdColumn(id, variantId);
      report.variantIdsReplaced += replaced;
      emit(Buffer.from(line.subarray(0, idStart)));
      emit(Buffer.from(value, 'utf8'));
      emit(Buffer.from(line.subarray(idEnd)));
    }
    emit(NL);
    if (pendingBytes >= CHUNK) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (!sawFileformat) throw fail(1, 'empty file: no VCF header');
  if (columns === 0) throw fail(0, 'no #CHROM header line');
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

export interface VcfFileOptions {
  input: string;
  output: string;
  key: SiteKey;
  mode?: PseudonymizeMode;
  regions?: BedRegions;
  map?: MapCollector;
  /** Called with compressed bytes read so far and the input size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Replace an existing output file (default: refuse with GENOFED_OUTPUT_EXISTS). */
  overwrite?: boolean;
  /** Guideline level and its parameters (see VcfPseudonymizeOptions). */
  level?: VcfLevel;
  maf?: number;
  strMinRepeat?: number;
  strMotif?: readonly [number, number];
  signal?: AbortSignal;
}

/** Pseudonymize a VCF file into `output` atomically (no partial output on any error). */
export async function pseudonymizeVcfFile(options: VcfFileOptions): Promise<VcfReport> {
  if (resolve(options.input) === resolve(options.output)) throw new NodeError('GENOFED_USAGE', 'output must not be the input file');
  const levels = levelOptions(options); // bad parameters fail before the output is opened
  const input = await openInput(options.input);
  const mode = options.mode ?? 'default';
  const report = emptyVcfReport(options.key, mode);
  report.inputCompression = input.compression;
  report.outputCompression = input.compression === 'none' ? 'none' : 'bgzf';
  const label = basename(options.input);
  // Ingest's own validation on every line first (node/vcf/line-validator.ts): a file ingest would reject fails here with ingest's code and file:line message, before any output is kept.
  const lines = validatedVcfLines(readLines(input.stream, options.signal), { label });
  async function* withProgress(): AsyncGenerator<Buffer> {
    let last = 0;
    for await (const chunk of pseudonymizeVcfLines(lines, { key: options.key, mode, regions: options.regions, map: options.map, label, signal: options.signal, ...levels }, report)) {
      yield chunk;
      const now = input.bytesRead();
      if (options.onProgress && now - last >= 1 << 20) {
        last = now;
        options.onProgress(now, input.sizeOnDisk);
      }
    }
    options.onProgress?.(input.sizeOnDisk, input.sizeOnDisk);
  }
  try {
    await writeAtomically(options.output, async (out) => {
      const source = Readable.from(withProgress(), { objectMode: false });
      if (input.compression === 'none') await pipeline(source, out);
      else await pipeline(source, new BgzfWriter(), out);
    }, { noClobber: !options.overwrite });
  } finally {
    input.stream.destroy();
  }
  return report;
}
