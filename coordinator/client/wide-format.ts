/**
 * `genofed query af --by ... --format wide`: one line per variant with
 * gnomAD-like column names. After `chrom pos ref alt`, the all-sample
 * `AC AN AF nhomalt faf95`, then the same five per stratum cell with the
 * cell's values joined by `_` (`AC_EUR_female`, `faf95_EUR_female`), in
 * the consortium schema's order (every cell has its columns, a cell the
 * nodes withheld reads `.`), then the per-variant maxima over the groups
 * of the first `--by` column: `grpmax AC_grpmax AN_grpmax AF_grpmax
 * nhomalt_grpmax faf95_max faf95_max_grp` (`.` when no group qualifies).
 */
import type { StratumCell } from '../../proto/query.js';
import type { AlleleFrequencyAnswer, AlleleFrequencyRow } from '../federation/types.js';
import { formatAf, formatFreq } from './format.js';

const FIELDS = ['AC', 'AN', 'AF', 'nhomalt', 'faf95'] as const;
const MAXIMA = ['grpmax', 'AC_grpmax', 'AN_grpmax', 'AF_grpmax', 'nhomalt_grpmax', 'faf95_max', 'faf95_max_grp'] as const;

/** A column-name-safe cell suffix: values joined by `_`, anything but letters, digits, `.` and `-` as `_`. */
export function cellSuffix(values: readonly (string | number)[]): string {
  return values.map((v) => String(v).replace(/[^A-Za-z0-9.-]/g, '_')).join('_');
}

function fields(r: AlleleFrequencyRow | undefined): string[] {
  if (!r) return FIELDS.map(() => '.');
  return [String(r.ac), String(r.an), formatAf(r.af, r.an), String(r.nhomalt), formatFreq(r.faf95)];
}

/** The wide table, header first; `cells` are the query's stratum cells in schema order (proto strataCells). */
export function* afWideTsv(answer: Pick<AlleleFrequencyAnswer, 'rows' | 'groupMaxima'>, by: readonly string[], cells: readonly StratumCell[]): Generator<string> {
  const header = ['chrom', 'pos', 'ref', 'alt', ...FIELDS, ...cells.flatMap((c) => FIELDS.map((f) => `${f}_${cellSuffix(c.values)}`)), ...MAXIMA];
  yield `${header.join('\t')}\n`;
  // Rows come block after block: all-sample rows first (every strata value `all`), then each released cell.
  // The rows name the columns as the schema spells them (`by` may differ in case).
  const cols = answer.rows[0]?.strata ? Object.keys(answer.rows[0].strata) : by;
  const labelOf = (r: AlleleFrequencyRow): string => cols.map((b) => r.strata?.[b] ?? 'all').join(',');
  const all: AlleleFrequencyRow[] = [];
  const byCell = new Map<string, Map<string, AlleleFrequencyRow>>();
  const key = (r: { chrom: string; pos: number; ref: string; alt: string }): string => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`;
  for (const r of answer.rows) {
    if (cols.every((b) => (r.strata?.[b] ?? 'all') === 'all')) { all.push(r); continue; }
    const label = labelOf(r);
    let m = byCell.get(label);
    if (!m) byCell.set(label, (m = new Map()));
    m.set(key(r), r);
  }
  const maxima = new Map((answer.groupMaxima?.rows ?? []).map((m) => [key(m), m]));
  for (const r of all) {
    const k = key(r);
    const g = maxima.get(k);
    const top = g?.grpmax;
    const faf = g?.faf95_max;
    const line = [
      r.chrom, String(r.pos), r.ref, r.alt, ...fields(r),
      ...cells.flatMap((c) => fields(byCell.get(c.values.map(String).join(','))?.get(k))),
      top ? top.group : '.', top ? String(top.ac) : '.', top ? String(top.an) : '.', top ? formatFreq(top.af) : '.', top && top.nhomalt !== null ? String(top.nhomalt) : '.',
      faf ? formatFreq(faf.faf95) : '.', faf ? faf.group : '.',
    ];
    yield `${line.join('\t')}\n`;
  }
}
