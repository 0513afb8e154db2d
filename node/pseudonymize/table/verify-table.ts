/**
 * `genofed verify table`: the pseudonymized table is the original apart
 * from what was meant to change. Checks: it parses with a consistent column
 * count; the row count is unchanged; its columns are original columns in
 * the original order; id cells are pseudonyms (with the key: of the original
 * id in the same row; without: pattern, and one-to-one); date cells are
 * shifted by one offset per person within +-180 days (with the key: exactly
 * the key's offset) or generalized to the year; every other kept cell is
 * unchanged; no original id appears anywhere in the output; with the key,
 * re-pseudonymizing gives byte-identical output. Details carry counts, line
 * numbers and column names, never cell values.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { MAX_POSITIONS, type CheckResult } from '../checks.js';
import { PSEUDONYM_PATTERN, PseudonymCache } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';
import { tokensOf } from '../tokens.js';
import { DateShifter, daysBetween, MAX_SHIFT_DAYS, parseDate } from './dates.js';
import { parseDelimited, type Table } from './delimited.js';
import { validateTableAsIngest } from './ingest-validation.js';
import { DEFAULT_MISSING, pseudonymizeTable, readTableText, type TableOptions } from './pseudonymize-table.js';

export interface VerifyTableOptions extends Omit<TableOptions, 'key' | 'label' | 'map'> {
  original: string;
  pseudonymized: string;
  key?: SiteKey;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export async function verifyTable(options: VerifyTableOptions): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const o = await readTableText(options.original);
  const p = await readTableText(options.pseudonymized);
  // The original passes ingest's parsers or verify stops with ingest's code and file:line message (ingest-validation.ts).
  if (options.ingestCheck !== false) await validateTableAsIngest(o.text, { label: basename(options.original), idColumns: options.idColumns, matrix: options.matrix });
  const orig = parseDelimited(o.text, basename(options.original), options.delimiter);
  let out: Table;
  try {
    out = parseDelimited(p.text, basename(options.pseudonymized), orig.delimiter);
  } catch (err) {
    return [{ name: 'output parses as a delimited table', ok: false, detail: err instanceof Error ? err.message : 'parse error' }];
  }
  const missing = new Set(options.missingValues ?? DEFAULT_MISSING);
  const oh = orig.rows[0]?.fields ?? [];
  const ph = out.rows[0]?.fields ?? [];
  const widths = new Set(out.rows.slice(1).map((r) => r.fields.length));
  checks.push({ name: 'output parses as a delimited table', ok: out.rows.length > 0, detail: `${out.rows.length - 1} data rows, widths ${[...widths].join('/')}` });
  const ingestProblem = await validateTableAsIngest(p.text, { label: basename(options.pseudonymized), idColumns: options.idColumns, matrix: options.matrix }).then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : 'rejected'));
  if (options.ingestCheck !== false) checks.push({ name: 'node ingest would accept the output (its table parser)', ok: ingestProblem === undefined, detail: ingestProblem ?? 'no problem' });
  checks.push({ name: 'row count unchanged', ok: orig.rows.length === out.rows.length, detail: `${orig.rows.length - 1} -> ${out.rows.length - 1}` });

  const cache = options.key ? new PseudonymCache(options.key) : null;
  const idValues = new Set<string>();
  const benign = new Set<string>();

  if (options.matrix) {
    const first = orig.rows[1] && orig.rows[1].fields.length === oh.length + 1 ? 0 : 1;
    let bad = 0;
    for (let k = first; k < oh.length; k++) {
      const a = oh[k]!;
      const b = ph[k];
      if (missing.has(a)) continue;
      idValues.add(a);
      if (cache ? cache.get('sample', a) !== b : !PSEUDONYM_PATTERN.test(b ?? '')) bad++;
    }
    checks.push({ name: 'header sample names are pseudonyms of the originals, in the same columns', ok: bad === 0 && oh.length === ph.length, detail: bad ? `${bad} columns differ` : `${oh.length - first} sample columns${cache ? '' : ' (pattern only, no key given)'}` });
    const restO = o.text.slice(o.text.indexOf('\n') + 1);
    const restP = p.text.slice(p.text.indexOf('\n') + 1);
    checks.push({ name: 'matrix body byte-identical', ok: restO === restP, detail: `${restP.length} bytes`, digests: { original: sha256(restO), pseudonymized: sha256(restP) } });
    for (const t of tokensOf(restO)) benign.add(t);
    if (first === 1) benign.add(oh[0] ?? '');
  } else {
    // Column mapping: output columns must be original columns, in order.
    const map: number[] = [];
    let j = 0;
    for (const name of ph) {
      while (j < oh.length && oh[j] !== name) j++;
      map.push(j);
      j++;
    }
    const mapped = map.every((k) => k < oh.length);
    checks.push({ name: 'output columns are original columns in the original order', ok: mapped, detail: `${ph.length} of ${oh.length} columns kept` });
    const idNames = options.idColumns?.length ? options.idColumns : [oh[0] ?? ''];
    const idCols = new Set(idNames.map((n) => oh.indexOf(n)));
    const dateCols = new Set((options.dateColumns ?? []).map((n) => oh.indexOf(n)));
    const person = oh.indexOf(idNames[0] ?? '');
    const shifter = options.key ? new DateShifter(options.key) : null;
    const offsets = new Map<string, number>();
    const forward = new Map<string, string>();
    const backward = new Map<string, string>();
    let idBad = 0;
    let idFirst = 0;
    let idCells = 0;
    let dateCells = 0;
    const idBadAt: string[] = [];
    const dateBadAt: string[] = [];
    let dateBad = 0;
    let dateFirst = 0;
    let otherBad = 0;
    let otherFirst = 0;
    const rows = Math.min(orig.rows.length, out.rows.length);
    for (let i = 1; i < rows && mapped; i++) {
      const a = orig.rows[i]!;
      const b = out.rows[i]!;
      map.forEach((k, c) => {
        const va = a.fields[k];
        const vb = b.fields[c];
        if (va === undefined || missing.has(va)) {
          if (va !== vb) {
            otherBad++;
            otherFirst ||= a.line;
          }
          return;
        }
        if (idCols.has(k)) {
          idValues.add(va);
          idCells++;
          let ok = vb !== undefined && (cache ? cache.get('sample', va) === vb : PSEUDONYM_PATTERN.test(vb));
          if (ok && !cache) {
            ok = (forward.get(va) ?? vb) === vb && (backward.get(vb!) ?? va) === va;
            forward.set(va, vb!);
            backward.set(vb!, va);
          }
          if (!ok) {
            idBad++;
            idFirst ||= a.line;
            if (idBadAt.length < MAX_POSITIONS) idBadAt.push(`line ${a.line}, column ${k + 1}`);
          }
        } else if (dateCols.has(k)) {
          dateCells++;
          const da = parseDate(va);
          const db = vb === undefined ? null : parseDate(vb);
          let ok: boolean;
          if (options.dateMode === 'year') ok = !!da && vb === String(da.year).padStart(4, '0');
          else {
            const who = a.fields[person] ?? '';
            const d = da && db ? daysBetween(da, db) : Number.NaN;
            const expected = shifter ? shifter.offsetDays(who) : (offsets.get(who) ?? d);
            offsets.set(who, expected);
            ok = d === expected && d !== 0 && Math.abs(d) <= MAX_SHIFT_DAYS && !!db && db.time === da!.time;
          }
          if (!ok) {
            dateBad++;
            dateFirst ||= a.line;
            if (dateBadAt.length < MAX_POSITIONS) dateBadAt.push(`line ${a.line}, column ${k + 1}`);
          }
        } else {
          for (const t of tokensOf(va)) benign.add(t);
          if (va !== vb) {
            otherBad++;
            otherFirst ||= a.line;
          }
        }
      });
    }
    checks.push({ name: 'id cells are pseudonyms of the original ids', ok: mapped && idBad === 0, detail: idBad ? `${idBad} cells wrong, first at line ${idFirst}` : `${cache ? 'exact' : 'pattern and one-to-one (no key given)'}`, targets: idCells, masked: idCells - idBad, unmaskedPositions: idBadAt });
    if (dateCols.size) checks.push({ name: options.dateMode === 'year' ? 'date cells generalized to the year' : 'date cells shifted by one offset per person (never 0, at most 180 days)', ok: mapped && dateBad === 0, detail: dateBad ? `${dateBad} cells wrong, first at line ${dateFirst}` : `${offsets.size || 'all'} persons`, targets: dateCells, masked: dateCells - dateBad, unmaskedPositions: dateBadAt });
    checks.push({ name: 'every other kept cell unchanged', ok: mapped && otherBad === 0, detail: otherBad ? `${otherBad} cells differ, first at line ${otherFirst}` : 'all equal' });
  }

  // Nothing left: original ids, as tokens, must not appear in the output.
  const needles = new Set<string>();
  for (const v of idValues) for (const t of tokensOf(v)) if (!benign.has(t)) needles.add(t);
  let hits = 0;
  for (const t of tokensOf(p.text)) if (needles.has(t)) hits++;
  checks.push({ name: 'no original id appears in the output', ok: hits === 0, detail: hits ? `${hits} occurrences` : `${needles.size} ids searched`, targets: needles.size });

  if (options.key) {
    const again = pseudonymizeTable(orig, o.text, { ...options, key: options.key, label: basename(options.original) });
    checks.push({ name: 're-pseudonymizing the original with the key gives byte-identical output', ok: again.text === p.text, detail: again.text === p.text ? 'identical' : 'output differs', digests: { expected: sha256(again.text), actual: sha256(p.text) } });
  }
  return checks;
}
