/**
 * Parse and validate the VCF header: the `##fileformat` line, the
 * meta-information lines (INFO/FORMAT/FILTER/ALT/contig/SAMPLE/PEDIGREE/META
 * definitions) and the `#CHROM` line. @gmod/vcf builds the header model
 * (samples, metadata); our own checks enforce the specification, because
 * @gmod/vcf accepts almost anything and would echo the line in its errors.
 */
import VCF from '@gmod/vcf';
import type { Diagnostics } from './vcf-errors.js';
import { parseStructuredMeta, type MetaEntry } from './meta-line.js';
import { RESERVED_FORMAT, RESERVED_INFO, type FieldDef } from './reserved-fields.js';
import type { VcfContig, VcfHeader } from './types.js';

export interface ParsedHeader {
  readonly header: VcfHeader;
  /** 10 * minor version: 40 for VCFv4.0 ... 45 for VCFv4.5. */
  readonly version: number;
  /** Declared INFO/FORMAT definitions (reserved ones are looked up separately). */
  readonly info: ReadonlyMap<string, FieldDef>;
  readonly format: ReadonlyMap<string, FieldDef>;
  readonly filters: ReadonlySet<string>;
  readonly contigIds: ReadonlySet<string>;
}

const FIXED = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'] as const;
/** VCF 4.3 section 1.4.7: contig names; also applied to earlier versions. */
export const CONTIG_NAME = /^[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&+./:;=?@^_|~-]*$/;
/** CHROM may also name a symbolic assembly contig: <ID>. */
export const SYMBOLIC_CONTIG = /^<[^<>\s,]+>$/;
/** VCF 4.3 section 1.6.1: INFO/FORMAT keys (plus the reserved 1000G). */
export const FIELD_KEY = /^(?:[A-Za-z_][0-9A-Za-z_.]*|1000G)$/;
/** Meta lines whose structure the specification defines; others are free text. */
const STRUCTURED = new Set(['INFO', 'FORMAT', 'FILTER', 'ALT', 'contig', 'SAMPLE', 'PEDIGREE', 'META']);
const NUMBER = /^(?:\d+|A|R|G|\.)$/;
const INFO_TYPES = new Set(['Integer', 'Float', 'Flag', 'Character', 'String']);
const FORMAT_TYPES = new Set(['Integer', 'Float', 'Character', 'String']);
/** Structural-variant ALT id prefixes (VCF 4.1-4.3 section 1.4.5). */
const ALT_PREFIXES = new Set(['DEL', 'INS', 'DUP', 'INV', 'CNV', 'BND', 'CN']);
const ASSEMBLY = /(GRCh3[78]|hg1[89]|hg38|b3[67]|hs3[78]d5|NCBI3[4-6]|T2T-CHM13|CHM13)/i;

/**
 * The rule for each line while the header is read (before parseHeader sees
 * them all): it must start with '#'; `seen` = header lines before this one.
 * Returns true for the #CHROM line, which ends the header. Shared by
 * `readVcf` (ingest) and `VcfLineValidator` (pseudonymize, verify, scan).
 */
export function headerLineRule(text: string, number: number, seen: number, diag: Diagnostics): boolean {
  if (!text.startsWith('#')) {
    if (seen === 0) diag.fail('GENOFED_VCF_HEADER', number, 'first line is not ##fileformat=VCFv4.x');
    diag.fail('GENOFED_VCF_HEADER', number, 'header line does not start with ## (or the #CHROM line is missing)');
  }
  return text.startsWith('#CHROM');
}

/**
 * `lines` are the header lines in order (line i is line number i + 1),
 * the last one being `#CHROM`.
 */
