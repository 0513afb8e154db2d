/**
 * SAM header rewriting (DESIGN.md, "Pseudonymization per format"). An
 * allow-list per line type, not a deny-list: a tag we do not know (a
 * vendor's @RG field, a lower-case user tag) may carry anything, so only
 * the fields below survive, each at its first occurrence on the line.
 *
 * | line | kept as is | replaced (keyed pseudonym) | dropped |
 * |---|---|---|---|
 * | @HD | VN SO GO SS | - | anything else |
 * | @SQ | SN LN M5 AS SP AH AN TP | - | UR (paths), DS, anything else |
 * | @RG | PL PM PI FO KS PG (PG not in strict) | ID ('readgroup'), SM ('sample'), LB ('library') | PU DT CN DS BC, anything else |
 * | @PG | ID PN VN PP | - | CL, DS, anything else; strict: the whole line |
 * | @CO, other types | - | - | the whole line |
 *
 * First occurrence only: bwa's `-R '@RG\tID:x\tSM:y'` copied verbatim into
 * @PG CL leaves literal tabs, so the CL spills into extra `ID:`/`SM:`
 * fields (test/fixtures/sam/pysam_rg_with_tab.sam); a repeated ID or a
 * non-@PG tag such as SM is dropped with the CL it came from.
 */
import type { AlignmentMode } from './types.js';

/** The id replacements the header needs (RecordRules provides them, so header and RG:Z tags agree). */
export interface HeaderPseudonyms {
  readGroup(id: string): string;
  sample(id: string): string;
  library(id: string): string;
}

/** The new header text and what was dropped (counts only). */
export interface HeaderRewrite {
  text: string;
  /** Whole lines dropped, by type ('CO', 'PG', 'XY', 'other'). */
  linesDropped: Record<string, number>;
  /** Fields dropped from kept lines, as 'RG.PU', 'PG.CL', ... */
  fieldsDropped: Record<string, number>;
  /** @RG lines whose ID was replaced. */
  readGroups: number;
}

const KEEP: Record<string, ReadonlySet<string>> = {
  HD: new Set(['VN', 'SO', 'GO', 'SS']),
  SQ: new Set(['SN', 'LN', 'M5', 'AS', 'SP', 'AH', 'AN', 'TP']),
  RG: new Set(['ID', 'SM', 'LB', 'PL', 'PM', 'PI', 'FO', 'KS', 'PG']),
  PG: new Set(['ID', 'PN', 'VN', 'PP']),
};

const bump = (rec: Record<string, number>, k: string): void => {
  rec[k] = (rec[k] ?? 0) + 1;
};

/** Rewrite a whole header text (SAM header lines or a BAM l_text block). */
export function rewriteHeader(text: string, mode: AlignmentMode, ids: HeaderPseudonyms): HeaderRewrite {
  const linesDropped: Record<string, number> = {};
  const fieldsDropped: Record<string, number> = {};
  let readGroups = 0;
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    const fields = line.split('\t');
    const type = /^@[A-Za-z][A-Za-z]$/.test(fields[0]!) ? fields[0]!.slice(1) : 'other';
    const keep = KEEP[type];
    if (!keep || (type === 'PG' && mode === 'strict')) {
      bump(linesDropped, type);
      continue;
    }
    const seen = new Set<string>();
    const kept: string[] = [fields[0]!];
    for (let i = 1; i < fields.length; i++) {
      const f = fields[i]!;
      const tag = /^[A-Za-z][A-Za-z0-9]:/.test(f) ? f.slice(0, 2) : '';
      if (!tag || !keep.has(tag) || seen.has(tag) || (type === 'RG' && tag === 'PG' && mode === 'strict')) {
        bump(fieldsDropped, `${type}.${tag || '?'}`);
        continue;
      }
      seen.add(tag);
      const value = f.slice(3);
      if (type === 'RG' && tag === 'ID') {
        kept.push(`ID:${ids.readGroup(value)}`);
        readGroups++;
      } else if (type === 'RG' && tag === 'SM') kept.push(`SM:${ids.sample(value)}`);
      else if (type === 'RG' && tag === 'LB') kept.push(`LB:${ids.library(value)}`);
      else kept.push(f);
    }
    out.push(kept.join('\t'));
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', linesDropped, fieldsDropped, readGroups };
}
