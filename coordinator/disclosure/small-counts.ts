/**
 * Disclosure control on decrypted network totals (pure functions, no I/O):
 * cohorts under k are not released, small allele counts are withheld as
 * "<k" or rounded, AF never carries what its AC withholds, and every answer
 * states which rules fired on how many rows (never a value).
 *
 * Applied after decryption and after any DP noise (post-processing: it
 * cannot weaken the noise's guarantee), so values may arrive negative or
 * inconsistent (AC > AN): they are clamped first and the clamp is reported.
 */
import { roundToMultiple, suppressedBelow, type DisclosurePolicy, DEFAULT_DISCLOSURE_POLICY } from './policy.js';

/** Why: stable names a client can switch on; the reason text is fixed per rule and carries no value. */
export type DisclosureRule = 'cohort-below-k' | 'stratum-below-k' | 'ac-below-k' | 'ref-count-below-k' | 'nhomalt-below-k' | 'non-homalt-below-k' | 'noise-clamped';

const REASONS: Readonly<Record<DisclosureRule, string>> = {
  'cohort-below-k': 'fewer than k individuals (AN < 2k, or a cohort count < k): the row or count is not released',
  'stratum-below-k': 'a stratum with 1..k-1 individuals network-wide, or one withheld with such strata (smallest first) so that the all-sample rows minus the released strata cover 0 or at least k individuals (decided by the nodes, which sent zeros for it): its rows are not released',
  'ac-below-k': 'fewer than k alternate alleles (AC in 1..k-1): AC and AF withheld or rounded',
  'ref-count-below-k': 'fewer than k reference alleles (AN-AC in 1..k-1): AC and AF withheld or rounded, since AN-AC would reveal them',
  'nhomalt-below-k': 'fewer than k homozygous-alternate individuals: nhomalt withheld or rounded',
  'non-homalt-below-k': 'fewer than k individuals not homozygous-alternate (AN/2 - nhomalt in 1..k-1): nhomalt withheld or rounded',
  'noise-clamped': 'a noisy total was outside its possible range (negative, AC > AN, nhomalt > AC/2) and was clamped',
};

export interface DisclosureRuleCount {
  readonly rule: DisclosureRule;
  readonly action: 'suppressed' | 'rounded' | 'clamped';
  /** Rows (or counts) the rule changed. */
  readonly rows: number;
  readonly reason: string;
  /** stratum-below-k: the strata withheld (labels such as `EUR,female`). */
  readonly strata?: readonly string[];
}

/** Why: every answer says what was withheld and why (the "every answer states what was suppressed"). */
export interface DisclosureNote {
  readonly policy: DisclosurePolicy;
  /** Rows with at least one value withheld, rounded or clamped. */
  readonly rowsAffected: number;
  readonly rules: readonly DisclosureRuleCount[];
}

/** A released count: the number, or a bound such as "<5" / ">1995" when withheld. */
export type ReleasedCount = number | string;

export interface CohortRelease {
  readonly count: ReleasedCount;
  readonly disclosure: DisclosureNote;
}

/** Why: `cohort-count` answers: cohorts smaller than k (0 included) are not released. */
export function applyCohortThreshold(count: number, policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY): CohortRelease {
  const tally = new Tally(policy);
  let c = Math.round(count);
  if (c < 0) {
    c = 0;
    tally.hit('noise-clamped', 'clamped');
  }
  const released: ReleasedCount = c < policy.k ? suppressedBelow(policy.k) : c;
  if (c < policy.k) tally.hit('cohort-below-k', 'suppressed');
  return { count: released, disclosure: tally.note(tally.rowTouched() ? 1 : 0) };
}

/** The counts an AF row carries (network totals, possibly noisy). */
export interface AlleleCountRow {
  readonly ac: number;
  readonly an: number;
  readonly nhomalt: number;
  readonly af?: number | null;
}

export type ReleasedAlleleRow<R extends AlleleCountRow> = Omit<R, 'ac' | 'an' | 'nhomalt' | 'af'> & {
  readonly ac: ReleasedCount;
  readonly an: ReleasedCount;
  readonly nhomalt: ReleasedCount;
  /** ac / an from the released values; null when AC is withheld or AN is 0 or withheld. */
  readonly af: number | null;
};

/** The released values of one row (ReleasedAlleleCounts.release fills it; read before the next call). */
export interface ReleasedCounts {
  ac: ReleasedCount;
  an: ReleasedCount;
  nhomalt: ReleasedCount;
  af: number | null;
}

/**
 * The allele-frequency rules one row at a time, without building a row
 * object (a 1M-row answer is released piece by piece): `release` returns
 * the released values in a reused object; `note` tallies the rows seen.
 */
export class AlleleCountRelease {
  private readonly tally: Tally;
  private readonly out: ReleasedCounts = { ac: 0, an: 0, nhomalt: 0, af: null };
  private affected = 0;

  constructor(private readonly policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY) {
    this.tally = new Tally(policy);
  }