export function parseHeader(lines: readonly string[], diag: Diagnostics): ParsedHeader {
  const first = lines[0] ?? '';
  const ff = /^##fileformat=VCFv4\.(\d)$/.exec(first);
  if (!first.startsWith('##fileformat=')) diag.fail('GENOFED_VCF_HEADER', 1, 'first line is not ##fileformat=VCFv4.x');
  if (!ff || Number(ff[1]) > 5) diag.fail('GENOFED_VCF_HEADER', 1, 'fileformat is not a supported version (VCFv4.0 to VCFv4.5)');
  const version = 40 + Number(ff![1]);

  const info = new Map<string, FieldDef>();
  const format = new Map<string, FieldDef>();
  const filters = new Set<string>(['PASS']);
  const contigs: VcfContig[] = [];
  const contigIds = new Set<string>();
  const alts = new Set<string>();
  let assembly: string | undefined;

  const last = lines.length - 1;
  for (let i = 1; i < last; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (!line.startsWith('##')) {
      diag.fail('GENOFED_VCF_HEADER', n, 'header line does not start with ## (or the #CHROM line is missing)');
    }
    const m = /^##([^=]*)=(.*)$/s.exec(line);
    if (!m) {
      diag.violation('GENOFED_VCF_HEADER', n, 'meta-information line is not ##key=value');
      continue;
    }
    const key = m[1]!;
    const value = m[2]!;
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) {
      diag.violation('GENOFED_VCF_HEADER', n, 'meta-information key has invalid characters');
      continue;
    }
    if (key === 'fileformat') {
      diag.violation('GENOFED_VCF_HEADER', n, 'second ##fileformat line');
      continue;
    }
    if (value.length === 0) {
      diag.violation('GENOFED_VCF_HEADER', n, 'meta-information line has an empty value');
      continue;
    }
    if (!value.startsWith('<') || key === 'pedigreeDB' || key === 'assembly') {
      if (key === 'reference' && !assembly) assembly = ASSEMBLY.exec(value)?.[1];
      const url = value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
      if ((key === 'assembly' || key === 'pedigreeDB') && !isUrlLike(url)) {
        diag.violation('GENOFED_VCF_HEADER', n, `##${key} is not a valid URL`);
      }
      continue;
    }
    if (!STRUCTURED.has(key)) continue;
    const parsed = parseStructuredMeta(value);
    if (!parsed.ok) {
      diag.violation('GENOFED_VCF_HEADER', n, parsed.problem);
      continue;
    }
    const entries = parsed.entries;
    const get = (k: string): MetaEntry | undefined => entries.find((e) => e.key === k);
    const id = get('ID')?.value;
    switch (key) {
      case 'INFO':
      case 'FORMAT': {
        const d = checkFieldDefinition(key, entries, version, n, diag);
        if (!d) break;
        const defs = key === 'INFO' ? info : format;
        if (defs.has(d.id)) diag.violation('GENOFED_VCF_HEADER', n, `duplicate ##${key} ID`);
        else defs.set(d.id, d);
        break;
      }
      case 'FILTER':
        if (!id) diag.violation('GENOFED_VCF_HEADER', n, '##FILTER line without ID');
        else {
          if (/[\s;]/.test(id) || id === '0') diag.violation('GENOFED_VCF_HEADER', n, '##FILTER ID has invalid characters');
          if (filters.has(id) && id !== 'PASS') diag.violation('GENOFED_VCF_HEADER', n, 'duplicate ##FILTER ID');
          filters.add(id);
          checkDescription(key, entries, n, diag);
        }
        break;
      case 'ALT':
        if (!id) diag.violation('GENOFED_VCF_HEADER', n, '##ALT line without ID');
        else {
          if (/[\s,<>]/.test(id)) diag.violation('GENOFED_VCF_HEADER', n, '##ALT ID has invalid characters');
          else if (id.includes(':') && !ALT_PREFIXES.has(id.split(':')[0]!)) {
            diag.violation('GENOFED_VCF_HEADER', n, '##ALT ID does not start with a structural variant type (DEL, INS, DUP, INV, CNV, BND)');
          }
          // VCF 4.4 made Description optional (passed_meta_field_optional).
          if (version < 44 || entries.length > 1) {
            if (entries[0]?.key !== 'ID' || entries[1]?.key !== 'Description') {
              diag.violation('GENOFED_VCF_HEADER', n, '##ALT fields are not ID, Description in this order');
            }
            checkDescription(key, entries, n, diag);
          }
          alts.add(id);
        }
        break;
      case 'contig': {
        if (!id) {
          diag.violation('GENOFED_VCF_HEADER', n, '##contig line without ID');
          break;
        }
        if (!contigNameOk(id, version)) diag.violation('GENOFED_VCF_HEADER', n, '##contig ID has invalid characters');
        // The vcf-validator accepts a repeated ##contig (passed_meta_contig): warn only.
        if (contigIds.has(id)) diag.warn('GENOFED_VCF_HEADER', n, 'duplicate ##contig ID');
        const lengthText = get('length')?.value;
        const length = lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
        if (lengthText !== undefined && length === undefined) diag.violation('GENOFED_VCF_HEADER', n, '##contig length is not a non-negative integer');
        contigIds.add(id);
        contigs.push(length === undefined ? { id } : { id, length });
        const asm = get('assembly')?.value;
        if (!assembly && asm) assembly = ASSEMBLY.exec(asm)?.[1] ?? undefined;
        break;
      }
      case 'SAMPLE':
      case 'PEDIGREE':
        checkSampleLike(key, entries, version, n, diag);
        break;
      case 'META':
        checkMeta(entries, n, diag);
        break;
      case 'pedigreeDB':
      case 'assembly':
        if (!isUrlLike(value.slice(1, -1))) diag.violation('GENOFED_VCF_HEADER', n, `##${key} is not a valid URL`);
        break;
      default:
        break;
    }
  }

  const chromLine = lines[last] ?? '';
  const samples = parseChromLine(chromLine, last + 1, diag);
  // @gmod/vcf builds the same model; it must agree with our #CHROM split.
  let gmodSamples: string[];
  try {
    gmodSamples = new VCF({ header: lines.join('\n'), strict: false }).samples;
  } catch (cause) {
    diag.fail('GENOFED_VCF_HEADER', 0, 'header could not be parsed by @gmod/vcf', cause);
  }
  if (gmodSamples.length !== samples.length) diag.fail('GENOFED_VCF_HEADER', last + 1, '#CHROM line has blank sample columns');

  const fileformat = first.slice('##fileformat='.length);
  const header: VcfHeader = assembly
    ? { fileformat, samples, contigs, assembly, lines }
    : { fileformat, samples, contigs, lines };
  return { header, version, info, format, filters, contigIds };
}

