/**
 * `genofed scan FILE`: report identifier-bearing elements without changing
 * anything. Works on VCF (plain or bgzip), SAM/BAM (through the alignment
 * module's SAM-text rendering) and delimited tables. A finding names its
 * kind and where it is (line/record number, header key, tag or column
 * name), never the matched value: the report itself must be safe to share.
 * Tables: every column that looks like an identifier is listed on its own
 * (by name, `isIdLikeColumnName`, or by values all distinct in at least 10
 * rows), except a column of genofed pseudonyms (an id column already
 * pseudonymized).
 *
 * Per-record findings are aggregated by kind (count + first location), so
 * a BAM with a million Illumina read names yields one line, not a million.
 */
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { readLines } from '../io/lines.js';
import { openInput } from '../io/open-input.js';
import { validatedVcfLines } from '../vcf/line-validator.js';
import { alignmentScanText } from './alignment/index.js';
import { fastqScanText, looksLikeFastq } from './fastq/scan-fastq.js';
import { PSEUDONYM_PATTERN } from './pseudonym.js';
import { parsePseudonymsMetaLine } from './sample-list-mac.js';
import { forEachToken, tokenParts, tokensOf } from './tokens.js';
import { DATE_PATTERN, DEFINITION_KEYS, classifyMetaLine, hasLocalPath, hasPathOrUrl, metaKey, parseStructured } from './vcf/header-rules.js';
import { idColumnIsPublic } from './vcf/records.js';
import { parseDelimited } from './table/delimited.js';
import { validateTableAsIngest } from './table/ingest-validation.js';
import { DEFAULT_MISSING, readTableText } from './table/pseudonymize-table.js';
import { isIdLikeColumnName, UNIQUE_PER_ROW_MIN_VALUES, valuesUniquePerRow } from '../../proto/phenotype-schema.js';
import type { PseudonymCache } from './pseudonym.js';

export type ScanFormat = 'vcf' | 'sam' | 'bam' | 'table' | 'fastq';

export interface Finding {
  kind: string;
  /** Where the first occurrence is: 'line 12 (##fileDate)', 'record 5 (tag BC)', 'column 3 (Name)'. */
  where: string;
  count: number;
}

export interface ScanResult {
  file: string;
  format: ScanFormat;
  findings: Finding[];
}

/** Korean resident registration number: YYMMDD, optional '-', gender/century digit 1-4, six digits; the date part must be plausible. */
export const RRN_PATTERN = /(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-?[1-4]\d{6}(?!\d)/;
/** Illumina read names (CASAVA 1.8+: instrument:run:flowcell:lane:tile:x:y) and older (machine:lane:tile:x:y#index). */
export const ILLUMINA_READ_NAME = /^[A-Za-z0-9_-]+:\d+:[A-Za-z0-9-]+:\d+:\d+:\d+:\d+|^[A-Za-z0-9_-]+:\d+:\d+:\d+:\d+(?:#|\/[12]$|$)/;
/** SRA/ENA/DDBJ run-based read names (`SRR065390.14978392`): they name the run, hence the sample. */
export const SRA_READ_NAME = /^[SED]RR\d{6,}\.\d+/;
const ID_TAGS = ['BC', 'QT', 'RX', 'OX', 'QX', 'BZ', 'CR', 'CY', 'MI'];

/** Collects findings, aggregating repeats of a kind. */
class Findings {
  private readonly byKind = new Map<string, Finding>();
  /** `key` (default: the kind) groups repeats; a per-column finding passes its own key so each column is listed. */
  add(kind: string, where: string, key = kind): void {
    const f = this.byKind.get(key);
    if (f) f.count++;
    else this.byKind.set(key, { kind, where, count: 1 });
  }
  list(): Finding[] {
    return [...this.byKind.values()];
  }
}

/** Denylist: exact tokens, plus substring search for entries containing delimiters or spaces. */
export class Denylist {
  readonly tokens = new Set<string>();
  readonly substrings: string[] = [];
  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const e = raw.trim();
      if (!e || e.startsWith('#')) continue;
      const t = tokensOf(e, 1);
      if (t.length === 1 && t[0] === e) this.tokens.add(e);
      else this.substrings.push(e);
    }
  }
  get size(): number {
    return this.tokens.size + this.substrings.length;
  }
  /** Does the text contain a denylisted entry? */
  matches(bytes: Buffer, start = 0, end = bytes.length): boolean {
    if (this.size === 0) return false;
    let hit = false;
    if (this.tokens.size) {
      forEachToken(bytes, start, end, 1, (t) => {
        if (!hit) for (const p of tokenParts(t)) if (this.tokens.has(p)) hit = true;
      });
      // Tokens without letters (numeric MRNs) are not produced by forEachToken: check those separately.
      if (!hit && [...this.tokens].some((t) => !/[A-Za-z\u0080-\uffff]/.test(t))) {
        const text = bytes.toString('utf8', start, end);
        for (const t of this.tokens) if (!/[A-Za-z\u0080-\uffff]/.test(t) && new RegExp(`(?<![0-9A-Za-z])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z])`).test(text)) hit = true;
      }
    }
    if (!hit && this.substrings.length) {
      const text = bytes.toString('utf8', start, end);
      hit = this.substrings.some((s) => text.includes(s));
    }
    return hit;
  }
}

