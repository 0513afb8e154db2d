/**
 * SAM/BAM pseudonymization, verification and scan rendering (issue 5, part B).
 * The CLI (`genofed pseudonymize|verify sam|bam`, `genofed scan`) calls these.
 */
import type { BedRegionsLike, CheckResultLike, MapCollectorLike, SiteKeyLike } from './contracts.js';

export type AlignmentFormat = 'sam' | 'bam';
export type AlignmentMode = 'default' | 'strict';

export interface PseudonymizeAlignmentOptions {
  format: AlignmentFormat;
  input: string;
  output: string;
  key: SiteKeyLike;
  mode: AlignmentMode;
  regions?: BedRegionsLike;
  map?: MapCollectorLike;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** Counts only: never an id, a name or a path. */
export interface AlignmentReport {
  format: AlignmentFormat;
  mode: AlignmentMode;
  keyId: string;
  keyVersion: number;
  recordsIn: number;
  recordsOut: number;
  readGroupsRewritten: number;
  tagsDropped: Record<string, number>;
  headerLinesDropped: Record<string, number>;
}

/** Pseudonymize a SAM or BAM file (stub until implemented). */
export async function pseudonymizeAlignment(_options: PseudonymizeAlignmentOptions): Promise<AlignmentReport> {
  throw new Error('pseudonymizeAlignment: not implemented yet');
}

export interface VerifyAlignmentOptions {
  format: AlignmentFormat;
  original: string;
  pseudonymized: string;
  key?: SiteKeyLike;
  mode?: AlignmentMode;
}

/** Verify a pseudonymized SAM/BAM against its original (stub until implemented). */
export async function verifyAlignment(_options: VerifyAlignmentOptions): Promise<CheckResultLike[]> {
  throw new Error('verifyAlignment: not implemented yet');
}

/** Header lines and records as SAM text, for `genofed scan` (stub until implemented). */
export async function* alignmentScanText(_path: string): AsyncGenerator<{ text: string; where: string }> {
  throw new Error('alignmentScanText: not implemented yet');
}