/** VCF 4.3 made the contig-name grammar normative; earlier: no blanks, commas or angle brackets. */
export function contigNameOk(name: string, version: number): boolean {
  if (SYMBOLIC_CONTIG.test(name)) return true;
  return version >= 43 ? CONTIG_NAME.test(name) : /^[^\s,<>]+$/.test(name);
}

function parseChromLine(line: string, n: number, diag: Diagnostics): string[] {
  if (!line.startsWith('#CHROM')) diag.fail('GENOFED_VCF_HEADER', n, 'missing #CHROM header line');
  const cols = line.split('\t');
  for (let i = 0; i < FIXED.length; i++) {
    if (cols[i] !== FIXED[i]) diag.fail('GENOFED_VCF_HEADER', n, `#CHROM line: column ${i + 1} is not ${FIXED[i]} (columns must be tab-separated)`);
  }
  if (cols.length === FIXED.length) return [];
  if (cols[8] !== 'FORMAT') diag.fail('GENOFED_VCF_HEADER', n, '#CHROM line: column 9 is not FORMAT');
  const samples = cols.slice(9);
  if (samples.length === 0) diag.fail('GENOFED_VCF_HEADER', n, '#CHROM line has a FORMAT column but no samples');
  const seen = new Set<string>();
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.trim().length === 0) diag.fail('GENOFED_VCF_HEADER', n, `#CHROM line: sample column ${i + 1} has an empty name`);
    if (seen.has(s)) diag.fail('GENOFED_VCF_HEADER', n, `#CHROM line: sample column ${i + 1} repeats an earlier sample name`);
    seen.add(s);
  }
  return samples;
}

function checkDescription(key: string, entries: readonly MetaEntry[], n: number, diag: Diagnostics): void {
  const d = entries.find((e) => e.key === 'Description');
  if (!d) diag.violation('GENOFED_VCF_HEADER', n, `##${key} line without Description`);
  else if (!d.quoted) diag.violation('GENOFED_VCF_HEADER', n, `##${key} Description is not in double quotes`);
}

