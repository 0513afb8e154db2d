/**
 * The genotype hot path: a byte scanner over the sample columns of one
 * record that fills the sparse arrays of `VcfVariant` (every sample except
 * fully called diploid hom-ref is listed). It works on the line's bytes, not
 * on a decoded string, and reuses its typed-array scratch space; each record
 * costs three `slice()` copies.
 *
 * Why not @gmod/vcf's processGenotypes: on 20k variants x 500 samples this
 * scanner took 181 ms, processGenotypes 567-652 ms and bcftools +fill-tags
 * 720-756 ms (DESIGN.md). The skip test for "0|0<TAB>" is four byte
 * compares; in 1000G data ~90% of genotypes take it.
 */
import type { Diagnostics } from './vcf-errors.js';
import type { FieldDef } from './reserved-fields.js';

const TAB = 9;
const COLON = 58;
const SLASH = 47;
const PIPE = 124;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** How the sample columns of records with one FORMAT string are read. */
export interface FormatPlan {
  /** FORMAT keys in order ('.' gives none). */
  readonly keys: readonly string[];
  /** FORMAT has GT (the spec requires it first; lenient mode reads it anywhere). */
  readonly hasGt: boolean;
  /** Index of GT among the keys (0 per spec), -1 when absent. */
  readonly gtIndex: number;
  /** FORMAT is exactly 'GT': the fast path applies. */
  readonly gtOnly: boolean;
  /** Declared or reserved definition per key (undefined: undeclared). */
  readonly defs: readonly (FieldDef | undefined)[];
}

export interface SparseGenotypes {
  readonly sample: Int32Array;
  readonly offset: Int32Array;
  readonly alleles: Int16Array;
}

export class GenotypeScanner {
  private sample = new Int32Array(1024);
  private offset = new Int32Array(1025);
  private alleles = new Int16Array(4096);

  constructor(
    private readonly nSamples: number,
    /** VCF 4.4 allows an explicit phase before the first allele ('/0|1'). */
    private readonly allowLeadingPhase: boolean,
    private readonly diag: Diagnostics,
  ) {}

  /**
   * Scan samples starting at `pos` (first byte after FORMAT's tab) to the
   * end of `buf` (one line). `nAlleles` = 1 + number of ALT alleles.
   * `validateValues`: check non-GT values against their Type/Number.
   */
  scan(buf: Buffer, pos: number, nAlleles: number, plan: FormatPlan, line: number, validateValues: boolean): SparseGenotypes {
    const n = this.nSamples;
    const end = buf.length;
    this.ensure(n, n * 2 + 16);
    const sample = this.sample;
    const offset = this.offset;
    let alleles = this.alleles;
    let k = 0;
    let na = 0;
    let p = pos;
    const gtOnly = plan.gtOnly;
    const hasGt = plan.hasGt;
    const leading = this.allowLeadingPhase;
    const more = plan.keys.length > (hasGt ? 1 : 0);
    for (let s = 0; s < n; s++) {
      if (p > end) this.diag.fail('GENOFED_VCF_RECORD', line, `record has ${s + 9} columns, the header has ${n + 9}`);
      // Fast path: a diploid single-digit call 'a|b' or 'a/b' followed by TAB
      // or end of line (all of 1000G). Hom-ref ('0|0', ~90% there) is skipped
      // with four byte compares; other calls are stored without the general loop.
      if (gtOnly) {
        const sep = buf[p + 1];
        const after = p + 3;
        if ((sep === PIPE || sep === SLASH) && (after === end || buf[after] === TAB)) {
          const a = buf[p]! - ZERO;
          const b = buf[p + 2]! - ZERO;
          if (a === 0 && b === 0) {
            p = after + 1;
            continue;
          }
          if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && a < nAlleles && b < nAlleles) {
            if (alleles.length < na + 2) {
              this.alleles = growInt16(alleles, na + 64);
              alleles = this.alleles;
            }
            sample[k] = s;
            offset[k] = na;
            k += 1;
            alleles[na] = a;
            alleles[na + 1] = b;
            na += 2;
            p = after + 1;
            continue;
          }
        }
      }
      let ploidy = 0;
      let gtHere = hasGt;
      if (hasGt && plan.gtIndex > 0) {
        // Lenient mode only: skip the sub-fields before GT.
        for (let f = 0; f < plan.gtIndex && gtHere; f++) {
          while (p < end && buf[p] !== COLON && buf[p] !== TAB) p += 1;
          if (p < end && buf[p] === COLON) p += 1;
          else gtHere = false;
        }
      }
      if (gtHere) {
        if (alleles.length < na + 64) {
          this.alleles = growInt16(alleles, na + 64);
          alleles = this.alleles;
        }
        let c = buf[p];
        if (c === SLASH || c === PIPE) {
          if (!leading) this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}: GT starts with a phase separator (allowed from VCF 4.4 only)`);
          p += 1;
          c = buf[p];
        }
        for (;;) {
          let allele: number;
          if (c === DOT) {
            allele = -1;
            p += 1;
          } else if (c !== undefined && c >= ZERO && c <= NINE) {
            allele = 0;
            do {
              allele = allele * 10 + (c - ZERO);
              p += 1;
              c = buf[p];
            } while (c !== undefined && c >= ZERO && c <= NINE && allele < 100000);
            if (allele >= nAlleles) this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}: GT allele index out of range (the record has ${nAlleles} alleles)`);
          } else {
            this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}: GT is not a valid genotype`);
          }
          if (ploidy === 64) this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}: GT ploidy above 64`);
          alleles[na + ploidy] = allele;
          ploidy += 1;
          c = buf[p];
          if (c === SLASH || c === PIPE) {
            p += 1;
            c = buf[p];
            continue;
          }
          break;
        }
        if (p < end && c !== TAB && c !== COLON) this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}: GT is not a valid genotype`);
        // '.' alone: no genotype at all (types.ts: ploidy 0).
        if (ploidy === 1 && alleles[na] === -1) ploidy = 0;
        if (!(ploidy === 2 && alleles[na] === 0 && alleles[na + 1] === 0)) {
          sample[k] = s;
          offset[k] = na;
          k += 1;
          na += ploidy;
        }
      } else {
        // No GT: the sample is unknown, not hom-ref; list it with ploidy 0.
        sample[k] = s;
        offset[k] = na;
        k += 1;
      }
      // Rest of the sample column.
      if (p < end && buf[p] !== TAB) {
        if (validateValues && (more || buf[p] === COLON) && plan.gtIndex <= 0) p = this.checkValues(buf, p, plan, nAlleles, ploidy, s, line);
        else {
          // Count sub-fields even when not validating them: more than FORMAT
          // declares means the columns are misaligned (bcftools rejects it too).
          let fields = 1;
          while (p < end) {
            const c = buf[p];
            if (c === TAB) break;
            if (c === COLON) fields += 1;
            p += 1;
          }
          if (plan.gtIndex <= 0 && fields > Math.max(1, plan.keys.length)) {
            this.diag.fail('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1} has more sub-fields than FORMAT keys`);
          }
        }
      }
      if (s < n - 1) {
        if (p >= end) this.diag.fail('GENOFED_VCF_RECORD', line, `record has ${s + 10} columns, the header has ${n + 9}`);
        p += 1;
      } else if (p < end) {
        this.diag.fail('GENOFED_VCF_RECORD', line, `record has more columns than the header (${n + 9})`);
      }
    }
    offset[k] = na;
    return { sample: this.sample.slice(0, k), offset: this.offset.slice(0, k + 1), alleles: this.alleles.slice(0, na) };
  }

  /** Validate the sub-fields after GT (p at the ':' or at the first field when no GT); return the column's end. */
  private checkValues(buf: Buffer, p: number, plan: FormatPlan, nAlleles: number, ploidy: number, s: number, line: number): number {
    const tab = buf.indexOf(TAB, p);
    const end = tab < 0 ? buf.length : tab;
    const text = buf.toString('latin1', p, end);
    const fields = text.split(':');
    // With GT, the text starts at GT's ':' so fields[0] is '' and fields[j] is key j's value.
    const first = plan.hasGt ? 1 : 0;
    if (fields.length > plan.keys.length) {
      this.diag.violation('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1} has more sub-fields than FORMAT keys`);
      return end;
    }
    for (let j = first; j < fields.length; j++) {
      const def = plan.defs[j];
      if (!def) continue;
      const problem = checkTypedValue(fields[j]!, def, nAlleles, ploidy);
      if (problem) this.diag.violation('GENOFED_VCF_GENOTYPE', line, `sample column ${s + 1}, FORMAT key ${j + 1}: ${problem}`);
    }
    return end;
  }

  private ensure(nSamples: number, nAlleles: number): void {
    if (this.sample.length < nSamples) {
      this.sample = new Int32Array(nSamples);
      this.offset = new Int32Array(nSamples + 1);
    }
    if (this.alleles.length < nAlleles) this.alleles = new Int16Array(nAlleles);
  }
}

