/**
 * Checks of a record's fixed columns (CHROM, POS, ID, REF, ALT, QUAL,
 * FILTER, INFO) and of its FORMAT keys, against the specification and the
 * header's definitions. Problems that change what is counted (POS, allele
 * syntax, FORMAT structure) are always fatal; annotation problems go through
 * `Diagnostics.violation` (fatal when strict, counted warnings otherwise).
 */
import type { Diagnostics } from './vcf-errors.js';
import { FIELD_KEY, contigNameOk, type ParsedHeader } from './header.js';
import { RESERVED_FORMAT, RESERVED_INFO } from './reserved-fields.js';
import { checkTypedValue, type FormatPlan } from './genotype-scanner.js';

const BASES = /^[ACGTNacgtn]+$/;
const SYMBOLIC = /^<[^<>\s,]+>$/;
const BREAKEND = /^(?:[ACGTNacgtn]+[[\]][^[\]\s]+:\d+[[\]]|[[\]][^[\]\s]+:\d+[[\]][ACGTNacgtn]+|\.[ACGTNacgtn]+|[ACGTNacgtn]+\.)$/;
const QUAL = /^(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\+?(?:inf|infinity|nan))$/i;
const CIGAR = /^(?:\d+[MIDNSHP=X])+$/;
/** Reserved INFO keys whose values cannot be negative (counts, depths, positions, frequencies). */
const NON_NEGATIVE = new Set(['AC', 'AN', 'AF', 'DP', 'END', 'MQ0', 'NS', 'BQ', 'MQ']);

export class RecordChecker {
  private readonly plans = new Map<string, FormatPlan>();
  private readonly checkedChroms = new Set<string>();

  constructor(
    private readonly h: ParsedHeader,
    private readonly diag: Diagnostics,
  ) {}

  chrom(chrom: string, line: number): void {
    if (this.checkedChroms.has(chrom)) return;
    this.checkedChroms.add(chrom);
    if (chrom.length === 0) this.diag.fail('GENOFED_VCF_RECORD', line, 'CHROM is empty');
    if (!contigNameOk(chrom, this.h.version)) this.diag.violation('GENOFED_VCF_RECORD', line, 'CHROM has characters not allowed in contig names');
    if (!this.h.contigIds.has(chrom)) this.diag.warn('GENOFED_VCF_RECORD', line, 'CHROM is not declared in a ##contig line');
  }

  pos(text: string, line: number): number {
    if (!/^\d{1,10}$/.test(text)) this.diag.fail('GENOFED_VCF_RECORD', line, 'POS is not a non-negative integer');
    const pos = Number(text);
    if (pos > 2147483647) this.diag.fail('GENOFED_VCF_RECORD', line, 'POS is above 2^31-1');
    return pos;
  }

  id(text: string, line: number): void {
    if (text === '.') return;
    const ids = text.split(';');
    for (const id of ids) {
      if (id.length === 0 || id === '.' || /\s/.test(id)) {
        this.diag.violation('GENOFED_VCF_RECORD', line, 'ID has an empty entry or whitespace');
        return;
      }
    }
    if (this.h.version >= 42 && new Set(ids).size !== ids.length) this.diag.violation('GENOFED_VCF_RECORD', line, 'ID repeats a value');
  }

  ref(text: string, line: number): void {
    if (text.length === 0 || text === '.') this.diag.fail('GENOFED_VCF_RECORD', line, 'REF is missing');
    if (!BASES.test(text)) this.diag.violation('GENOFED_VCF_RECORD', line, 'REF has characters other than A, C, G, T, N');
  }

  alts(text: string, ref: string, line: number): string[] {
    if (text === '.') return [];
    const alts = text.split(',');
    for (const a of alts) {
      if (a.length === 0) this.diag.fail('GENOFED_VCF_RECORD', line, 'ALT has an empty allele');
      if (a === '*' || BASES.test(a) || SYMBOLIC.test(a) || BREAKEND.test(a)) {
        if (a.toUpperCase() === ref.toUpperCase()) this.diag.violation('GENOFED_VCF_RECORD', line, 'an ALT allele equals REF');
        continue;
      }
      this.diag.violation('GENOFED_VCF_RECORD', line, 'ALT allele is not bases, *, a symbolic <ID> or a breakend');
    }
    // Symbolic alleles may repeat (VCF 4.4 copy-number <CNV>,<CNV>); sequences may not.
    const plain = alts.filter((a) => !a.startsWith('<'));
    if (new Set(plain).size !== plain.length) this.diag.violation('GENOFED_VCF_RECORD', line, 'ALT lists the same allele twice');
    return alts;
  }

  qual(text: string, line: number): void {
    if (text !== '.' && !QUAL.test(text)) this.diag.violation('GENOFED_VCF_RECORD', line, 'QUAL is not a non-negative number or .');
  }

