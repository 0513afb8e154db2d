/**
 * The cohort-expression AST and the phenotype schema it is checked against.
 * Shared by the node (compiled to SQL over its phenotype table) and the
 * coordinator (parsed and checked before fan-out), so both reject the same
 * expressions with the same messages.
 */

export type PhenotypeType = 'categorical' | 'integer' | 'number';

export interface PhenotypeColumn {
  readonly name: string;
  readonly type: PhenotypeType;
  /** Consortium schema (proto/phenotype-schema.ts): the only values a categorical column may be compared with. */
  readonly values?: readonly string[];
  /** Consortium schema: bin edges; a numeric column may only be compared with `>=` / `<` at an edge. */
  readonly bins?: readonly number[];
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A literal as typed in the expression; `quoted` literals are always strings. */
export interface Literal {
  readonly text: string;
  readonly quoted: boolean;
  /** 1-based column of the literal in the expression (for errors). */
  readonly at: number;
}

export type CohortAst =
  | { readonly kind: 'compare'; readonly column: string; readonly op: CompareOp; readonly value: Literal; readonly at: number }
  | { readonly kind: 'in'; readonly column: string; readonly values: readonly Literal[]; readonly at: number }
  | { readonly kind: 'and' | 'or'; readonly left: CohortAst; readonly right: CohortAst }
  | { readonly kind: 'not'; readonly expr: CohortAst };
