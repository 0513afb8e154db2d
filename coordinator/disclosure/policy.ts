/**
 * The consortium's disclosure-control policy for network totals, validated
 * once (config load) into a frozen object.
 */
import { CoordinatorError } from '../errors.js';

/** Why: small counts identify people; how to release them is a consortium decision. */
export type SmallCountAction = 'suppress' | 'round';

export interface DisclosurePolicyLiteral {
  /** Counts in 1..k-1 are small; cohorts under k are not released. Default 5 (the default; DataSHIELD's nfilter.tab is 3, i2b2/SHRINE-style obfuscation uses 3-10). */
  readonly k?: number;
  /** Default 'suppress' (released as "<k"). */
  readonly smallCounts?: SmallCountAction;
  /** With 'round': the multiple to round small counts to. Default k. */
  readonly roundTo?: number;
}

export interface DisclosurePolicy {
  readonly k: number;
  readonly smallCounts: SmallCountAction;
  readonly roundTo: number;
}

/** Why: a bad policy must stop the coordinator at start-up, naming the field, not release something at query time. */
export function disclosurePolicy(literal: DisclosurePolicyLiteral = {}): DisclosurePolicy {
  const k = literal.k ?? 5;
  if (!Number.isSafeInteger(k) || k < 1 || k > 1000) throw new CoordinatorError('GENOFED_CONFIG', 'disclosure.k must be an integer from 1 (no threshold) to 1000');
  const smallCounts = literal.smallCounts ?? 'suppress';
  if (smallCounts !== 'suppress' && smallCounts !== 'round') throw new CoordinatorError('GENOFED_CONFIG', "disclosure.smallCounts must be 'suppress' or 'round'");
  const roundTo = literal.roundTo ?? k;
  if (!Number.isSafeInteger(roundTo) || roundTo < 1 || roundTo > 1000) throw new CoordinatorError('GENOFED_CONFIG', 'disclosure.roundTo must be an integer from 1 to 1000');
  return Object.freeze({ k, smallCounts, roundTo });
}

/** Why: the default every answer gets when the consortium configures nothing. */
export const DEFAULT_DISCLOSURE_POLICY: DisclosurePolicy = disclosurePolicy();

/** A withheld count, as released: the string "<k". */
export type Suppressed = `<${number}`;

/** Why: one spelling of "<k" everywhere (REST schemas declare `number | string`). */
export function suppressedBelow(k: number): Suppressed {
  return `<${k}`;
}

/** Nearest multiple of `to`, ties away from zero (1, 2 -> 0 and 3, 4 -> 5 with to = 5). */
export function roundToMultiple(value: number, to: number): number {
  return Math.floor(value / to + 0.5) * to;
}