/** Sniff the format: VCF header, BAM magic, SAM header/record shape, else a table. */
export async function detectScanFormat(path: string): Promise<ScanFormat> {
  const input = await openInput(path);
  try {
    for await (const chunk of input.stream) {
      const head = (chunk as Buffer).subarray(0, 4096);
      if (head.subarray(0, 4).toString('latin1') === 'BAM\u0001') return 'bam';
      const text = head.toString('latin1');
      if (text.startsWith('##fileformat=VCF')) return 'vcf';
      if (/^@(HD|SQ|RG|PG|CO)\t/.test(text)) return 'sam';
      if (looksLikeFastq(text)) return 'fastq';
      const first = text.split('\n')[0] ?? '';
      const f = first.split('\t');
      if (f.length >= 11 && /^\d+$/.test(f[1] ?? '') && /^\d+$/.test(f[3] ?? '')) return 'sam';
      return 'table';
    }
    return 'table';
  } finally {
    input.stream.destroy();
  }
}

const dummyCache = { get: () => 'x' } as unknown as PseudonymCache;

/**
 * `definition`: a VCF INFO/FORMAT/FILTER/ALT/contig line. There URLs of
 * public resources and dates (annotation versions such as
 * `cse-hiseq-8_4-2013-02-20.bed.gz`) describe the pipeline, not a person, and are
 * not reported; local paths are.
 */
function scanHeaderText(text: string, where: string, findings: Findings, denylist: Denylist, definition = false): void {
  if (definition ? hasLocalPath(text) : hasPathOrUrl(text)) findings.add('path in a header line', where);
  if (!definition && DATE_PATTERN.test(text)) findings.add('date in a header line', where);
  if (RRN_PATTERN.test(text)) findings.add('resident registration number', where);
  if (denylist.matches(Buffer.from(text, 'utf8'))) findings.add('denylisted string', where);
}

async function scanVcf(path: string, findings: Findings, denylist: Denylist, signal?: AbortSignal): Promise<void> {
  const input = await openInput(path);
  try {
    let inHeader = true;
    // Ingest's validation on every line (node/vcf/line-validator.ts): a file ingest would reject is an error (exit 2), not a clean scan.
    for await (const { bytes, number } of validatedVcfLines(readLines(input.stream as Readable, signal), { label: basename(path) })) {
      if (inHeader) {
        const text = bytes.toString('utf8');
        if (text.startsWith('##')) {
          // genofed's own sample-list MAC (sample-list-mac.ts): a key id and a MAC, nothing about a person.
          if (parsePseudonymsMetaLine(text)) continue;
          const key = metaKey(text);
          const where = `line ${number} (##${key})`;
          if (key === 'SAMPLE' || key === 'PEDIGREE') {
            const values = (parseStructured(text.slice(key.length + 3)) ?? []).filter(([k]) => key === 'PEDIGREE' || k === 'ID').map(([, v]) => v);
            if (values.some((v) => !PSEUDONYM_PATTERN.test(v))) findings.add(`##${key} line naming samples`, where);
          } else {
            const verdict = classifyMetaLine(text, { mode: 'default', cache: dummyCache });
            if (verdict.action !== 'keep') findings.add(`header line: ${verdict.reason}`, where);
          }
          scanHeaderText(text, where, findings, denylist, DEFINITION_KEYS.has(key) || key === 'contig');
          continue;
        }
        if (text.startsWith('#CHROM')) {
          inHeader = false;
          const samples = text.split('\t').slice(9);
          const notPseudo = samples.filter((s) => !PSEUDONYM_PATTERN.test(s)).length;
          if (notPseudo) for (let i = 0; i < notPseudo; i++) findings.add('sample column name that is not a genofed pseudonym', `line ${number} (#CHROM)`);
          if (RRN_PATTERN.test(text)) findings.add('resident registration number', `line ${number} (#CHROM)`);
          if (denylist.matches(bytes)) findings.add('denylisted string', `line ${number} (#CHROM)`);
          continue;
        }
      }
      // Records: the ID column, RRNs in the fixed columns, denylisted tokens anywhere.
      let t = -1;
      const tabs: number[] = [];
      for (let k = 0; k < 8; k++) {
        t = bytes.indexOf(9, t + 1);
        if (t < 0) break;
        tabs.push(t);
      }
      if (tabs.length >= 2) {
        const id = bytes.toString('utf8', tabs[1]! + 1, tabs[2] ?? bytes.length);
        if (!idColumnIsPublic(id) && !id.split(';').every((p) => p === '.' || /^rs\d+$/.test(p) || PSEUDONYM_PATTERN.test(p))) findings.add('variant id that is neither an rs id nor a pseudonym', `line ${number} (ID)`);
      }
      const fixedEnd = tabs[7] ?? bytes.length;
      if (RRN_PATTERN.test(bytes.toString('latin1', 0, fixedEnd))) findings.add('resident registration number', `line ${number}`);
      if (denylist.matches(bytes)) findings.add('denylisted string', `line ${number}`);
    }
  } finally {
    input.stream.destroy();
  }
}