  filter(text: string, line: number): void {
    if (text === '.' || text === 'PASS') return;
    const ids = text.split(';');
    for (const id of ids) {
      if (id.length === 0 || id === '.' || id === '0' || /\s/.test(id)) {
        this.diag.violation('GENOFED_VCF_RECORD', line, 'FILTER has an empty, missing, 0 or blank entry');
        return;
      }
      if (!this.h.filters.has(id)) this.diag.warn('GENOFED_VCF_RECORD', line, 'FILTER value is not declared in a ##FILTER line');
    }
    if (new Set(ids).size !== ids.length) this.diag.violation('GENOFED_VCF_RECORD', line, 'FILTER repeats a value');
  }

  info(text: string, nAlleles: number, line: number): void {
    if (text === '.') return;
    if (/[\s]/.test(text) && (this.h.version < 43 || /[\t\n\r]/.test(text))) {
      this.diag.violation('GENOFED_VCF_INFO', line, 'INFO contains whitespace');
    }
    const entries = text.split(';');
    const seen = new Set<string>();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const eq = e.indexOf('=');
      const key = eq < 0 ? e : e.slice(0, eq);
      const where = `INFO entry ${i + 1}`;
      if (key.length === 0) {
        this.diag.violation('GENOFED_VCF_INFO', line, `${where} is empty`);
        continue;
      }
      if (!FIELD_KEY.test(key)) {
        if (this.h.version >= 43) this.diag.violation('GENOFED_VCF_INFO', line, `${where}: key is not a valid key`);
        else this.diag.warn('GENOFED_VCF_INFO', line, 'INFO key is not a valid key');
      }
      if (seen.has(key)) this.diag.violation('GENOFED_VCF_INFO', line, `${where}: key repeats an earlier key`);
      seen.add(key);
      const def = this.h.info.get(key) ?? RESERVED_INFO.get(key);
      if (!def) {
        this.diag.warn('GENOFED_VCF_INFO', line, 'INFO key is not declared in a ##INFO line');
        continue;
      }
      if (def.type === 'Flag') {
        // The vcf-validator accepts DB=0 / DB=1 (passed_body_info), rejects DB=2.
        const v = eq < 0 ? undefined : e.slice(eq + 1);
        if (v !== undefined && v !== '0' && v !== '1') this.diag.violation('GENOFED_VCF_INFO', line, `${where}: a Flag has a value`);
        continue;
      }
      if (eq < 0) {
        this.diag.violation('GENOFED_VCF_INFO', line, `${where}: a non-Flag key has no value`);
        continue;
      }
      const value = e.slice(eq + 1);
      const problem = checkTypedValue(value, def, nAlleles, 0);
      if (problem) {
        this.diag.violation('GENOFED_VCF_INFO', line, `${where}: ${problem}`);
        continue;
      }
      if (NON_NEGATIVE.has(key) && value.split(',').some((v) => v.startsWith('-'))) {
        this.diag.violation('GENOFED_VCF_INFO', line, `${where}: a count, depth, position or frequency is negative`);
      }
      if (key === 'CIGAR' && value.split(',').some((v) => v !== '.' && !CIGAR.test(v))) {
        this.diag.violation('GENOFED_VCF_INFO', line, `${where}: CIGAR is not a CIGAR string`);
      }
    }
  }

  /** VCF 4.3: [A-Za-z_][0-9A-Za-z_.]* (percent-encoding allowed); 4.0-4.2: alphanumeric (failed_body_format_003). */
  private formatKeyOk(k: string): boolean {
    if (this.h.version >= 43) return /^[A-Za-z_][0-9A-Za-z_.%]*$/.test(k);
    return /^[0-9A-Za-z]+$/.test(k);
  }

  /** The plan for a FORMAT string, validated once per distinct string. */
  format(text: string, line: number): FormatPlan {
    const cached = this.plans.get(text);
    if (cached) return cached;
    let keys: string[] = [];
    if (text !== '.') {
      keys = text.split(':');
      const seen = new Set<string>();
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (k.length === 0 || /\s/.test(k)) this.diag.fail('GENOFED_VCF_RECORD', line, `FORMAT key ${i + 1} is empty or has whitespace`);
        if (seen.has(k)) this.diag.fail('GENOFED_VCF_RECORD', line, `FORMAT key ${i + 1} repeats an earlier key`);
        seen.add(k);
        if (k === 'GT' && i !== 0) this.diag.violation('GENOFED_VCF_RECORD', line, 'FORMAT has GT but not as its first key');
        if (!this.formatKeyOk(k)) this.diag.violation('GENOFED_VCF_RECORD', line, `FORMAT key ${i + 1} is not a valid key`);
        if (!this.h.format.has(k) && !RESERVED_FORMAT.has(k)) this.diag.warn('GENOFED_VCF_RECORD', line, 'FORMAT key is not declared in a ##FORMAT line');
      }
    }
    const gtIndex = keys.indexOf('GT');
    const hasGt = gtIndex >= 0;
    const defs = keys.map((k) => this.h.format.get(k) ?? RESERVED_FORMAT.get(k));
    const plan: FormatPlan = { keys, hasGt, gtIndex, gtOnly: gtIndex === 0 && keys.length === 1, defs };
    if (this.plans.size < 10_000) this.plans.set(text, plan);
    return plan;
  }
}
