/**
 * One verification report per pseudonymized file (issue 13, deliverable 4):
 * which file, format and level, every rule `verify` ran with its targets,
 * masked counts, unmasked positions and the digests it compared, the
 * SHA-256 of the original and of the pseudonymized file as they are on
 * disk, the verdict, the tool version and the time. Built generically from
 * `CheckResult[]`, so every verifier's checks land in it unchanged.
 *
 * The JSON report is signed (`report-signature.ts`); because it holds the
 * output's SHA-256, the signature binds it to that file: `verify report`
 * recomputes both. Nothing in it is a value from a file: names are
 * basenames, details are counts and positions (the verifiers' contract).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NodeError } from '../../errors.js';
import { writeFileAtomically } from '../../io/atomic-output.js';
import { allPassed, cappedPositions, type CheckResult } from '../checks.js';
import type { SiteKey } from '../site-key.js';
import { signReport, signatureProblem, type ReportSignature } from './report-signature.js';
import { reportCsv } from './report-csv.js';
import { withOperatorPath } from '../../../proto/operator-path.js';

export const REPORT_FORMAT = 'genofed-verification-report';
export const REPORT_VERSION = 1;

export interface FileDigest {
  /** Lower-case hex SHA-256 of the file's bytes on disk (compressed as stored). */
  sha256: string;
  bytes: number;
}

export interface ReportCheck {
  name: string;
  ok: boolean;
  detail: string;
  targets?: number;
  masked?: number;
  unmaskedPositions?: string[];
  digests?: Record<string, string>;
}

export interface VerificationReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  tool: { name: 'genofed'; version: string };
  /** ISO 8601, UTC, seconds. */
  createdAt: string;
  /** Format verified: vcf, sam, bam, table, fastq... */
  fileFormat: string;
  /** Level or mode the file was pseudonymized with (`default`, `strict`, `low`, `high`, ...). */
  level: string;
  /** Basenames only: a full hospital path never leaves the verifier. */
  files: { original: string; pseudonymized: string };
  digests: { original: FileDigest; pseudonymized: FileDigest };
  checks: ReportCheck[];
  verdict: 'pass' | 'fail';
  summary: { checks: number; passed: number; failed: number };
  signature?: ReportSignature;
}

/** sha256 and size of a file's bytes, streamed (a BAM can be many GB). */
export async function fileDigest(path: string): Promise<FileDigest> {
  const h = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (cause) {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${basename(path)}: cannot read file`, { cause }), path);
  }
  return { sha256: h.digest('hex'), bytes };
}

let cachedVersion: string | undefined;
/** genofed's version from its package.json (found upward from this module: the depth differs between the sources and dist/). */
export function toolVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'genofed' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // not here: one folder up
    }
    dir = dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

function toReportCheck(c: CheckResult): ReportCheck {
  const out: ReportCheck = { name: c.name, ok: c.ok, detail: c.detail ?? '' };
  if (c.targets !== undefined) out.targets = c.targets;
  if (c.masked !== undefined) out.masked = c.masked;
  if (c.unmaskedPositions !== undefined) out.unmaskedPositions = cappedPositions(c.unmaskedPositions);
  if (c.digests !== undefined) out.digests = { ...c.digests };
  return out;
}

export interface BuildReportOptions {
  original: string;
  pseudonymized: string;
  fileFormat: string;
  level: string;
  checks: readonly CheckResult[];
  /** Default: now. Tests pass a fixed time. */
  now?: Date;
}

/** The unsigned report (file digests computed here). */
export async function buildVerificationReport(o: BuildReportOptions): Promise<VerificationReport> {
  const [original, pseudonymized] = await Promise.all([fileDigest(o.original), fileDigest(o.pseudonymized)]);
  const passed = o.checks.filter((c) => c.ok).length;
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: 'genofed', version: toolVersion() },
    createdAt: (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    fileFormat: o.fileFormat,
    level: o.level,
    files: { original: basename(o.original), pseudonymized: basename(o.pseudonymized) },
    digests: { original, pseudonymized },
    checks: o.checks.map(toReportCheck),
    verdict: allPassed(o.checks) ? 'pass' : 'fail',
    summary: { checks: o.checks.length, passed, failed: o.checks.length - passed },
  };
}

export type ReportKind = 'json' | 'csv';

/** The kind of a `--report` path, from its extension; anything else is a usage error (a report in an unknown format would be unreadable to the board). */
export function reportKindOf(path: string): ReportKind {
  if (/\.json$/i.test(path)) return 'json';
  if (/\.csv$/i.test(path)) return 'csv';
  throw new NodeError('GENOFED_USAGE', `--report ${basename(path)}: the name must end in .json (signed report) or .csv`);
}

/**
 * Write the report to each path (atomically; an existing file is refused
 * unless `overwrite`). A JSON report is signed and therefore needs the key.
 */
export async function writeVerificationReports(report: VerificationReport, paths: readonly string[], key: SiteKey | undefined, overwrite: boolean): Promise<void> {
  const kinds = paths.map(reportKindOf);
  if (kinds.includes('json') && !key) throw new NodeError('GENOFED_USAGE', '--report FILE.json is signed with the site key: give --key-file');
  for (let i = 0; i < paths.length; i++) {
    const text = kinds[i] === 'json' ? `${JSON.stringify(signReport(key!, report as unknown as Record<string, unknown>), null, 2)}\n` : reportCsv(report);
    await writeFileAtomically(paths[i]!, text, { noClobber: !overwrite });
  }
}

/**
 * `genofed verify report FILE.json --against OUTPUT`: the signature
 * verifies under the key, and OUTPUT's SHA-256 is the one the report
 * names. Returns one check per condition, so the caller can say which failed.
 */
export async function checkReportFile(reportPath: string, against: string, key: SiteKey): Promise<CheckResult[]> {
  const label = basename(reportPath);
  const text = await readFile(reportPath, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot read report`, { cause }), reportPath);
  });
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(text) as Record<string, unknown>;
    if (typeof report !== 'object' || report === null || Array.isArray(report)) throw new Error('not an object');
  } catch {
    // An edit can break the JSON: that is a failed signature, not a crash; no `cause` (V8 quotes the text).
    return [
      { name: 'the report signature verifies under the site key', ok: false, detail: `${label} is not a JSON report object` },
      { name: 'the file digest in the report equals the file', ok: false, detail: 'no digest can be read from the report' },
    ];
  }
  const problem = report.format === REPORT_FORMAT ? signatureProblem(key, report) : `${label} is not a ${REPORT_FORMAT}`;
  const actual = await fileDigest(against);
  const named = (report.digests as { pseudonymized?: { sha256?: unknown } } | undefined)?.pseudonymized?.sha256;
  const fileOk = typeof named === 'string' && named === actual.sha256;
  return [
    { name: 'the report signature verifies under the site key', ok: problem === null, detail: problem ?? `key ${key.keyId} v${key.version}`, digests: { signature: String((report.signature as { value?: unknown } | undefined)?.value ?? '') } },
    {
      name: 'the file digest in the report equals the file',
      ok: fileOk,
      detail: fileOk ? `${basename(against)}: sha256 equal` : `${basename(against)}: sha256 differs from the report's${typeof named === 'string' ? '' : ' (the report names none)'}`,
      digests: { report: typeof named === 'string' ? named : '', actual: actual.sha256 },
    },
  ];
}
