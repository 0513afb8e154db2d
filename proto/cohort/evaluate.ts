/**
 * Evaluate a checked cohort over one plain row, with SQL's three-valued
 * logic (null = unknown): the independent reference the SQL compiler is
 * tested against, and what the coordinator can use on small tables.
 */
import type { CheckedCohort, CohortValue } from './check.js';

export type PhenotypeRow = Readonly<Record<string, string | number | null | undefined>>;

type Tri = boolean | null;

function cmp(a: CohortValue, op: string, b: CohortValue): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    default: return a >= b;
  }
}

function value(row: PhenotypeRow, column: string, type: string): CohortValue | null {
  const v = row[column];
  if (v === null || v === undefined) return null;
  if (type === 'categorical') return String(v);
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function evalTri(c: CheckedCohort, row: PhenotypeRow): Tri {
  switch (c.kind) {
    case 'and': {
      const l = evalTri(c.left, row);
      const r = evalTri(c.right, row);
      if (l === false || r === false) return false;
      return l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evalTri(c.left, row);
      const r = evalTri(c.right, row);
      if (l === true || r === true) return true;
      return l === null || r === null ? null : false;
    }
    case 'not': {
      const v = evalTri(c.expr, row);
      return v === null ? null : !v;
    }
    case 'in': {
      const v = value(row, c.column, c.type);
      return v === null ? null : c.values.includes(v);
    }
    case 'compare': {
      const v = value(row, c.column, c.type);
      return v === null ? null : cmp(v, c.op, c.value);
    }
  }
}

/** True when the row is in the cohort (unknown counts as not in it, as in SQL WHERE). */
export function evaluateCohort(c: CheckedCohort, row: PhenotypeRow): boolean {
  return evalTri(c, row) === true;
}
