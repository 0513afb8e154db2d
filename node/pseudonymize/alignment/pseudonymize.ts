/**
 * `pseudonymizeAlignment`: open, rewrite (BAM binary or SAM text), write
 * atomically (temp name + rename, removed on any error), report counts.
 */
import { resolve } from 'node:path';
import { NodeError } from '../../errors.js';
import { writeAtomically } from '../../io/atomic-output.js';
import { readLines } from '../../io/lines.js';
import type { BedRegions } from '../bed.js';
import type { MapCollector } from '../reid-map.js';
import type { SiteKey } from '../site-key.js';
import { rewriteBam, type RewriteCounts } from './bam-rewrite.js';
import { BgzfSink, PlainSink, type ByteSink } from './bgzf-sink.js';
import { openAlignment, withProgress } from './input.js';
import { RecordRules } from './record-rules.js';
import { ReferenceFasta } from './reference-fasta.js';
import type { SanitizeKeep } from './sanitize.js';
import { RecordSanitizer } from './sanitize-records.js';
import { rewriteSam } from './sam-rewrite.js';
import type { AlignmentFormat, AlignmentMode, AlignmentReport } from './types.js';
import { Readable } from 'node:stream';

/** Options of pseudonymizeAlignment (the CLI maps its flags onto these). */
export interface PseudonymizeAlignmentOptions {
  format: AlignmentFormat;
  input: string;
  output: string;
  key: SiteKey;
  mode: AlignmentMode;
  regions?: BedRegions;
  map?: MapCollector;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** Revert every kept read to the reference (sanitize.ts); the reference FASTA path and which records to keep. */
  sanitize?: SanitizeKeep & { reference: string };
}

/** Pseudonymize one SAM/BAM file into `output` (atomic); returns counts only. */
export async function pseudonymizeAlignment(options: PseudonymizeAlignmentOptions): Promise<AlignmentReport> {
  const { format, key, mode } = options;
  if (format !== 'sam' && format !== 'bam') throw new NodeError('GENOFED_USAGE', 'alignment format must be sam or bam');
  if (mode !== 'default' && mode !== 'strict') throw new NodeError('GENOFED_USAGE', 'mode must be default or strict');
  if (resolve(options.input) === resolve(options.output)) throw new NodeError('GENOFED_USAGE', 'output must not be the input file');
  const input = await openAlignment(options.input, options.signal);
  if (format === 'bam' && input.compression !== 'bgzf') {
    input.close();
    throw new NodeError('GENOFED_BAM_FORMAT', `${input.label}: not a BAM file (BAM is BGZF-compressed; this file ${input.compression === 'none' ? 'is not compressed' : 'has no valid BGZF block header'})`);
  }
  let sanitizer: RecordSanitizer | undefined;
  try {
    if (options.sanitize) sanitizer = new RecordSanitizer(await ReferenceFasta.open(options.sanitize.reference), options.sanitize);
  } catch (err) {
    input.close();
    throw err;
  }
  const rules = new RecordRules(key, mode, options.map, sanitizer !== undefined);
  let counts: RewriteCounts | undefined;
  try {
    const chunks = withProgress(input, options.onProgress);
    await writeAtomically(options.output, async (out) => {
      const sink: ByteSink = format === 'bam' || input.compression !== 'none' ? new BgzfSink(out) : new PlainSink(out);
      try {
        if (format === 'bam') {
          counts = await rewriteBam(chunks, sink, rules, input.label, { regions: options.regions, signal: options.signal, sanitizer });
        } else {
          const lines = readLines(samGuard(chunks, input.label), options.signal);
          counts = await rewriteSam(lines, sink, rules, input.label, { regions: options.regions, signal: options.signal, sanitizer });
        }
        await sink.end();
      } finally {
        await sink.close();
      }
      out.end();
    });
  } finally {
    input.close();
    rules.dispose();
    await sanitizer?.reference.close();
  }
  const c = counts!;
  return {
    format, mode, keyId: key.keyId, keyVersion: key.version,
    recordsIn: c.recordsIn,
    recordsOut: c.recordsOut,
    recordsOutsideRegions: c.recordsOutsideRegions,
    readGroupsRewritten: rules.readGroupsRewritten,
    undeclaredReadGroups: rules.undeclaredReadGroups,
    readNamesRewritten: c.recordsOut,
    tagsDropped: rules.droppedByName(),
    headerLinesDropped: c.header?.linesDropped ?? {},
    headerFieldsDropped: c.header?.fieldsDropped ?? {},
    ...(sanitizer ? { sanitize: sanitizer.report } : {}),
  };
}

/** A SAM reader handed a BAM gets binary garbage: say what it is instead. */
function samGuard(chunks: AsyncIterable<Buffer>, label: string): Readable {
  return Readable.from((async function* () {
    let first = true;
    for await (const c of chunks) {
      if (first && c.length >= 4 && c.toString('latin1', 0, 4) === 'BAM\x01') {
        throw new NodeError('GENOFED_SAM_FORMAT', `${label}: this is a BAM file, not SAM text`);
      }
      first = false;
      yield c;
    }
  })(), { objectMode: false });
}
