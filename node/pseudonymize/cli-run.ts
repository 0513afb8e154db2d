/**
 * Implementations behind `cli.ts`. Output on stdout is counts, key ids and
 * check names; ids appear only in `key map-show`, whose purpose is
 * re-identification at the site.
 */
import { access, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { pseudonymizeAlignment, verifyAlignment } from './alignment/index.js';
import type { SanitizeKeep } from './alignment/sanitize.js';
import { readBedFile, type BedRegions } from './bed.js';
import { allPassed, formatChecks, type CheckResult } from './checks.js';
import { pseudonymizeFastqFiles } from './fastq/pseudonymize-fastq.js';
import { verifyFastq } from './fastq/verify-fastq.js';
import { createProgress } from './progress.js';
import { buildVerificationReport, checkReportFile, reportKindOf, writeVerificationReports } from './report/verification-report.js';
import { MapCollector, readReidMapFile } from './reid-map.js';
import { scanFile, type ScanFormat } from './scan.js';
import { generateSiteKey, readSiteKeyFile, writeSiteKeyFile } from './site-key.js';
import { pseudonymizeTableFile, type DateMode, type TableReport } from './table/pseudonymize-table.js';
import { verifyTable } from './table/verify-table.js';
import { levelOptions, type LevelOptions } from './vcf/level-rules.js';
import { pseudonymizeVcfFile } from './vcf/pseudonymize-vcf.js';
import { writeTabixIndex, type TabixOutcome } from './vcf/tabix-index.js';
import { writeBamIndex } from './alignment/bam-index.js';
import { verifyVcf } from './vcf/verify-vcf.js';
import { attachTypedPath, operatorPathSuffix, withOperatorPath } from '../../proto/operator-path.js';

const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function runKeyGenerate(opts: { out: string; keyVersion: string }): Promise<void> {
  const version = Number(opts.keyVersion);
  if (!Number.isInteger(version) || version < 1) throw new NodeError('GENOFED_USAGE', '--key-version must be a positive integer');
  const key = generateSiteKey(version);
  await writeSiteKeyFile(opts.out, key);
  process.stdout.write(`key ${key.keyId} version ${key.version} written to ${opts.out} (mode 0600); keep it at the site and back it up securely\n`);
}

export async function runMapShow(opts: { map: string; keyFile: string; json?: boolean }): Promise<void> {
  const key = await readSiteKeyFile(opts.keyFile);
  const entries = await readReidMapFile(opts.map, key);
  if (opts.json) process.stdout.write(`${JSON.stringify(entries)}\n`);
  else process.stdout.write(entries.map((e) => `${e.idType}\t${e.original}\t${e.pseudonym}\n`).join(''));
}

function tableOpts(opts: Record<string, unknown>) {
  const d = str(opts.delimiter);
  return {
    idColumns: list(opts.idColumn),
    matrix: opts.matrix === true,
    dateColumns: list(opts.dateColumns),
    dateMode: (str(opts.dateMode) ?? 'shift') as DateMode,
    keepText: list(opts.keepText),
    keep: list(opts.keep),
    missingValues: list(opts.missingValues),
    delimiter: d === 'tab' ? '\t' : d === 'comma' ? ',' : undefined,
    ingestCheck: opts.ingestCheck !== false,
  };
}

/**
 * `--level`, `--maf`, `--str-min-repeat`, `--str-motif`, validated once.
 * Refused for other formats and `--maf`/`--str-*` without `--level high`:
 * a flag that is silently ignored would let an operator believe a file was
 * masked.
 */
export function vcfLevelOpts(format: string, opts: Record<string, unknown>): LevelOptions {
  const tuning = (['maf', 'strMinRepeat', 'strMotif'] as const).filter((k) => opts[k] !== undefined);
  if (format !== 'vcf' && (opts.level !== undefined || tuning.length)) throw new NodeError('GENOFED_USAGE', `--level, --maf, --str-min-repeat and --str-motif apply to vcf only, not to ${format}`);
  const level = str(opts.level) ?? 'standard';
  if (level !== 'high' && tuning.length) throw new NodeError('GENOFED_USAGE', '--maf, --str-min-repeat and --str-motif apply to --level high only');
  const num = (v: unknown, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d*\.?\d+(e-?\d+)?$/i.test(v.trim())) throw new NodeError('GENOFED_USAGE', `${flag} must be a number`);
    return Number(v);
  };
  return levelOptions({ level, maf: num(opts.maf, '--maf'), strMinRepeat: num(opts.strMinRepeat, '--str-min-repeat'), strMotif: str(opts.strMotif) });
}

