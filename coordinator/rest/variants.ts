/**
 * Request variants arrive as `{chrom,pos,ref,alt}` objects or as
 * `chrom-pos-ref-alt` strings (the gnomAD/Beacon spelling researchers paste).
 * The route schema has already checked the shape; this only converts.
 * Contig aliases (`chr22` vs `22`) are normalized by the engine and nodes,
 * which know each site's contig names.
 */
import type { VariantRef } from '../federation/types.js';
import { CoordinatorError } from '../errors.js';

export type VariantInput = VariantRef | string;

/** Split from the right: contig names may contain '-' (e.g. HLA-A*01:01), alleles and POS cannot. */
export function toVariantRef(v: VariantInput, index: number): VariantRef {
  if (typeof v !== 'string') return { chrom: v.chrom, pos: v.pos, ref: v.ref.toUpperCase(), alt: v.alt };
  const parts = v.split('-');
  if (parts.length < 4) throw new CoordinatorError('GENOFED_BAD_REQUEST', `variant ${index + 1}: expected chrom-pos-ref-alt`);
  const alt = parts.pop()!;
  const ref = parts.pop()!;
  const pos = Number(parts.pop());
  const chrom = parts.join('-');
  if (!Number.isSafeInteger(pos) || pos < 1 || chrom === '') {
    throw new CoordinatorError('GENOFED_BAD_REQUEST', `variant ${index + 1}: expected chrom-pos-ref-alt with a positive integer pos`);
  }
  return { chrom, pos, ref: ref.toUpperCase(), alt };
}

export function toVariantRefs(list: readonly VariantInput[] | undefined): VariantRef[] | undefined {
  return list?.map(toVariantRef);
}
