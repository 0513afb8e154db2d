/** Types shared by the alignment modules and their public API. */
import type { SanitizeReport } from './sanitize-records.js';
/** Input/output format: SAM text (plain or compressed) or BAM. */
export type AlignmentFormat = 'sam' | 'bam';
/** strict also drops OQ/OA/OC/OP/XA/SA/PG tags and every @PG line. */
export type AlignmentMode = 'default' | 'strict';

/** Counts only: never an id, a name or a path (it is printed and saved as --report). */
export interface AlignmentReport {
  format: AlignmentFormat;
  mode: AlignmentMode;
  keyId: string;
  keyVersion: number;
  recordsIn: number;
  recordsOut: number;
  /** Records left out by --regions. */
  recordsOutsideRegions: number;
  /** Distinct read-group ids rewritten (header @RG plus RG:Z values not declared in the header). */
  readGroupsRewritten: number;
  /** RG:Z values that no @RG line declares (still rewritten with the same function). */
  undeclaredReadGroups: number;
  readNamesRewritten: number;
  /** Aux tags dropped from records, by tag name. */
  tagsDropped: Record<string, number>;
  /** Whole header lines dropped, by type (CO, PG, ...). */
  headerLinesDropped: Record<string, number>;
  /** Fields dropped from kept header lines ('RG.PU', 'PG.CL', '@SQ.UR' ...). */
  headerFieldsDropped: Record<string, number>;
  /** --sanitize only: records kept/dropped and bases reverted, counts only. */
  sanitize?: SanitizeReport;
}