/**
 * --sanitize and its options (sam/bam only): undefined without --sanitize.
 * Refused with GENOFED_USAGE on other formats, without --reference, and
 * when --reference/--keep-* come without --sanitize (a silent no-op would
 * leave the variants in a file its owner believes sanitized).
 */
export function sanitizeOpts(format: string, opts: Record<string, unknown>): (SanitizeKeep & { reference: string }) | undefined {
  const keepFlags = ['keepUnmapped', 'keepSecondary', 'keepSupplementary'] as const;
  const given = opts.sanitize === true || opts.reference !== undefined || keepFlags.some((k) => opts[k] === true);
  if (!given) return undefined;
  if (format !== 'sam' && format !== 'bam') throw new NodeError('GENOFED_USAGE', '--sanitize, --reference and --keep-unmapped/--keep-secondary/--keep-supplementary apply to sam and bam only');
  if (opts.sanitize !== true) throw new NodeError('GENOFED_USAGE', '--reference and --keep-* options only apply with --sanitize');
  if (typeof opts.reference !== 'string') throw new NodeError('GENOFED_USAGE', '--sanitize needs --reference REF.fa (the FASTA the reads were aligned to)');
  return { reference: opts.reference, keepUnmapped: opts.keepUnmapped === true, keepSecondary: opts.keepSecondary === true, keepSupplementary: opts.keepSupplementary === true };
}

export async function runPseudonymize(format: string, opts: Record<string, unknown>): Promise<void> {
  const levels = vcfLevelOpts(format, opts); // before reading the key: a usage error costs nothing
  const sanitize = sanitizeOpts(format, opts);
  const input = String(opts.in);
  const output = String(opts.out);
  const key = await readSiteKeyFile(String(opts.keyFile));
  const mode = (str(opts.mode) ?? 'default') as 'default' | 'strict';
  const regions: BedRegions | undefined = opts.regions ? await readBedFile(String(opts.regions)) : undefined;
  const map = opts.map ? new MapCollector() : undefined;
  // Refuse an existing map before any work: a map is never overwritten, and failing after the output was written would leave an output without its map.
  if (opts.map && (await access(String(opts.map)).then(() => true, () => false))) throw withOperatorPath(new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(String(opts.map))}: map file already exists`), String(opts.map));
  const progress = createProgress(opts.progress !== false && process.stderr.isTTY === true);
  const onProgress = (read: number, total: number): void => progress.update(read, total);
  let report: object;
  let columns: TableReport | undefined;
  let indexNote: TabixOutcome | undefined;
  try {
    if (format !== 'fastq' && (opts.in2 !== undefined || opts.out2 !== undefined)) throw new NodeError('GENOFED_USAGE', '--in2 and --out2 apply to fastq only');
    if (format === 'fastq') {
      // Read names are not mapped (millions per file, and the key re-derives any one); --regions needs coordinates FASTQ lacks.
      if (regions || map) throw new NodeError('GENOFED_USAGE', '--regions and --map do not apply to fastq');
      report = await pseudonymizeFastqFiles({ input, input2: str(opts.in2), output, output2: str(opts.out2), key, overwrite: opts.force === true, onProgress });
    } else if (format === 'vcf') {
      report = await pseudonymizeVcfFile({ input, output, key, mode, regions, map, onProgress, overwrite: opts.force === true, ...levels });
      // A bgzipped output gets its tabix index beside it (read back from the bytes written: vcf/tabix-index.ts).
      if ((report as { outputCompression?: string }).outputCompression === 'bgzf') indexNote = await writeTabixIndex(output);
    }
    else if (format === 'sam' || format === 'bam') {
      if (opts.force !== true && (await access(output).then(() => true, () => false))) throw withOperatorPath(new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(output)}: output file already exists`), output);
      report = await pseudonymizeAlignment({ format, input, output, key, mode, regions, map, onProgress, sanitize });
      // A BAM output gets its index beside it (read back from the bytes written: alignment/bam-index.ts).
      if (format === 'bam') indexNote = await writeBamIndex(output);
    } else {
      if (regions) throw new NodeError('GENOFED_USAGE', '--regions applies to vcf, sam and bam, not to tables');
      report = columns = await pseudonymizeTableFile({ input, output, key, map, overwrite: opts.force === true, ...tableOpts(opts) });
    }
  } finally {
    progress.stop();
  }
  if (map && opts.map) await map.write(String(opts.map), key);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (opts.report) await writeFileAtomically(String(opts.report), json);
  process.stderr.write(`pseudonymized ${basename(input)} -> ${basename(output)} with key ${key.keyId} v${key.version}${map ? `; map: ${map.size} entries` : ''}\n`);
  if (indexNote) process.stderr.write('written' in indexNote ? `index: ${indexNote.written}\n` : `index: none written (${indexNote.skipped})\n`);
  if (columns) process.stdout.write(columns.matrix ? `matrix: ${columns.idsPseudonymized} header sample names pseudonymized; gene column and values kept byte-identical\n` : formatTableColumns(columns));
}

