/**
 * The allele-frequency answer as a sites-only VCF (VCFv4.3, no samples):
 * `genofed query af --format vcf` and the REST download
 * (`Accept: text/vcf`). One record per ALT allele (a multi-allelic site
 * becomes one biallelic record per ALT, as after `bcftools norm -m-`; AN
 * is the site's), records sorted by position within each contig, contigs
 * in the order the answer first names them (what `bcftools index` needs).
 *
 * INFO: `AC AN AF nhomalt` network-wide (gnomAD's names; `bcftools
 * +fill-tags` AC, AN, AF and AC_Hom/2), then per stratum cell
 * `AC_<s> AN_<s> AF_<s> nhomalt_<s>` (fill-tags `-S` names its groups the
 * same way), `<s>` the cell's values joined by `_` with every character
 * but letters, digits, `_` and `.` made `_` (VCF 4.3 INFO keys; a second
 * cell spelled the same gets `_2`, ...; each `##INFO` line names its cell).
 * A value disclosure control withheld is `.`, the record carries the
 * `GENOFED_WITHHELD` flag and `GENOFED_BOUNDS` lists `FIELD:BOUND` as
 * released (`AC:<5`, `nhomalt_EUR:>495`); a cell the nodes withheld whole
 * reads `.` everywhere and is named in a `##genofed_stratum_withheld`
 * line; FILTER is `withheld` when the network AC or AN is withheld (its AF
 * is unknown), else PASS. `##genofed_query` and `##genofed_disclosure`
 * state the query (region or number of listed variants, cohort
 * expression, strata, query id, sites) and the policy (k, suppress/round,
 * DP noise scale). No sample id is in the file: the answer has none.
 */
import type { StratumCell } from '../../proto/query.js';
import type { AlleleFrequencyAnswer, AlleleFrequencyRow, ReleasedCount } from '../federation/types.js';
import { formatAf } from './format.js';

/** What the query asked, for the `##genofed_query` line (a count of listed variants, not the list). */
export interface VcfQuery {
  readonly region?: string;
  readonly variants?: number;
  readonly cohort?: string;
  readonly by?: readonly string[];
}

export interface VcfOptions {
  /** The stratum cells in schema order (proto strataCells), [] without strata. */
  readonly cells: readonly StratumCell[];
  readonly query: VcfQuery;
  /** For `##fileDate` (default now). */
  readonly date?: Date;
}

type Answer = Pick<AlleleFrequencyAnswer, 'queryId' | 'rows' | 'sites' | 'disclosure' | 'noise'>;

