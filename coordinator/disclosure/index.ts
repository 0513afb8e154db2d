/**
 * The public surface of coordinator/disclosure/ (see README.md): disclosure
 * control applied to decrypted network totals before they leave the
 * coordinator.
 */

// The consortium policy (k, suppress or round), validated once.
export { disclosurePolicy, DEFAULT_DISCLOSURE_POLICY, suppressedBelow, roundToMultiple, type DisclosurePolicy, type DisclosurePolicyLiteral, type SmallCountAction, type Suppressed } from './policy.js';
// The rules, over cohort counts and AF rows, with the per-answer annotation.
export {
  applyCohortThreshold, withStrataWithheld,
  applyAlleleFrequencyPolicy, AlleleCountRelease,
  type AlleleCountRow,
  type CohortRelease,
  type DisclosureNote,
  type DisclosureRule,
  type DisclosureRuleCount,
  type ReleasedAlleleRow,
  type ReleasedCount,
} from './small-counts.js';