/** What happened to each column, by name (column names are not data; cell values never appear). */
export function formatTableColumns(r: TableReport): string {
  const names = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : '-');
  return [
    `columns pseudonymized: ${names(r.columnsPseudonymized)}`,
    `columns ${r.dateMode === 'year' ? 'reduced to the year' : 'shifted'}: ${names(r.columnsShifted)}`,
    `columns kept: ${names(r.columnsKept)}`,
    `columns dropped: ${names(r.columnsDropped.map((d) => `${d.name} (${d.reason})`))}`,
  ].join('\n') + '\n';
}

export async function runVerify(format: string, opts: Record<string, unknown>): Promise<void> {
  if (opts.reportFile !== undefined) throw new NodeError('GENOFED_USAGE', `verify ${format} takes no file argument; give --original and --pseudonymized`);
  if (typeof opts.original !== 'string' || typeof opts.pseudonymized !== 'string') throw new NodeError('GENOFED_USAGE', `verify ${format} needs --original and --pseudonymized`);
  const reports = Array.isArray(opts.report) ? (opts.report as string[]) : [];
  reports.forEach(reportKindOf); // a bad report name fails before minutes of checking
  if (reports.some((r) => reportKindOf(r) === 'json') && !opts.keyFile) throw new NodeError('GENOFED_USAGE', '--report FILE.json is signed with the site key: give --key-file');
  const original = opts.original;
  const pseudonymized = opts.pseudonymized;
  const key = opts.keyFile ? await readSiteKeyFile(String(opts.keyFile)) : undefined;
  const mode = str(opts.mode) as 'default' | 'strict' | undefined;
  const regions = opts.regions ? await readBedFile(String(opts.regions)) : undefined;
  const levels = vcfLevelOpts(format, opts);
  const sanitize = sanitizeOpts(format, opts);
  let checks: CheckResult[];
  if (format === 'vcf') checks = await verifyVcf({ original, pseudonymized, key, mode, regions, useBcftools: opts.bcftools !== false, ...levels });
  else if (format === 'sam' || format === 'bam') checks = await verifyAlignment({ format, original, pseudonymized, key, mode, regions, sanitize });
  else if (format === 'fastq') checks = await verifyFastq({ original, original2: str(opts.original2), pseudonymized, pseudonymized2: str(opts.pseudonymized2), key });
  else checks = await verifyTable({ original, pseudonymized, key, ...tableOpts(opts) });
  const ok = allPassed(checks);
  if (reports.length) {
    // Level first (the VCF --level, when given), else the mode: what the report calls the level.
    const level = str(opts.level) ?? mode ?? 'default';
    const report = await buildVerificationReport({ original, pseudonymized, fileFormat: format, level, checks });
    await writeVerificationReports(report, reports, key, opts.force === true);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok, checks })}\n`);
  else process.stdout.write(`${formatChecks(checks)}\n${ok ? 'verify: all checks passed' : `verify: ${checks.filter((c) => !c.ok).length} of ${checks.length} checks FAILED`}\n`);
  process.exitCode = ok ? 0 : 1;
}

/** `genofed verify report FILE.json --against OUTPUT --key-file K`: exit 0 when the signature and the file digest both hold, 1 otherwise (each named). */
export async function runVerifyReport(reportFile: string | undefined, opts: Record<string, unknown>): Promise<void> {
  if (!reportFile) throw new NodeError('GENOFED_USAGE', 'verify report needs the report file: verify report FILE.json --against OUTPUT --key-file K');
  if (typeof opts.against !== 'string') throw new NodeError('GENOFED_USAGE', 'verify report needs --against OUTPUT (the pseudonymized file the report describes)');
  if (typeof opts.keyFile !== 'string') throw new NodeError('GENOFED_USAGE', 'verify report needs --key-file (the report is signed with a key derived from the site key)');
  const key = await readSiteKeyFile(opts.keyFile);
  const checks = await checkReportFile(reportFile, opts.against, key);
  const ok = allPassed(checks);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok, checks })}\n`);
  else process.stdout.write(`${formatChecks(checks)}\n${ok ? `verify report: ${basename(reportFile)} is signed by ${key.keyId} and bound to ${basename(opts.against)}` : `verify report: FAILED (${checks.filter((c) => !c.ok).map((c) => c.name).join('; ')})`}\n`);
  process.exitCode = ok ? 0 : 1;
}

