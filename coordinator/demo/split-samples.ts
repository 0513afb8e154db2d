/**
 * Split a VCF's samples across N demo sites, as if each hospital had
 * sequenced a share of the cohort. Pure line-in/lines-out code (no I/O):
 * the caller streams lines in and writes each site's lines out.
 *
 * Samples go to sites in contiguous blocks of the sample order (not round
 * robin): 1000 Genomes lists samples by population, so blocks give sites
 * with different population mixes, like real hospitals; and a block
 * assignment keyed on the sample id keeps every file of a multi-file input
 * consistent (the same person lands at the same site in every file).
 */

/** site index of every sample id, in blocks over the ids in first-seen order. */
export function assignSamples(ids: readonly string[], sites: number): Map<string, number> {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError('sites must be a positive integer');
  const unique = [...new Set(ids)];
  const out = new Map<string, number>();
  unique.forEach((id, i) => out.set(id, Math.floor((i * sites) / unique.length)));
  return out;
}

/**
 * INFO keys that describe the whole input's genotypes (1000G: AC, AN, AF,
 * NS, EAS_AF...). They would be false for a share, so shares drop them; the
 * store computes its counts from GT anyway.
 */
const COHORT_INFO = /^(?:AC|AN|AF|NS|MAF|DP|[A-Z]{2,4}_AF)$/;

function stripCohortInfo(info: string): string {
  if (info === '.') return info;
  const kept = info.split(';').filter((kv) => !COHORT_INFO.test(kv.split('=', 1)[0]!));
  return kept.length ? kept.join(';') : '.';
}

export interface VcfSplitter {
  /** Which columns each site gets (indices into the #CHROM line's sample columns). */
  readonly columns: readonly (readonly number[])[];
  /**
   * Feed one line (without newline); returns, per site, the line to write or
   * null to write nothing (a dropped header line, an empty line, or a site
   * that has no sample in this file).
   */
  line(text: string, number: number): readonly (string | null)[];
}

/** Variant keys met while splitting (one per ALT allele), for the demo's checks. */
export interface SplitStats {
  records: number;
  alleles: number;
}

/**
 * Create a splitter for one VCF. `assignment` maps sample id -> site; a
 * sample not in the map (it should not happen) is an error naming its
 * column, never its id.
 */
export function createVcfSplitter(sites: number, assignment: ReadonlyMap<string, number>, stats: SplitStats, label: string): VcfSplitter {
  let columns: number[][] | null = null;
  const self: VcfSplitter = {
    get columns() {
      return columns ?? [];
    },
    line(text: string, number: number): (string | null)[] {
      if (text.startsWith('##')) {
        // The share's counts are not the input's: drop header lines of the INFO keys we strip.
        const m = /^##INFO=<ID=([^,>]+)/.exec(text);
        return Array<string | null>(sites).fill(m && COHORT_INFO.test(m[1]!) ? null : text);
      }
      const fields = text.split('\t');
      if (text.startsWith('#CHROM')) {
        columns = Array.from({ length: sites }, () => [] as number[]);
        for (let c = 9; c < fields.length; c++) {
          const site = assignment.get(fields[c]!);
          if (site === undefined) throw new RangeError(`${label} line ${number}: sample column ${c + 1} has no site`);
          columns[site]!.push(c);
        }
        return columns.map((cols) => (cols.length ? [...fields.slice(0, 9), ...cols.map((c) => fields[c]!)].join('\t') : null));
      }
      if (!columns) throw new RangeError(`${label} line ${number}: data line before the #CHROM header line`);
      if (text === '') return Array<string | null>(sites).fill(null);
      stats.records += 1;
      stats.alleles += fields[4] === '.' ? 0 : fields[4]!.split(',').length;
      const head = fields.slice(0, 9);
      if (head.length > 7) head[7] = stripCohortInfo(head[7]!);
      const fixed = head.join('\t');
      return columns.map((cols) => {
        if (!cols.length) return null;
        let s = fixed;
        for (const c of cols) s += `\t${fields[c] ?? '.'}`;
        return s;
      });
    },
  };
  return self;
}

/**
 * Split a phenotype table (TSV, first column the sample id) by the same
 * assignment; rows of samples that are in no VCF are left out (no site holds
 * them). Trailing empty header columns (the 1000G panel has two) are trimmed.
 */
export function splitPhenotypes(text: string, sites: number, assignment: ReadonlyMap<string, number>): string[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/\t+$/, '');
  const width = header.split('\t').length;
  const out = Array.from({ length: sites }, () => [header]);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split('\t').slice(0, width);
    const site = assignment.get(fields[0]!);
    if (site !== undefined) out[site]!.push(fields.join('\t'));
  }
  return out.map((l) => `${l.join('\n')}\n`);
}
