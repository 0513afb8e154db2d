/**
 * ALT dosages of listed variants for given samples (the eQTL kind's
 * genotypes): per (variant, sample) the number of copies of that ALT
 * allele, or -1 when the genotype is not called (any allele '.', no GT, or
 * the sample's file has no record of the variant). R's lm on such a
 * dosage drops the row; so does the eQTL kind. Other ALTs of a
 * multi-allelic record count as not this ALT (as `bcftools +dosage` and
 * PLINK's per-ALT dosage do). Never leaves the node.
 */
import { variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { GT_FORMAT_BYTE, GT_FORMAT_DENSE, decodeSamples, decodeVarintGenotypes } from './genotype-codec.js';
import type { StoredRecord } from './aggregate.js';
import type { QueryContext } from './record-scan.js';

export const MISSING_DOSAGE = -1;

/**
 * Dosage of ALT `alt` (1-based) for every column of the record's file into
 * `out` (length = the file's sample count): 0, 1, 2 (or more for polyploid),
 * -1 not called. Unlisted columns of the sparse forms are implicit 0/0.
 */
export function recordDosages(rec: StoredRecord, alt: number, out: Int8Array): void {
  if (rec.format === GT_FORMAT_DENSE) {
    // Dense is biallelic: nibble c1 | c2 << 2, c: 0 absent, 1 missing, 2 REF, 3 ALT.
    for (let col = 0; col < out.length; col++) {
      const nib = (rec.gt[col >> 1]! >> ((col & 1) << 2)) & 15;
      const c1 = nib & 3;
      const c2 = nib >> 2;
      out[col] = c1 === 1 || c2 === 1 || (c1 === 0 && c2 === 0) ? MISSING_DOSAGE : (c1 === 3 ? 1 : 0) + (c2 === 3 ? 1 : 0);
    }
    return;
  }
  out.fill(0);
  const cols = new Int32Array(rec.listed);
  decodeSamples(rec.samples, cols);
  const varint = rec.format === GT_FORMAT_BYTE ? null : decodeVarintGenotypes(rec.gt, rec.listed);
  const code = alt + 2;
  for (let k = 0; k < rec.listed; k++) {
    const col = cols[k]!;
    if (col >= out.length) continue;
    if (!varint) {
      // Low nibble first allele + 2, high nibble second: 0 absent, 1 missing, 2 REF, k+2 ALT k; byte 0: no GT.
      const g = rec.gt[k]!;
      const lo = g & 15;
      const hi = g >> 4;
      out[col] = g === 0 || lo === 1 || hi === 1 ? MISSING_DOSAGE : (lo === code ? 1 : 0) + (hi === code ? 1 : 0);
    } else {
      let d = 0;
      let called = varint.offset[k + 1]! > varint.offset[k]!;
      for (let j = varint.offset[k]!; j < varint.offset[k + 1]!; j++) {
        const a = varint.alleles[j]!;
        if (a < 0) called = false;
        else if (a === alt) d += 1;
      }
      out[col] = called ? Math.min(d, 127) : MISSING_DOSAGE;
    }
  }
}

/**
 * Dosages of `variants` (list order) for `samples` (sorted store indices):
 * variants x samples, row-major, -1 where not called.
 */
export async function variantDosages(ctx: QueryContext, variants: readonly VariantKey[], samples: Uint32Array): Promise<Int8Array> {
  const V = variants.length;
  const n = samples.length;
  const out = new Int8Array(V * n).fill(MISSING_DOSAGE);
  const column = new Map<number, number>();
  samples.forEach((s, i) => column.set(s, i));
  const row = new Map<string, number>();
  variants.forEach((k, i) => row.set(variantMatchKey(k), i));
  let scratch = new Int8Array(0);
  await ctx.records.scanKeyPositions(variants, 'genotypes', (contig, pos, ref, alts, rec) => {
    const cols = ctx.catalog.fileSamples.get(rec.fileId);
    if (!cols) return;
    const name = ctx.catalog.contigs[contig]?.name ?? '';
    alts.forEach((alt, a) => {
      const r = row.get(variantMatchKey({ chrom: name, pos, ref, alt }));
      if (r === undefined) return;
      if (scratch.length !== cols.length) scratch = new Int8Array(cols.length);
      recordDosages(rec, a + 1, scratch);
      for (let c = 0; c < cols.length; c++) {
        const i = column.get(cols[c]!);
        if (i !== undefined) out[r * n + i] = scratch[c]!;
      }
    });
  });
  return out;
}