function growInt16(a: Int16Array, min: number): Int16Array<ArrayBuffer> {
  const b = new Int16Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan))$/i;

/** Number of values a Number=G field has for `nAlleles` alleles and this ploidy. */
export function genotypeCount(nAlleles: number, ploidy: number): number {
  // C(nAlleles + ploidy - 1, ploidy)
  let r = 1;
  for (let i = 1; i <= ploidy; i++) r = (r * (nAlleles - 1 + i)) / i;
  return Math.round(r);
}

/**
 * Check one INFO or FORMAT value against its definition; returns the kind of
 * problem or undefined. `ploidy` 0 skips Number=G (unknown ploidy).
 */
export function checkTypedValue(value: string, def: FieldDef, nAlleles: number, ploidy: number): string | undefined {
  if (value === '.') return undefined;
  if (value === '') return 'empty value';
  // A double-quoted String is one value even with commas (passed_body_info).
  const values = def.type === 'String' && value.length > 1 && value.startsWith('"') && value.endsWith('"') ? [value] : value.split(',');
  let expected: number | undefined;
  switch (def.number) {
    // ALT '.': the vcf-validator does not check A/R counts (passed_body_alt).
    case 'A': expected = nAlleles > 1 ? nAlleles - 1 : undefined; break;
    case 'R': expected = nAlleles > 1 ? nAlleles : undefined; break;
    case 'G': expected = ploidy > 0 && nAlleles > 1 ? genotypeCount(nAlleles, ploidy) : undefined; break;
    case '.': expected = undefined; break;
    default: expected = Number(def.number);
  }
  if (expected !== undefined && values.length !== expected) return `has ${values.length} values where its Number requires ${expected}`;
  for (const v of values) {
    if (v === '.') continue;
    switch (def.type) {
      case 'Integer':
        if (!INTEGER.test(v)) return 'value is not an Integer';
        break;
      case 'Float':
        if (!FLOAT.test(v)) return 'value is not a Float';
        break;
      case 'Character':
        if (v.length !== 1) return 'value is not a single Character';
        break;
      default:
        break;
    }
  }
  return undefined;
}
