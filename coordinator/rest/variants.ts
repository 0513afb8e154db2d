/**
 * Request variants arrive as `{chrom,pos,ref,alt}` objects or as
 * `chrom-pos-ref-alt` strings (the gnomAD/Beacon spelling researchers
 * paste). Both go through the one shared parser (proto/variant.ts), so the
 * REST API accepts exactly what a variants file accepts. Contig aliases
 * (`chr22` vs `22`) are matched by the nodes, which know their contigs.
 */
import type { VariantItemRef, VariantRef } from '../federation/types.js';
import { isRsId, parseRsId, parseVariantKey } from '../../proto/variant.js';

export type VariantInput = VariantRef | string;

/** Errors are ProtoError GENOFED_BAD_VARIANT (400) naming the field and item, never the value. */
export function toVariantRef(v: VariantInput, index: number, field: string): VariantRef {
  const where = `${field} item ${index + 1}`;
  if (typeof v === 'string') return parseVariantKey(v, where);
  return parseVariantKey(`${v.chrom}\t${v.pos}\t${v.ref}\t${v.alt}`, where);
}

export function toVariantRefs(list: readonly VariantInput[] | undefined, field: string): VariantRef[] | undefined {
  return list?.map((v, i) => toVariantRef(v, i, field));
}

/** The same, where an item may also be a dbSNP rs id (`rs1234`). */
export function toVariantItems(list: readonly VariantInput[] | undefined, field: string): VariantItemRef[] | undefined {
  return list?.map((v, i) => (typeof v === 'string' && isRsId(v) ? { rsId: parseRsId(v, `${field} item ${i + 1}`) } : toVariantRef(v, i, field)));
}
