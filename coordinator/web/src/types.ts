/**
 * The REST answers the page reads, as the API declares them
 * (coordinator/rest/schemas.ts and the *-route.ts files). Written again
 * here, not imported: the browser bundle must not pull in server modules.
 */

/** A released count, or its bound ("<5", ">1995") when disclosure control withheld it. */
export type Count = number | string;

export interface DisclosureNote {
  policy: { k: number; smallCounts: 'suppress' | 'round'; roundTo: number };
  rowsAffected: number;
  rules: { rule: string; action: 'suppressed' | 'rounded' | 'clamped'; rows: number; reason: string; strata?: string[] }[];
}

export interface Noise { mu: number; sd: number }

export interface Sites { responding: string[]; missing: { site: string; reason: string }[] }

/** What every answer ends with. */
export interface Outcome {
  queryId: string;
  sites: Sites;
  disclosure: DisclosureNote;
  noise: Noise | null;
  /** DP on: the epsilon the token has left, the smallest over the sites; null with DP off. */
  remainingEpsilon: number | null;
  unresolved?: string[];
}

export interface AfRow {
  strata?: Record<string, string>;
  chrom: string; pos: number; ref: string; alt: string;
  ac: Count; an: Count; af: number | null; nhomalt: Count; faf95?: number | null; exists?: boolean | null;
}

export interface AssocRow {
  chrom: string; pos: number; ref: string; alt: string;
  ac_cases: Count; an_cases: Count; ac_controls: Count; an_controls: Count;
  chisq: number | null; p: number | null; or: number | null; or_l95: number | null; or_u95: number | null; p_fisher: number | null; p_trend: number | null;
}

export interface ExprRow { gene: string; logfc: number; ave_expr: number; t: number; p: number; adj_p: number }

export type Kind = 'allele-frequency' | 'association' | 'expression';

/** One answer as the page holds it: the kind, its rows, and the outcome fields. */
export type Answer =
  | { kind: 'allele-frequency'; rows: AfRow[]; by: string[]; outcome: Outcome }
  | { kind: 'association'; rows: AssocRow[]; lambda: number | null; outcome: Outcome }
  | { kind: 'expression'; rows: ExprRow[]; n: number; outcome: Outcome };

export interface SchemaColumn { name: string; type: 'categorical' | 'integer' | 'number'; values?: string[]; bins?: number[]; description?: string }
export interface PhenotypeSchema { fingerprint: string; columns: SchemaColumn[]; grammar: string }