  release(rawAc: number, rawAn: number, rawNhomalt: number): Readonly<ReleasedCounts> {
    const tally = this.tally;
    const { k } = this.policy;
    const round = this.policy.smallCounts === 'round';
    tally.startRow();
    // Clamp noisy totals into the possible range (post-processing).
    const an = Math.max(0, Math.round(rawAn));
    const ac = Math.min(Math.max(0, Math.round(rawAc)), an);
    const nhomalt = Math.min(Math.max(0, Math.round(rawNhomalt)), Math.floor(ac / 2));
    if (an !== rawAn || ac !== rawAc || nhomalt !== rawNhomalt) tally.hit('noise-clamped', 'clamped');
    let relAc: ReleasedCount = ac;
    let relAn: ReleasedCount = an;
    let relHom: ReleasedCount = nhomalt;
    let af: number | null = an > 0 ? ac / an : null;

    if (an > 0 && an < 2 * k) {
      // Fewer than k called (diploid) individuals: nothing of the row is released.
      tally.hit('cohort-below-k', 'suppressed');
      relAn = suppressedBelow(2 * k);
      relAc = suppressedBelow(2 * k);
      relHom = suppressedBelow(k);
      af = null;
    } else {
      const ref = an - ac;
      if (ac >= 1 && ac < k) {
        tally.hit('ac-below-k', round ? 'rounded' : 'suppressed');
        relAc = round ? roundToMultiple(ac, this.policy.roundTo) : suppressedBelow(k);
      } else if (ref >= 1 && ref < k) {
        tally.hit('ref-count-below-k', round ? 'rounded' : 'suppressed');
        relAc = round ? an - roundToMultiple(ref, this.policy.roundTo) : `>${an - k}`;
      }
      if (relAc !== ac) af = typeof relAc === 'number' && an > 0 ? relAc / an : null;
      const people = Math.floor(an / 2);
      const nonHom = people - nhomalt;
      if (nhomalt >= 1 && nhomalt < k) {
        tally.hit('nhomalt-below-k', round ? 'rounded' : 'suppressed');
        relHom = round ? roundToMultiple(nhomalt, this.policy.roundTo) : suppressedBelow(k);
      } else if (nonHom >= 1 && nonHom < k) {
        tally.hit('non-homalt-below-k', round ? 'rounded' : 'suppressed');
        relHom = round ? people - roundToMultiple(nonHom, this.policy.roundTo) : `>${people - k}`;
      }
    }
    if (tally.rowTouched()) this.affected++;
    const out = this.out;
    out.ac = relAc;
    out.an = relAn;
    out.nhomalt = relHom;
    out.af = af;
    return out;
  }

  /** What the rules did to the rows released so far. */
  note(): DisclosureNote {
    return this.tally.note(this.affected);
  }
}

/** Why: `allele-frequency` answers: rows keep their other fields (chrom, pos, ref, alt) untouched. */
export function applyAlleleFrequencyPolicy<R extends AlleleCountRow>(
  rows: readonly R[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): { rows: ReleasedAlleleRow<R>[]; disclosure: DisclosureNote } {
  const rel = new AlleleCountRelease(policy);
  const out = rows.map((row): ReleasedAlleleRow<R> => {
    const v = rel.release(row.ac, row.an, row.nhomalt);
    const { ac: _ac, an: _an, nhomalt: _hom, af: _af, ...rest } = row;
    return { ...rest, ac: v.ac, an: v.an, nhomalt: v.nhomalt, af: v.af } as ReleasedAlleleRow<R>;
  });
  return { rows: out, disclosure: rel.note() };
}

class Tally {
  private readonly counts = new Map<DisclosureRule, { action: DisclosureRuleCount['action']; rows: number }>();
  private touched = false;
  constructor(private readonly policy: DisclosurePolicy) {}
  startRow(): void {
    this.touched = false;
  }
  rowTouched(): boolean {
    return this.touched;
  }
  hit(rule: DisclosureRule, action: DisclosureRuleCount['action']): void {
    this.touched = true;
    const c = this.counts.get(rule);
    if (c) c.rows++;
    else this.counts.set(rule, { action, rows: 1 });
  }
  note(rowsAffected: number): DisclosureNote {
    const rules = [...this.counts].map(([rule, { action, rows }]) => ({ rule, action, rows, reason: REASONS[rule] }));
    return { policy: this.policy, rowsAffected, rules };
  }
}

/**
 * Add the strata the nodes withheld (network size 1..k-1) to a note: their
 * rows are absent from the answer, and the note says which and why.
 */
export function withStrataWithheld(note: DisclosureNote, strata: readonly string[], rows: number): DisclosureNote {
  if (strata.length === 0) return note;
  return {
    ...note,
    rowsAffected: note.rowsAffected + rows,
    rules: [{ rule: 'stratum-below-k', action: 'suppressed', rows, reason: REASONS['stratum-below-k'], strata: [...strata] }, ...note.rules],
  };
}
