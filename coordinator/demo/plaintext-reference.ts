/**
 * The demo's independent check: AC, AN and nhomalt per ALT allele computed
 * directly from the GT strings of the UNSPLIT input, with no store, no
 * encryption and no network, and cohort sizes from the phenotype table with
 * the shared evaluator (proto/cohort evaluate, not the store's SQL).
 * Semantics are bcftools `+fill-tags -t AC,AN,AC_Hom`: AN counts called
 * alleles (any ploidy), nhomalt counts samples of ploidy >= 2 whose alleles
 * are all called and all this ALT.
 */
import { compileCohort, evaluateCohort, type PhenotypeColumn, type PhenotypeRow } from '../../proto/cohort/index.js';
import { variantMatchKey } from '../../proto/variant.js';
import type { VariantRef } from '../federation/types.js';

export interface ReferenceRow extends VariantRef {
  ac: number;
  an: number;
  nhomalt: number;
}

/** The comparison key of a variant: alias-normalized contig, upper-case bases. */
export function comparisonKey(v: VariantRef): string {
  return variantMatchKey({ chrom: v.chrom, pos: v.pos, ref: v.ref.toUpperCase(), alt: v.alt.startsWith('<') ? v.alt : v.alt.toUpperCase() });
}

export class ReferenceCounts {
  readonly rows = new Map<string, ReferenceRow>();

  /** Count one VCF data line already split on tabs. */
  addRecord(fields: readonly string[]): void {
    const altField = fields[4] ?? '.';
    if (altField === '.' || fields.length < 8) return;
    const alts = altField.split(',');
    const n = alts.length;
    const ac = new Int32Array(n + 1);
    const hom = new Int32Array(n + 1);
    let an = 0;
    const format = fields[8];
    const gtIndex = format === undefined ? -1 : format.split(':').indexOf('GT');
    if (gtIndex >= 0) {
      for (let c = 9; c < fields.length; c++) {
        const gt = subfield(fields[c]!, gtIndex);
        // Allele indices separated by '/' or '|'; VCF 4.4 may lead with a phase mark.
        let allele = -2; // -2: none yet in this slot, -1: '.', >= 0: index
        let ploidy = 0;
        let called = 0;
        let first = -3; // first called allele, -4 once two differ
        const close = (): void => {
          if (allele === -2) return;
          ploidy += 1;
          if (allele >= 0) {
            called += 1;
            an += 1;
            if (allele <= n) ac[allele]! += 1;
            if (first === -3) first = allele;
            else if (first !== allele) first = -4;
          }
          allele = -2;
        };
        for (let i = 0; i < gt.length; i++) {
          const ch = gt.charCodeAt(i);
          if (ch >= 48 && ch <= 57) allele = (allele < 0 ? 0 : allele * 10) + (ch - 48);
          else if (ch === 46) allele = -1; // '.'
          else if (ch === 47 || ch === 124) close(); // '/' '|'
        }
        close();
        if (ploidy >= 2 && called === ploidy && first > 0) hom[first]! += 1;
      }
    }
    const pos = Number(fields[1]);
    for (let k = 1; k <= n; k++) {
      const v = { chrom: fields[0]!, pos, ref: fields[3]!, alt: alts[k - 1]! };
      const key = comparisonKey(v);
      const prev = this.rows.get(key);
      if (prev) {
        prev.ac += ac[k]!;
        prev.an += an;
        prev.nhomalt += hom[k]!;
      } else {
        this.rows.set(key, { ...v, ac: ac[k]!, an, nhomalt: hom[k]! });
      }
    }
  }
}

function subfield(sample: string, index: number): string {
  if (index === 0) {
    const end = sample.indexOf(':');
    return end < 0 ? sample : sample.slice(0, end);
  }
  return sample.split(':')[index] ?? '.';
}

const MISSING = new Set(['', '.', 'NA', 'na', 'NaN']);

/** A phenotype TSV as rows and an inferred schema (integer / number / categorical per column). */
export function readPhenotypeTable(text: string): { columns: PhenotypeColumn[]; rows: Map<string, PhenotypeRow> } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').replace(/\t+$/, '').split('\t');
  const names = header.slice(1);
  const raw = lines.slice(1).map((l) => l.split('\t'));
  const columns: PhenotypeColumn[] = names.map((name, j) => {
    const values = raw.map((f) => f[j + 1] ?? '').filter((v) => !MISSING.has(v));
    const type = values.length && values.every((v) => /^[+-]?\d+$/.test(v)) ? 'integer'
      : values.length && values.every((v) => Number.isFinite(Number(v))) ? 'number' : 'categorical';
    return { name, type };
  });
  const rows = new Map<string, PhenotypeRow>();
  for (const f of raw) {
    const row: Record<string, string | null> = {};
    names.forEach((name, j) => {
      const v = f[j + 1] ?? '';
      row[name] = MISSING.has(v) ? null : v;
    });
    rows.set(f[0]!, row);
  }
  return { columns, rows };
}

/** Genotyped samples (in `samples`) whose phenotype row matches the expression. */
export function referenceCohortCount(expr: string, table: ReturnType<typeof readPhenotypeTable>, samples: ReadonlySet<string>): number {
  const checked = compileCohort(expr, table.columns);
  let n = 0;
  for (const [id, row] of table.rows) if (samples.has(id) && evaluateCohort(checked, row)) n += 1;
  return n;
}
