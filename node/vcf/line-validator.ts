/**
 * Ingest's VCF validation, one line at a time, for callers that stream
 * lines themselves (`pseudonymize vcf`, `verify vcf`, `scan`): the same
 * header rules (`parseHeader`) and record rules (`RecordParser`: columns,
 * POS, REF/ALT, INFO, FORMAT keys, GT syntax and allele range, sample
 * sub-fields vs FORMAT keys, order) with the same `Diagnostics`, so a file
 * `node ingest` would reject is rejected with the same code and the same
 * `<file>:<line>: <problem>` message wherever it is read, at the first
 * step instead of the last. `readVcf` (ingest) uses the same header-line
 * rule (`headerLineRule`). No I/O: lines in, errors out.
 */
import type { Line } from '../io/lines.js';
import { headerLineRule, parseHeader } from './header.js';
import { RecordParser } from './reader.js';
import { Diagnostics, type VcfWarning } from './vcf-errors.js';

export interface VcfLineValidatorOptions {
  /** File basename for messages. */
  readonly label: string;
  /** Default false, as `node ingest` reads (INGEST_READ_OPTIONS): only rules that change genotypes or alleles are fatal. */
  readonly strict?: boolean;
}

/** Feed every decompressed line in order; throws ingest's NodeError at the first fatal problem. */
export class VcfLineValidator {
  private readonly diag: Diagnostics;
  private readonly header: string[] = [];
  private parser: RecordParser | null = null;
  private binary = false;

  constructor(options: VcfLineValidatorOptions) {
    this.diag = new Diagnostics(options.label, options.strict ?? false);
  }

  /** One line (bytes without the newline, 1-based number). */
  line(bytes: Buffer, number: number): void {
    if (this.binary) return;
    if (number === 1 && bytes.length >= 3 && bytes[0] === 0x42 && bytes[1] === 0x43 && bytes[2] === 0x46) {
      // BCF: not lines at all; ingest decodes it with its own reader and callers that stream text refuse it with their own message.
      this.binary = true;
      return;
    }
    if (this.parser) {
      this.parser.parse(bytes, number);
      return;
    }
    const text = bytes.toString('utf8');
    const chrom = headerLineRule(text, number, this.header.length, this.diag);
    this.header.push(text);
    if (chrom) this.parser = new RecordParser(parseHeader(this.header, this.diag), this.diag);
  }

  /** After the last line: an empty file or one without #CHROM is refused as ingest refuses it. */
  end(): void {
    if (this.parser || this.binary) return;
    if (this.header.length === 0) this.diag.fail('GENOFED_VCF_HEADER', 0, 'file is empty');
    this.diag.fail('GENOFED_VCF_HEADER', this.header.length, 'the #CHROM header line is missing');
  }

  /** Tolerated problems (lenient mode), counted as ingest counts them. */
  warnings(): VcfWarning[] {
    return this.diag.warnings();
  }
}

/**
 * Pass `lines` through unchanged after validating each one: a streaming
 * reader (the pseudonymizer) sees a line only once ingest's rules accepted
 * it, so no output is written for a file ingest would reject (the atomic
 * writer removes what was written so far).
 */
export async function* validatedVcfLines(lines: AsyncIterable<Line>, options: VcfLineValidatorOptions, onError?: (err: unknown) => void): AsyncGenerator<Line> {
  const v = new VcfLineValidator(options);
  // With `onError` (verify checking an output): report the first problem and stop validating, keep yielding.
  let failed = false;
  const guard = (f: () => void): void => {
    if (failed) return;
    if (!onError) return f();
    try {
      f();
    } catch (err) {
      failed = true;
      onError(err);
    }
  };
  for await (const line of lines) {
    guard(() => v.line(line.bytes, line.number));
    yield line;
  }
  guard(() => v.end());
}
