/**
 * The CSV form of a verification report: one row per check, with the
 * file-level fields repeated on every row so each row stands alone in a
 * spreadsheet (the reference tool, labhai/VCF-Anonymization, writes a CSV
 * per file, which review boards are used to). Unsigned: the JSON report is
 * the signed record; the CSV carries the same rows for reading.
 * RFC 4180 quoting; positions joined by ';', digests as `role=hex;...`.
 */
import type { VerificationReport } from './verification-report.js';

export const CSV_COLUMNS = [
  'file', 'original', 'format', 'level', 'check', 'ok', 'targets', 'masked', 'unmasked_positions', 'check_digests', 'detail',
  'original_sha256', 'pseudonymized_sha256', 'verdict', 'tool_version', 'created_at',
] as const;

function cell(v: string | number | boolean | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV text (header line plus one line per check, CRLF-free). */
export function reportCsv(r: VerificationReport): string {
  const rows = r.checks.map((c) => [
    r.files.pseudonymized, r.files.original, r.fileFormat, r.level, c.name, c.ok, c.targets, c.masked,
    (c.unmaskedPositions ?? []).join(';'),
    Object.entries(c.digests ?? {}).map(([k, v]) => `${k}=${v}`).join(';'),
    c.detail, r.digests.original.sha256, r.digests.pseudonymized.sha256, r.verdict, r.tool.version, r.createdAt,
  ].map(cell).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
