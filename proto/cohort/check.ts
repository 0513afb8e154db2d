/**
 * Type check of a cohort AST against a phenotype schema: every column must
 * exist, `<`/`>` need a numeric column, and values must parse as the
 * column's type. Produces a checked AST with resolved column names and typed
 * values, the only input the SQL compiler and the evaluator accept.
 */
import { ProtoError } from '../errors.js';
import type { CohortAst, CompareOp, Literal, PhenotypeColumn, PhenotypeType } from './ast.js';

export type CohortValue = string | number;

export type CheckedCohort =
  | { readonly kind: 'compare'; readonly column: string; readonly type: PhenotypeType; readonly op: CompareOp; readonly value: CohortValue }
  | { readonly kind: 'in'; readonly column: string; readonly type: PhenotypeType; readonly values: readonly CohortValue[] }
  | { readonly kind: 'and' | 'or'; readonly left: CheckedCohort; readonly right: CheckedCohort }
  | { readonly kind: 'not'; readonly expr: CheckedCohort };

function bad(at: number, what: string): never {
  throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression column ${at}: ${what}`);
}

/** Exact name first, then a unique case-insensitive match (`Gender` finds `gender`). */
export function resolveColumn(schema: readonly PhenotypeColumn[], name: string, at: number): PhenotypeColumn {
  const exact = schema.find((c) => c.name === name);
  if (exact) return exact;
  const folded = schema.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  if (folded.length === 1) return folded[0]!;
  const known = schema.length ? schema.map((c) => c.name).join(', ') : 'none (no phenotypes loaded)';
  return bad(at, `unknown column '${name}'; known columns: ${known}`);
}

function typedValue(col: PhenotypeColumn, lit: Literal): CohortValue {
  if (col.type === 'categorical') {
    if (col.values && !col.values.includes(lit.text)) {
      return bad(lit.at, `column '${col.name}': value '${lit.text}' is not in the consortium schema; allowed: ${col.values.join(', ')}`);
    }
    return lit.text;
  }
  const t = lit.text;
  if (lit.quoted) return bad(lit.at, `column '${col.name}' is ${col.type}: compare it with an unquoted number, not a quoted text`);
  if (col.type === 'integer') {
    if (!/^[+-]?[0-9]+$/.test(t) || !Number.isSafeInteger(Number(t))) return bad(lit.at, `column '${col.name}' is integer: '${t}' is not an integer`);
    return Number(t);
  }
  const n = Number(t);
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(t) || !Number.isFinite(n)) return bad(lit.at, `column '${col.name}' is number: '${t}' is not a number`);
  return n;
}

function edges(bins: readonly number[]): string {
  return bins.length > 12 ? `${bins.slice(0, 6).join(', ')}, ..., ${bins.slice(-3).join(', ')}` : bins.join(', ');
}

/**
 * A binned numeric column (consortium schema) is compared only at its bin
 * edges with `>=` or `<`: the node stores each value as the lower edge of
 * its bin, so a finer comparison would not mean what it says, and a value
 * such as `age = 61` must not single a person out.
 */
function checkBinned(name: string, bins: readonly number[], op: CompareOp, value: CohortValue, at: number): void {
  if (op !== '>=' && op !== '<') bad(at, `column '${name}' is binned: use >= or < with a bin edge (${edges(bins)}), not '${op}'`);
  if (typeof value !== 'number' || !bins.includes(value)) bad(at, `column '${name}': ${String(value)} is not a bin edge; edges: ${edges(bins)}`);
}

export function checkCohort(ast: CohortAst, schema: readonly PhenotypeColumn[]): CheckedCohort {
  switch (ast.kind) {
    case 'and':
    case 'or':
      return { kind: ast.kind, left: checkCohort(ast.left, schema), right: checkCohort(ast.right, schema) };
    case 'not':
      return { kind: 'not', expr: checkCohort(ast.expr, schema) };
    case 'in': {
      const col = resolveColumn(schema, ast.column, ast.at);
      if (col.bins) bad(ast.at, `column '${col.name}' is binned: use >= and < with bin edges (${edges(col.bins)}), not in (...)`);
      return { kind: 'in', column: col.name, type: col.type, values: ast.values.map((v) => typedValue(col, v)) };
    }
    case 'compare': {
      const col = resolveColumn(schema, ast.column, ast.at);
      if (col.type === 'categorical' && ast.op !== '=' && ast.op !== '!=') {
        bad(ast.at, `column '${col.name}' is categorical: use =, != or in (...), not '${ast.op}'`);
      }
      const value = typedValue(col, ast.value);
      if (col.bins) checkBinned(col.name, col.bins, ast.op, value, ast.at);
      return { kind: 'compare', column: col.name, type: col.type, op: ast.op, value };
    }
  }
}
