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
import { readBedFile, type BedRegions } from './bed.js';
import { allPassed, formatChecks, type CheckResult } from './checks.js';
import { createProgress } from './progress.js';
import { MapCollector, readReidMapFile } from './reid-map.js';
import { scanFile, type ScanFormat } from './scan.js';
import { generateSiteKey, readSiteKeyFile, writeSiteKeyFile } from './site-key.js';
import { pseudonymizeTableFile, type DateMode, type TableReport } from './table/pseudonymize-table.js';
import { verifyTable } from './table/verify-table.js';
import { pseudonymizeVcfFile } from './vcf/pseudonymize-vcf.js';
import { verifyVcf } from './vcf/verify-vcf.js';

const list = (v: unknown): string[] | undefined => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function runKeyGenerate(opts: { out: string; keyVersion: string }): Promise<void> {
  const version = Number(opts.keyVersion);
  if (!Number.isInteger(version) || version < 1) throw new NodeError('GENOFED_USAGE', '--key-version must be a positive integer');
  const key = generateSiteKey(version);
  await writeSiteKeyFile(opts.out, key);
  process.stdout.write(`key ${key.keyId} version ${key.version} written to ${basename(opts.out)} (mode 0600); keep it at the site and back it up securely\n`);
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
  };
}

export async function runPseudonymize(format: string, opts: Record<string, unknown>): Promise<void> {
  const input = String(opts.in);
  const output = String(opts.out);
  const key = await readSiteKeyFile(String(opts.keyFile));
  const mode = (str(opts.mode) ?? 'default') as 'default' | 'strict';
  const regions: BedRegions | undefined = opts.regions ? await readBedFile(String(opts.regions)) : undefined;
  const map = opts.map ? new MapCollector() : undefined;
  // Refuse an existing map before any work: a map is never overwritten, and failing after the output was written would leave an output without its map.
  if (opts.map && (await access(String(opts.map)).then(() => true, () => false))) throw new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(String(opts.map))}: map file already exists`);
  const progress = createProgress(opts.progress !== false && process.stderr.isTTY === true);
  const onProgress = (read: number, total: number): void => progress.update(read, total);
  let report: object;
  let columns: TableReport | undefined;
  try {
    if (format === 'vcf') report = await pseudonymizeVcfFile({ input, output, key, mode, regions, map, onProgress, overwrite: opts.force === true });
    else if (format === 'sam' || format === 'bam') {
      if (opts.force !== true && (await access(output).then(() => true, () => false))) throw new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(output)}: output file already exists`);
      report = await pseudonymizeAlignment({ format, input, output, key, mode, regions, map, onProgress });
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
  if (columns && !columns.matrix) process.stdout.write(formatTableColumns(columns));
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
  const original = String(opts.original);
  const pseudonymized = String(opts.pseudonymized);
  const key = opts.keyFile ? await readSiteKeyFile(String(opts.keyFile)) : undefined;
  const mode = str(opts.mode) as 'default' | 'strict' | undefined;
  const regions = opts.regions ? await readBedFile(String(opts.regions)) : undefined;
  let checks: CheckResult[];
  if (format === 'vcf') checks = await verifyVcf({ original, pseudonymized, key, mode, regions, useBcftools: opts.bcftools !== false });
  else if (format === 'sam' || format === 'bam') checks = await verifyAlignment({ format, original, pseudonymized, key, mode, regions });
  else checks = await verifyTable({ original, pseudonymized, key, ...tableOpts(opts) });
  const ok = allPassed(checks);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok, checks })}\n`);
  else process.stdout.write(`${formatChecks(checks)}\n${ok ? 'verify: all checks passed' : `verify: ${checks.filter((c) => !c.ok).length} of ${checks.length} checks FAILED`}\n`);
  process.exitCode = ok ? 0 : 1;
}

export async function runScan(file: string, opts: { denylist?: string; format?: string; json?: boolean }): Promise<void> {
  const denylist = opts.denylist
    ? (await readFile(opts.denylist, 'utf8').catch((cause: unknown) => {
        throw new NodeError('GENOFED_INPUT_NOT_FOUND', `${basename(opts.denylist!)}: cannot read denylist`, { cause });
      })).split(/\r?\n/)
    : [];
  const result = await scanFile(file, { denylist, format: opts.format as ScanFormat | undefined });
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const lines = result.findings.map((f) => `${f.kind}: ${f.count} (first at ${f.where})`);
    process.stdout.write(`${lines.join('\n')}${lines.length ? '\n' : ''}scan ${result.file} (${result.format}): ${result.findings.length ? `${result.findings.reduce((a, f) => a + f.count, 0)} identifier-bearing elements found` : 'nothing found'}\n`);
  }
  process.exitCode = result.findings.length ? 1 : 0;
}
