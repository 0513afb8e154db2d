/**
 * The columns of each answer kind, in the order the CLI prints them
 * (`genofed query af|assoc|expr`), shared by the table and the TSV download
 * so both show the same fields.
 */
import type { Answer } from './types.js';

export interface Column {
  readonly label: string;
  /** The value as the API sent it: a number, a withheld bound ("<5"), a string or null. */
  readonly get: (row: never) => unknown;
  /** Statistics are shown with 4 significant digits (PLINK's); counts in full. */
  readonly stat?: boolean;
}

const field = (key: string, stat = false): Column => ({ label: key, get: ((r: Record<string, unknown>) => r[key]) as (row: never) => unknown, stat });
const VARIANT = ['chrom', 'pos', 'ref', 'alt'].map((k) => field(k));

export function columnsOf(answer: Answer): Column[] {
  switch (answer.kind) {
    case 'allele-frequency':
      return [
        ...answer.by.map((b): Column => ({ label: b, get: ((r: { strata?: Record<string, string> }) => r.strata?.[b] ?? 'all') as (row: never) => unknown })),
        ...VARIANT, field('ac'), field('an'), field('af', true), field('nhomalt'), field('faf95', true),
      ];
    case 'association':
      return [...VARIANT, ...['ac_cases', 'an_cases', 'ac_controls', 'an_controls'].map((k) => field(k)), ...['chisq', 'p', 'or', 'or_l95', 'or_u95', 'p_fisher', 'p_trend'].map((k) => field(k, true))];
    case 'expression':
      return [field('gene'), ...['logfc', 'ave_expr', 't', 'p', 'adj_p'].map((k) => field(k, true))];
  }
}

/** A value as shown: numbers of statistics to 4 significant digits, null as NA (R's and PLINK's word). */
export function display(v: unknown, stat: boolean): string {
  if (v === null || v === undefined) return 'NA';
  if (typeof v === 'number') return stat && !Number.isInteger(v) ? Number(v.toPrecision(4)).toString() : String(v);
  return String(v);
}

/** A value withheld by disclosure control travels as a bound string such as "<5" or ">1995". */
export function isWithheld(v: unknown): v is string {
  return typeof v === 'string' && /^[<>][0-9]+$/.test(v);
}
