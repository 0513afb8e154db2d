/**
 * Recursive-descent parser of cohort expressions:
 *
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | test
 *   test    := column op value | column ['not'] 'in' '(' value (',' value)* ')'
 *   op      := '=' | '!=' | '<' | '<=' | '>' | '>='
 *
 * Keywords are case-insensitive; `and` binds tighter than `or`; `x not in
 * (...)` is sugar for `not x in (...)`.
 */
import { ProtoError } from '../errors.js';
import type { CohortAst, CompareOp, Literal } from './ast.js';
import { tokenize, type Token } from './tokenize.js';

/** The grammar, as researchers see it (REST GET /v1/schema, `genofed query schema`, README). */
export const COHORT_GRAMMAR = [
  "expr := and ('or' and)* ; and := unary ('and' unary)* ; unary := 'not' unary | '(' expr ')' | test",
  "test := column op value | column ['not'] 'in' '(' value (',' value)* ')' ; op := = != < <= > >=",
  'columns and values: only those of the consortium phenotype schema; categorical columns take =, != and in with listed values;',
  "binned numeric columns take only >= and < with a bin edge (age >= 60 and age < 65); values may be quoted ('EUR') or bare (EUR); keywords are case-insensitive.",
].join('\n');

/** Longest expression accepted: bounds parse time and recursion depth. */
export const MAX_EXPRESSION_LENGTH = 10_000;
const MAX_DEPTH = 200;

const KEYWORDS = new Set(['and', 'or', 'not', 'in']);

export function parseCohort(expr: string): CohortAst {
  if (expr.length > MAX_EXPRESSION_LENGTH) {
    throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const tokens = tokenize(expr);
  let p = 0;
  let depth = 0;
  const peek = (): Token => tokens[p]!;
  const isKw = (t: Token, kw: string): boolean => t.kind === 'word' && t.text.toLowerCase() === kw;
  const fail = (t: Token, what: string): never => {
    const found = t.kind === 'end' ? 'end of expression' : `'${t.text}'`;
    throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression column ${t.at}: expected ${what}, found ${found}`);
  };
  const literal = (): Literal => {
    const t = peek();
    if (t.kind === 'string' || (t.kind === 'word' && !KEYWORDS.has(t.text.toLowerCase()))) {
      p++;
      return { text: t.text, quoted: t.kind === 'string', at: t.at };
    }
    return fail(t, 'a value');
  };

  const expression = (): CohortAst => {
    if (++depth > MAX_DEPTH) throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression nests deeper than ${MAX_DEPTH} levels`);
    let left = conjunction();
    while (isKw(peek(), 'or')) { p++; left = { kind: 'or', left, right: conjunction() }; }
    depth--;
    return left;
  };
  const conjunction = (): CohortAst => {
    let left = unary();
    while (isKw(peek(), 'and')) { p++; left = { kind: 'and', left, right: unary() }; }
    return left;
  };
  const unary = (): CohortAst => {
    const t = peek();
    if (isKw(t, 'not')) {
      p++;
      if (++depth > MAX_DEPTH) throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression nests deeper than ${MAX_DEPTH} levels`);
      const expr = unary();
      depth--;
      return { kind: 'not', expr };
    }
    if (t.kind === '(') {
      p++;
      const inner = expression();
      if (peek().kind !== ')') fail(peek(), "')'");
      p++;
      return inner;
    }
    return test();
  };
  const test = (): CohortAst => {
    const col = peek();
    if (col.kind !== 'word' || KEYWORDS.has(col.text.toLowerCase())) return fail(col, 'a column name');
    p++;
    let t = peek();
    let negate = false;
    if (isKw(t, 'not')) { negate = true; p++; t = peek(); if (!isKw(t, 'in')) fail(t, "'in' after 'not'"); }
    if (isKw(t, 'in')) {
      p++;
      if (peek().kind !== '(') fail(peek(), "'(' after 'in'");
      p++;
      const values: Literal[] = [literal()];
      while (peek().kind === ',') { p++; values.push(literal()); }
      if (peek().kind !== ')') fail(peek(), "',' or ')'");
      p++;
      const node: CohortAst = { kind: 'in', column: col.text, values, at: col.at };
      return negate ? { kind: 'not', expr: node } : node;
    }
    if (t.kind !== 'op') return fail(t, "a comparison ('=', '!=', '<', '<=', '>', '>=') or 'in'");
    p++;
    return { kind: 'compare', column: col.text, op: t.text as CompareOp, value: literal(), at: col.at };
  };

  const ast = expression();
  if (peek().kind !== 'end') fail(peek(), "'and', 'or' or the end of the expression");
  return ast;
}