async function scanAlignment(path: string, findings: Findings, denylist: Denylist, signal?: AbortSignal): Promise<void> {
  for await (const { text, where } of alignmentScanText(path, signal)) {
    if (text.startsWith('@')) {
      const type = text.slice(1, 3);
      const fields = text.split('\t').slice(1);
      const tags = new Map(fields.map((f) => [f.slice(0, 2), f.slice(3)]));
      const at = `${where} (@${type})`;
      if (type === 'RG') {
        for (const k of ['ID', 'SM', 'LB']) {
          const v = tags.get(k);
          if (v !== undefined && !PSEUDONYM_PATTERN.test(v)) findings.add(`@RG ${k} that is not a pseudonym`, at);
        }
        for (const k of ['PU', 'DT', 'CN', 'DS', 'BC']) if (tags.has(k)) findings.add(`@RG ${k} (identifying field)`, at);
      } else if (type === 'PG' && tags.has('CL')) findings.add('@PG CL (command line)', at);
      else if (type === 'CO') findings.add('@CO comment', at);
      else if (type === 'SQ' && tags.has('UR')) findings.add('@SQ UR (path)', at);
      scanHeaderText(text, at, findings, denylist);
      continue;
    }
    const f = text.split('\t');
    const qname = f[0] ?? '';
    if (ILLUMINA_READ_NAME.test(qname)) findings.add('Illumina read name', `${where} (QNAME)`);
    else if (SRA_READ_NAME.test(qname)) findings.add('SRA run read name', `${where} (QNAME)`);
    for (const aux of f.slice(11)) {
      const tag = aux.slice(0, 2);
      if (ID_TAGS.includes(tag)) findings.add(`tag ${tag} (barcode/UMI)`, `${where} (tag ${tag})`);
      if (RRN_PATTERN.test(aux)) findings.add('resident registration number', `${where} (tag ${tag})`);
    }
    if (RRN_PATTERN.test(qname)) findings.add('resident registration number', `${where} (QNAME)`);
    if (denylist.size) {
      const b = Buffer.from(text, 'utf8');
      if (denylist.matches(b)) findings.add('denylisted string', where);
    }
  }
}

/**
 * FASTQ name lines: Illumina/SRA names, comments with index barcodes or the
 * original Illumina name (SRA), names repeated on the `+` line. A
 * pseudonymized file (`@<pseudonym>[/1] [1:N:0]`, bare `+`) gives none.
 */
async function scanFastq(path: string, findings: Findings, denylist: Denylist, signal?: AbortSignal): Promise<void> {
  for await (const r of fastqScanText(path, signal)) {
    const at = `${r.where} (name)`;
    if (ILLUMINA_READ_NAME.test(r.name) || ILLUMINA_READ_NAME.test(r.base)) findings.add('Illumina read name', at);
    else if (SRA_READ_NAME.test(r.base)) findings.add('SRA run read name', at);
    if (r.comment) {
      const casava = /^[1-4]:[YN]:\d+(?::(\S*))?$/.exec(r.comment);
      if (casava) {
        // The 4th field is the index sequence(s); newer bcl2fastq writes a sample-sheet number there when there is no index.
        if (casava[1] && /[A-Za-z]/.test(casava[1])) findings.add('index barcode in a Casava comment', `${r.where} (comment)`);
      } else if (r.comment.split(/\s+/).some((w) => ILLUMINA_READ_NAME.test(w))) findings.add('Illumina read name in a comment', `${r.where} (comment)`);
      else findings.add('read name comment (free text)', `${r.where} (comment)`);
    }
    if (r.plus) findings.add("read name repeated on the '+' line", `${r.where} (+ line)`);
    const text = `${r.name} ${r.comment} ${r.plus}`;
    if (RRN_PATTERN.test(text)) findings.add('resident registration number', at);
    if (denylist.size && denylist.matches(Buffer.from(text, 'latin1'))) findings.add('denylisted string', at);
  }
}