/**
 * `scan` is a release gate: exit 0 clean, 1 findings, 2 errors. A coded
 * error (unreadable file, a file node ingest would reject, bad usage) is
 * printed as bin/report-error.ts prints it (code and message: file and
 * line, never data) and exits 2, so a pipeline never reads a broken file
 * as "findings" or as clean.
 */
export async function runScan(file: string, opts: { denylist?: string; format?: string; dateColumns?: string; json?: boolean }): Promise<void> {
  try {
    await scanGate(file, opts);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
    // Uncoded errors print their class only (their message may quote input), as bin/report-error.ts does.
    if (typeof e?.code === 'string' && e.code.startsWith('GENOFED_')) process.stderr.write(`genofed: ${e.code}: ${String(e.message)}${operatorPathSuffix(attachTypedPath(err, [file, ...(opts.denylist !== undefined ? [opts.denylist] : [])]), String(e.message))}\n`);
    else process.stderr.write(`genofed: unexpected ${typeof e?.name === 'string' ? e.name : typeof err} during scan\n`);
    process.exitCode = 2;
  }
}

async function scanGate(file: string, opts: { denylist?: string; format?: string; dateColumns?: string; json?: boolean }): Promise<void> {
  const denylist = opts.denylist
    ? (await readFile(opts.denylist, 'utf8').catch((cause: unknown) => {
        throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${basename(opts.denylist!)}: cannot read denylist`, { cause }), opts.denylist!);
      })).split(/\r?\n/)
    : [];
  const result = await scanFile(file, { denylist, format: opts.format as ScanFormat | undefined, dateColumns: list(opts.dateColumns) });
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const lines = result.findings.map((f) => `${f.kind}: ${f.count} (first at ${f.where})`);
    process.stdout.write(`${lines.join('\n')}${lines.length ? '\n' : ''}scan ${result.file} (${result.format}): ${result.findings.length ? `${result.findings.reduce((a, f) => a + f.count, 0)} identifier-bearing elements found` : 'nothing found'}\n`);
  }
  process.exitCode = result.findings.length ? 1 : 0;
}