function checkFieldDefinition(key: 'INFO' | 'FORMAT', entries: readonly MetaEntry[], version: number, n: number, diag: Diagnostics): FieldDef | undefined {
  const get = (k: string): string | undefined => entries.find((e) => e.key === k)?.value;
  const id = get('ID');
  const number = get('Number');
  const type = get('Type');
  if (!id || number === undefined || type === undefined) {
    diag.violation('GENOFED_VCF_HEADER', n, `##${key} line lacks ID, Number or Type`);
    return undefined;
  }
  if (!FIELD_KEY.test(id)) {
    // VCF 4.3 made the key syntax normative; htslib only warns, and real
    // annotation files (NYGC 1000G) carry keys starting with a digit.
    if (version >= 43) diag.violation('GENOFED_VCF_HEADER', n, `##${key} ID is not a valid key`);
    else diag.warn('GENOFED_VCF_HEADER', n, `##${key} ID is not a valid key`);
  }
  if (entries[0]?.key !== 'ID' || entries[1]?.key !== 'Number' || entries[2]?.key !== 'Type' || entries[3]?.key !== 'Description') {
    diag.violation('GENOFED_VCF_HEADER', n, `##${key} fields are not ID, Number, Type, Description in this order`);
  }
  checkDescription(key, entries, n, diag);
  const numberOk = NUMBER.test(number) || (version >= 44 && /^(?:P|LA|LR|LG|M)$/.test(number));
  if (!numberOk) diag.violation('GENOFED_VCF_HEADER', n, `##${key} Number is not an integer, A, R, G or .`);
  const types = key === 'INFO' ? INFO_TYPES : FORMAT_TYPES;
  if (!types.has(type)) diag.violation('GENOFED_VCF_HEADER', n, `##${key} Type is not one of ${[...types].join(', ')}`);
  // The vcf-validator accepts Flag with Number=A (passed_meta_info): warn only.
  if (type === 'Flag' && number !== '0') diag.warn('GENOFED_VCF_HEADER', n, `##${key} Flag must have Number=0`);
  const reserved = (key === 'INFO' ? RESERVED_INFO : RESERVED_FORMAT).get(id);
  if (reserved && (reserved.type !== type || reserved.number !== number)) {
    diag.violation('GENOFED_VCF_HEADER', n, `##${key} ${id} differs from the Number/Type the specification reserves for it`);
  }
  return { id, number: NUMBER.test(number) ? number : '.', type: types.has(type) ? (type as FieldDef['type']) : 'String' };
}

function checkSampleLike(key: 'SAMPLE' | 'PEDIGREE', entries: readonly MetaEntry[], version: number, n: number, diag: Diagnostics): void {
  const hasId = entries.some((e) => e.key === 'ID');
  if (!hasId && (key === 'SAMPLE' || version >= 43)) diag.violation('GENOFED_VCF_HEADER', n, `##${key} line without ID`);
  for (const e of entries) {
    if (e.quoted) {
      if (key === 'SAMPLE' && version < 43 && e.key !== 'Description') diag.violation('GENOFED_VCF_HEADER', n, `##${key} has a quoted value outside Description`);
      continue;
    }
    // ids and genome names: no blanks, no punctuation beyond [._+-] and ';' lists
    if (!/^[0-9A-Za-z_.+;-]*$/.test(e.value) && !(e.value.startsWith('[') && e.value.endsWith(']'))) {
      diag.violation('GENOFED_VCF_HEADER', n, `##${key} value has invalid characters`);
    }
  }
  if (key === 'SAMPLE' && version <= 42 && !entries.some((e) => e.key === 'Genomes')) {
    diag.violation('GENOFED_VCF_HEADER', n, '##SAMPLE line without Genomes (VCF 4.1, 4.2)');
  }
}

function checkMeta(entries: readonly MetaEntry[], n: number, diag: Diagnostics): void {
  const order = ['ID', 'Type', 'Number', 'Values'];
  const keys = entries.map((e) => e.key);
  if (!order.every((k) => keys.includes(k)) || keys[0] !== 'ID') {
    diag.violation('GENOFED_VCF_HEADER', n, '##META line lacks ID, Type, Number or Values, or ID is not first');
    return;
  }
  const get = (k: string): MetaEntry => entries.find((e) => e.key === k)!;
  if (!/^(?:\d+|\.)$/.test(get('Number').value)) diag.violation('GENOFED_VCF_HEADER', n, '##META Number is not an integer or .');
  if (!['Integer', 'Float', 'String', 'Character'].includes(get('Type').value)) diag.violation('GENOFED_VCF_HEADER', n, '##META Type is invalid');
  const values = get('Values').value;
  if (!(values.startsWith('[') && values.endsWith(']'))) diag.violation('GENOFED_VCF_HEADER', n, '##META Values is not in square brackets');
}

/** A URL with a scheme and a host that is a name (has a letter) or a dotted address. */
function isUrlLike(v: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/:\s]*)(?::(\d+))?(\/\S*)?$/i.exec(v);
  if (!m) return /^[^\s<>]+$/.test(v) && !/^[a-z]+:\/\//i.test(v) ? true : false;
  const host = m[2]!;
  if (m[1]!.toLowerCase() === 'file') return true;
  return /[A-Za-z]/.test(host) || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}