async function scanTable(path: string, findings: Findings, denylist: Denylist, dateColumns: ReadonlySet<string>): Promise<void> {
  const { text } = await readTableText(path);
  // Ingest's table parser first (ingest-validation.ts): what ingest would reject is an error (exit 2).
  await validateTableAsIngest(text, { label: basename(path) });
  const table = parseDelimited(text, basename(path));
  const header = table.rows[0]?.fields ?? [];
  const body = table.rows.slice(1);
  header.forEach((name, c) => {
    const values = body.map((r) => r.fields[c]).filter((v): v is string => v !== undefined && !MISSING.has(v.trim()));
    // A column of genofed pseudonyms is an id column already pseudonymized: its values are meant to be distinct.
    if (values.length > 0 && values.every((v) => PSEUDONYM_PATTERN.test(v))) return;
    const where = `column ${c + 1} (${name})`;
    // Declared date columns hold shifted dates (or years) in a pseudonymized table: legitimate, not an identifier.
    if (dateColumns.has(name)) return;
    const cohort = values.filter((v) => COHORT_SAMPLE_ID.test(v.trim())).length;
    if (cohort > 0) for (let i = 0; i < cohort; i++) findings.add('cohort sample id (1000 Genomes HG/NA, HGDP, TCGA barcode, GTEx)', where, `cohort:${c}`);
    if (isIdLikeColumnName(name) || ID_HEADER.test(name)) findings.add('column name suggesting a direct identifier', where, `name:${c}`);
    else if (valuesUniquePerRow(values)) findings.add(`column with a distinct value in every row (identifier; at least ${UNIQUE_PER_ROW_MIN_VALUES} rows)`, where, `unique:${c}`);
  });
  for (const row of table.rows) {
    row.fields.forEach((v, c) => {
      const where = `line ${row.line}, column ${c + 1}`;
      if (RRN_PATTERN.test(v)) findings.add('resident registration number', where);
      if (row.line > 1 && parseDateLike(v) && !dateColumns.has(header[c] ?? '')) findings.add('date', where);
      if (hasPathOrUrl(v)) findings.add('path', where);
      if (denylist.size && denylist.matches(Buffer.from(v, 'utf8'))) findings.add('denylisted string', where);
    });
  }
}

/** Header words `isIdLikeColumnName` does not cover: `patient` alone, `e-mail`, Korean resident number / name, UK Biobank's participant id column (`eid`, `f.eid`). */
const ID_HEADER = /\b(patient|e-?mail)\b|^(?:f\.|n_)?eid$|주민|성명|이름/i;

/**
 * Sample ids of public cohorts, flagged wherever a table cell is exactly
 * one (whole cell, so `NA` or a gene id never matches): 1000 Genomes / HapMap
 * / Coriell (`HG00096`, `NA12878`: two letters and five digits), HGDP
 * (`HGDP00001`; 949 of the IGSR sample table's 4,973 rows), TCGA
 * barcodes (`TCGA-02-0001`, optionally `-01A...`), GTEx donors
 * (`GTEX-1117F`). A bare 7-digit number (a UK Biobank eid) is not matched
 * by value: record numbers and measurements look the same; the `eid`
 * column is flagged by name and every all-distinct number column by values.
 */
export const COHORT_SAMPLE_ID = /^(?:(?:HG|NA)\d{5}|HGDP\d{5}|TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}(?:-[0-9A-Z-]+)?|GTEX-[A-Z0-9]{4,5}(?:-[0-9A-Z-]+)?)$/;
const MISSING = new Set(DEFAULT_MISSING);

function parseDateLike(v: string): boolean {
  return /^\s*(?:19|20)\d{2}[-/.](?:0[1-9]|1[0-2])[-/.](?:0[1-9]|[12]\d|3[01])\b/.test(v);
}

/** Scan a file; `format` defaults to sniffing. */
export async function scanFile(path: string, options: { denylist?: readonly string[]; format?: ScanFormat; dateColumns?: readonly string[]; signal?: AbortSignal } = {}): Promise<ScanResult> {
  const format = options.format ?? (await detectScanFormat(path));
  const findings = new Findings();
  const denylist = new Denylist(options.denylist ?? []);
  if (format === 'vcf') await scanVcf(path, findings, denylist, options.signal);
  else if (format === 'sam' || format === 'bam') await scanAlignment(path, findings, denylist, options.signal);
  else if (format === 'fastq') await scanFastq(path, findings, denylist, options.signal);
  else await scanTable(path, findings, denylist, new Set(options.dateColumns ?? []));
  return { file: basename(path), format, findings: findings.list() };
}
