/**
 * The shapes this module needs from the pseudonymization core
 * (`node/pseudonymize/{site-key,reid-map,checks,bed}.ts`), written
 * structurally so that the alignment code type-checks against the contract
 * and accepts the core's objects without a cast.
 */

/** A site key (`site-key.ts`): the secret never leaves this process. */
export interface SiteKeyLike {
  readonly keyId: string;
  readonly version: number;
  readonly secret: Uint8Array;
}

/** The re-identification map collector (`reid-map.ts`). */
export interface MapCollectorLike {
  add(idType: string, original: string, pseudonym: string): void;
}

/** One verification check (`checks.ts`). */
export interface CheckResultLike {
  name: string;
  ok: boolean;
  detail?: string;
}

/** BED regions (`bed.ts`); 0-based half-open coordinates like BED itself. */
export interface BedRegionsLike {
  overlaps(chrom: string, start: number, end: number): boolean;
}
