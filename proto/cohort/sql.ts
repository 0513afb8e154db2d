/**
 * Compile a checked cohort to a parameterized SQL WHERE clause: column names
 * come from the schema (quoted as identifiers), values are bound as `?`
 * parameters, never interpolated (no SQL injection through a cohort).
 * NULL phenotype values follow SQL's three-valued logic: a sample with no
 * value for a column matches neither `col=x` nor `col!=x` nor `not col=x`.
 */
import type { CheckedCohort, CohortValue } from './check.js';

export interface SqlWhere {
  readonly sql: string;
  readonly params: CohortValue[];
}

/** SQL identifier quoting: "name" with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `prefix` qualifies columns (e.g. 'p.'); `columnSql` maps a schema column
 * to its SQL name when the table does not use the phenotype names directly.
 */
export function cohortToSql(c: CheckedCohort, options: { columnSql?: (name: string) => string } = {}): SqlWhere {
  const params: CohortValue[] = [];
  const col = options.columnSql ?? quoteIdent;
  const walk = (n: CheckedCohort): string => {
    switch (n.kind) {
      case 'and':
        return `(${walk(n.left)} AND ${walk(n.right)})`;
      case 'or':
        return `(${walk(n.left)} OR ${walk(n.right)})`;
      case 'not':
        return `(NOT ${walk(n.expr)})`;
      case 'in': {
        const marks = n.values.map((v) => { params.push(v); return '?'; });
        return `(${col(n.column)} IN (${marks.join(', ')}))`;
      }
      case 'compare':
        params.push(n.value);
        return `(${col(n.column)} ${n.op === '!=' ? '<>' : n.op} ?)`;
    }
  };
  return { sql: walk(c), params };
}
