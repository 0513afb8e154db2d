/**
 * Output formats of `genofed query`. TSV: header `chrom pos ref alt ac an
 * af nhomalt`, one row per ALT allele, no comment lines (stdout stays a
 * clean table for `sort`, `join`, pandas); the responding sites go to stderr.
 * AF is written with 6 significant digits, the precision bcftools prints
 * for its float AF (`%g`), and `.` when AN is 0 (VCF's missing value); the
 * JSON output keeps full double precision and `null`. Counts withheld by
 * disclosure control keep their column with the released bound (`<5`,
 * `>1995`); what was withheld and why goes to stderr (`disclosureLine`).
 */
import type { AlleleFrequencyAnswer, AlleleFrequencyRow, CohortCountAnswer, ReleasedCount, SiteOutcome } from '../federation/types.js';
import type { PhenotypeSchemaAnswer } from './api-client.js';

export const AF_TSV_HEADER = 'chrom\tpos\tref\talt\tac\tan\taf\tnhomalt';
/** With `--by`: gnomAD's faf95 follows (the plain header stays as it always was). */
export const AF_STRATA_TSV_HEADER = `${AF_TSV_HEADER}\tfaf95`;

/** 6 significant digits without exponent for the AF range (>= 1e-6 at 516k samples); trailing zeros dropped. */
export function formatAf(af: number | null, an: ReleasedCount): string {
  if (an === 0 || af === null) return '.';
  return String(Number(af.toPrecision(6)));
}

/** A frequency bound (faf95): 6 significant digits, `.` when missing. */
export function formatFreq(x: number | null | undefined): string {
  return x === null || x === undefined ? '.' : String(Number(x.toPrecision(6)));
}

export function afTsvLine(r: AlleleFrequencyRow): string {
  return `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}\t${r.ac}\t${r.an}\t${formatAf(r.af, r.an)}\t${r.nhomalt}`;
}

/**
 * The whole table, header first, each line ending in '\n'. With strata,
 * one column per stratification column comes first (`all` on the
 * all-sample rows) and gnomAD's `faf95` comes last.
 */
export function* afTsv(rows: Iterable<AlleleFrequencyRow>, by?: readonly string[], o: { exists?: boolean } = {}): Generator<string> {
  const t = afTsvRows(by, o);
  for (const r of rows) yield t.row(r);
  const end = t.end();
  if (end) yield end;
}

/** afTsv over rows as they arrive (the CLI's streamed answer). */
export async function* afTsvAsync(rows: AsyncIterable<AlleleFrequencyRow>, by?: readonly string[], o: { exists?: boolean } = {}): AsyncGenerator<string> {
  const t = afTsvRows(by, o);
  for await (const r of rows) yield t.row(r);
  const end = t.end();
  if (end) yield end;
}

/** The table's lines: `row` puts the header before the first row; `end` gives the header alone when there was none. */
export function afTsvRows(by: readonly string[] | undefined, o: { exists?: boolean }): { row: (r: AlleleFrequencyRow) => string; end: () => string } {
  const cols = by ?? [];
  // Over a researcher's list (--variants) a last column says whether any site holds the record.
  const tail = o.exists ? '\texists' : '';
  const header = (names: readonly string[]): string => (names.length ? `${names.join('\t')}\t${AF_STRATA_TSV_HEADER}${tail}\n` : `${AF_TSV_HEADER}${tail}\n`);
  const exists = (r: AlleleFrequencyRow): string => (o.exists ? `\t${r.exists === null || r.exists === undefined ? '.' : String(r.exists)}` : '');
  let first = true;
  return {
    row(r) {
      const line = r.strata ? `${Object.values(r.strata).join('\t')}\t${afTsvLine(r)}\t${formatFreq(r.faf95)}${exists(r)}\n` : `${afTsvLine(r)}${exists(r)}\n`;
      if (!first) return line;
      first = false;
      return header(r.strata ? Object.keys(r.strata) : cols) + line;
    },
    end: () => (first ? header(cols) : ''),
  };
}

/** `genofed query schema`: one block per column, then the grammar. */
export function* schemaText(s: PhenotypeSchemaAnswer): Generator<string> {
  yield `# consortium phenotype schema ${s.fingerprint}\n`;
  if (s.columns.length === 0) yield '(no columns: cohort expressions and strata are not available in this consortium)\n';
  for (const c of s.columns) {
    const what = c.values ? `values: ${c.values.join(', ')}` : c.bins ? `bins (compare with >= / < at an edge): ${c.bins.join(', ')}` : '';
    yield `${c.name}\t${c.type}\t${what}${c.description ? `\t${c.description}` : ''}\n`;
  }
  yield `# grammar\n${s.grammar}\n`;
}

/** One line for stderr: which sites are in the sum and which are not. */
export function sitesLine(sites: SiteOutcome): string {
  const missing = sites.missing.length ? `; missing: ${sites.missing.map((m) => `${m.site} (${m.reason})`).join(', ')}` : '';
  return `responding sites: ${sites.responding.join(',') || '(none)'}${missing}`;
}

/** One line for stderr: the disclosure rules that fired (rule, action, rows), the DP noise scale and the querier's remaining budget; '' when nothing to say. */
export function disclosureLine(a: Pick<AlleleFrequencyAnswer | CohortCountAnswer, 'disclosure' | 'noise' | 'remainingEpsilon'>): string {
  const parts: string[] = [];
  const d = a.disclosure;
  if (d && d.rules.length > 0) {
    parts.push(`disclosure control (k=${d.policy.k}, ${d.policy.smallCounts}): ${d.rules.map((r) => `${r.rule} ${r.action} in ${r.rows} row(s)`).join(', ')}`);
  }
  if (a.noise) parts.push(`DP noise on every count: Skellam mu=${a.noise.mu}, sd=${Number(a.noise.sd.toPrecision(4))}`);
  // Budgets are kept in micro-epsilons at the nodes: six decimals say all of it.
  if (typeof a.remainingEpsilon === 'number') parts.push(`privacy budget left: epsilon ${Number(a.remainingEpsilon.toFixed(6))} (the smallest over the sites)`);
  return parts.join('; ');
}
