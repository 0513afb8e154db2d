/**
 * Tokenizer of cohort expressions. Tokens carry their 1-based column so
 * errors can point into the expression (the querier's own text, which may
 * be echoed; phenotype data never is).
 */
import { ProtoError } from '../errors.js';

export type TokenKind = 'word' | 'string' | 'op' | '(' | ')' | ',' | 'end';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 1-based column. */
  readonly at: number;
}

/** Characters of a bare word: names, numbers, codes like I10.9, C50-1, 2024-01-01. */
const WORD = /[A-Za-z0-9_.+\-:/*]/;

export function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const at = i + 1;
    if (c === '(' || c === ')' || c === ',') { out.push({ kind: c, text: c, at }); i++; continue; }
    if (c === '<' || c === '>' || c === '!' || c === '=') {
      const two = expr.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '!=' || two === '==') {
        out.push({ kind: 'op', text: two === '==' ? '=' : two, at }); i += 2; continue;
      }
      if (c === '!') throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression column ${at}: '!' must be followed by '='`);
      out.push({ kind: 'op', text: c, at }); i++; continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= expr.length) throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression column ${at}: unterminated quote`);
        const d = expr[j]!;
        if (d === c) {
          if (expr[j + 1] === c) { text += c; j += 2; continue; } // doubled quote = literal quote
          break;
        }
        text += d; j++;
      }
      // Backticks quote a column name; quotes a value.
      out.push({ kind: c === '`' ? 'word' : 'string', text, at });
      i = j + 1;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < expr.length && WORD.test(expr[j]!)) j++;
      out.push({ kind: 'word', text: expr.slice(i, j), at });
      i = j;
      continue;
    }
    throw new ProtoError('GENOFED_BAD_COHORT', `cohort expression column ${at}: unexpected character '${c}'`);
  }
  out.push({ kind: 'end', text: '', at: expr.length + 1 });
  return out;
}