/** Why: INFO keys must match `[A-Za-z_][0-9A-Za-z_.]*` (VCF 4.3 1.6.1); one suffix per cell, unique. */
export function stratumSuffixes(cells: readonly StratumCell[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((c) => {
    const base = c.values.map(String).join('_').replace(/[^A-Za-z0-9_.]/g, '_');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/** A header value in double quotes, `\` and `"` escaped (VCF 4.3 1.4), line breaks made spaces. */
function quoted(s: string): string {
  return `"${s.replace(/[\r\n]+/g, ' ').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const count = (x: ReleasedCount): string => (typeof x === 'number' ? String(x) : '.');

function headerLines(answer: Answer, o: VcfOptions, contigs: readonly string[], suffixes: readonly string[], by: readonly string[], withheldCells: ReadonlySet<string>): string[] {
  const d = o.date ?? new Date();
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  const lines = ['##fileformat=VCFv4.3', `##fileDate=${date}`, '##source=genofed query af (network totals of BFV-encrypted site counts)'];
  for (const c of contigs) lines.push(`##contig=<ID=${c}>`);
  lines.push('##FILTER=<ID=PASS,Description="All filters passed">');
  lines.push('##FILTER=<ID=withheld,Description="The network AC or AN is withheld by disclosure control (a count in 1..k-1): AC, AN and AF read \'.\', GENOFED_BOUNDS gives the bound released instead">');
  const info = (id: string, number: string, type: string, what: string): void => { lines.push(`##INFO=<ID=${id},Number=${number},Type=${type},Description=${quoted(what)}>`); };
  const fields = (suffix: string, where: string): void => {
    info(`AC${suffix}`, 'A', 'Integer', `Alternate allele count in called genotypes${where}; '.' when withheld`);
    info(`AN${suffix}`, '1', 'Integer', `Total number of alleles in called genotypes${where}; '.' when withheld`);
    info(`AF${suffix}`, 'A', 'Float', `Alternate allele frequency AC/AN${where} (6 significant digits); '.' when AN is 0 or AC/AN is withheld`);
    info(`nhomalt${suffix}`, 'A', 'Integer', `Number of individuals homozygous for the alternate allele${where}; '.' when withheld`);
  };
  fields('', ' across the network');
  o.cells.forEach((c, i) => fields(`_${suffixes[i]}`, ` in ${by.map((b, j) => `${b}=${c.values[j]}`).join(', ')}`));
  info('GENOFED_WITHHELD', '0', 'Flag', "At least one value of this record is withheld by disclosure control and reads '.' (see GENOFED_BOUNDS and ##genofed_stratum_withheld)");
  info('GENOFED_BOUNDS', '.', 'String', 'Each withheld value as FIELD:BOUND, the bound disclosure control released instead (e.g. AC:<5, nhomalt_EUR:>495)');
  info('GENOFED_NOT_OBSERVED', '0', 'Flag', 'A listed variant no site holds: its AN 0 is not missing data');
  const q = o.query;
  lines.push(`##genofed_query=<ID=${answer.queryId}${q.region !== undefined ? `,Region=${quoted(q.region)}` : ''}${q.variants !== undefined ? `,Variants=${q.variants}` : ''}${q.cohort !== undefined ? `,Cohort=${quoted(q.cohort)}` : ''}${by.length ? `,Strata=${quoted(by.join(','))}` : ''},Sites=${quoted(answer.sites.responding.join(','))}>`);
  const p = answer.disclosure?.policy;
  const noise = answer.noise ? `,Noise="Skellam",NoiseMu=${answer.noise.mu},NoiseSd=${Number(answer.noise.sd.toPrecision(6))}` : ',Noise="none"';
  lines.push(`##genofed_disclosure=<K=${p?.k ?? '.'},SmallCounts=${p?.smallCounts ?? '.'},RoundTo=${p?.roundTo ?? '.'}${noise},Description=${quoted('Counts of 1..K-1 (and totals within K-1 of their maximum) are released as bounds (SmallCounts=suppress) or rounded to RoundTo (round); with DP every count carries Skellam noise of the given sd')}>`);
  for (const r of answer.disclosure?.rules ?? []) lines.push(`##genofed_disclosure_rule=<Rule=${r.rule},Action=${r.action},Rows=${r.rows},Description=${quoted(r.reason)}>`);
  o.cells.forEach((c, i) => { if (withheldCells.has(c.label)) lines.push(`##genofed_stratum_withheld=<Stratum=${suffixes[i]},Cell=${quoted(c.label)},Description=${quoted('fewer than k people network-wide: the nodes withheld the whole cell')}>`); });
  lines.push('#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO');
  return lines;
}

/** Why: the records must be sorted for `bcftools index`; an answer over a variant list comes in request order. */
function sortedSites(rows: readonly AlleleFrequencyRow[]): { contigs: string[]; rows: AlleleFrequencyRow[] } {
  const byContig = new Map<string, AlleleFrequencyRow[]>();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`;
    if (seen.has(key)) continue; // the same variant listed twice: one record
    seen.add(key);
    let list = byContig.get(r.chrom);
    if (!list) byContig.set(r.chrom, (list = []));
    list.push(r);
  }
  const out: AlleleFrequencyRow[] = [];
  for (const list of byContig.values()) out.push(...list.sort((a, b) => a.pos - b.pos));
  return { contigs: [...byContig.keys()], rows: out };
}

/** Why: the whole VCF, header first, each line ending in '\n' (needs the whole answer: a variant's cells arrive block after block). */
export function* afVcf(answer: Answer, o: VcfOptions): Generator<string> {
  const by = o.query.by ?? [];
  const cols = answer.rows[0]?.strata ? Object.keys(answer.rows[0].strata) : by;
  const isAll = (r: AlleleFrequencyRow): boolean => cols.every((b) => (r.strata?.[b] ?? 'all') === 'all');
  const key = (r: AlleleFrequencyRow): string => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`;
  const byCell = new Map<string, Map<string, AlleleFrequencyRow>>();
  const all: AlleleFrequencyRow[] = [];
  for (const r of answer.rows) {
    if (isAll(r)) { all.push(r); continue; }
    const label = cols.map((b) => r.strata?.[b] ?? 'all').join(',');
    let m = byCell.get(label);
    if (!m) byCell.set(label, (m = new Map()));
    m.set(key(r), r);
  }
  const withheldCells = new Set((answer.disclosure?.rules ?? []).filter((r) => r.rule === 'stratum-below-k').flatMap((r) => r.strata ?? []));
  const suffixes = stratumSuffixes(o.cells);
  const { contigs, rows } = sortedSites(all);
  yield `${headerLines(answer, o, contigs, suffixes, cols.length ? cols : by, withheldCells).join('\n')}\n`;
  let piece = '';
  for (const r of rows) {
    const bounds: string[] = [];
    let withheld = false;
    const fields = (suffix: string, x: AlleleFrequencyRow | undefined, cellWithheld: boolean): string => {
      if (!x) {
        withheld ||= cellWithheld;
        return `AC${suffix}=.;AN${suffix}=.;AF${suffix}=.;nhomalt${suffix}=.`;
      }
      for (const [name, v] of [['AC', x.ac], ['AN', x.an], ['nhomalt', x.nhomalt]] as const) {
        if (typeof v === 'string') { withheld = true; bounds.push(`${name}${suffix}:${v}`); }
      }
      return `AC${suffix}=${count(x.ac)};AN${suffix}=${count(x.an)};AF${suffix}=${typeof x.ac === 'number' && typeof x.an === 'number' ? formatAf(x.af, x.an) : '.'};nhomalt${suffix}=${count(x.nhomalt)}`;
    };
    const k = key(r);
    const info = [fields('', r, false), ...o.cells.map((c, i) => fields(`_${suffixes[i]}`, byCell.get(c.values.map(String).join(','))?.get(k), withheldCells.has(c.label)))];
    if (withheld) info.push('GENOFED_WITHHELD');
    if (bounds.length) info.push(`GENOFED_BOUNDS=${bounds.join(',')}`);
    if (r.exists === false) info.push('GENOFED_NOT_OBSERVED');
    const filter = typeof r.ac === 'number' && typeof r.an === 'number' ? 'PASS' : 'withheld';
    piece += `${r.chrom}\t${r.pos}\t.\t${r.ref}\t${r.alt}\t.\t${filter}\t${info.join(';')}\n`;
    if (piece.length >= 1 << 16) { yield piece; piece = ''; }
  }
  if (piece) yield piece;
}
