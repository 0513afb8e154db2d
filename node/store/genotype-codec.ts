/**
 * Per-record genotype encoding of the store: the VCF reader's sparse list
 * (every sample that is not an implicit diploid 0/0) as two BLOBs.
 *
 * - `samples`: the listed samples' column indexes in the file, delta-coded
 *   LEB128 varints (increasing, so most deltas fit one byte: 2,504-sample
 *   1000G records list ~5-40% of samples, rare variants a handful).
 * - `gt`, format 0 (ploidy <= 2 and allele indexes <= 13, i.e. nearly every
 *   real record): one byte per listed sample, low nibble = first allele + 2,
 *   high nibble = second allele + 2, where code 1 = missing '.', 2 = REF,
 *   k+2 = ALT k, and 0 = absent (high 0: haploid; byte 0: no GT at all).
 * - `gt`, format 1 (anything else: polyploid, > 13 ALTs): per listed sample
 *   a varint ploidy followed by varints of allele + 1 (0 = missing).
 *
 * Chosen over a rows-per-carrier table by measurement (see README.md,
 * "Layout"): it ingests with one appender row per VCF record and aggregates
 * in one pass over bytes.
 */
import type { VcfVariant } from '../vcf/types.js';

export const GT_FORMAT_BYTE = 0;
export const GT_FORMAT_VARINT = 1;
export const GT_FORMAT_DENSE = 2;

/**
 * Dense form for common biallelic records: one nibble per sample of the file
 * (code = c1 | c2 << 2, c: 0 absent, 1 missing, 2 REF, 3 ALT), so a cohort
 * query reads only its members' nibbles instead of every carrier. Used when
 * more than 1 in DENSE_RATIO samples is listed: then the sparse form (~2
 * bytes per listed sample) is larger than the dense one (0.5 byte per
 * sample). On IL2RA (2,504 samples, MAF >= 5%) it cut the EUR cohort query
 * from ~100 ms to ~15 ms (measured, loaded machine).
 */
export const DENSE_RATIO = 4;
/** Nibble of an implicit 0/0: c1 = c2 = 2. */
const DENSE_HOM_REF = 2 | (2 << 2);

export interface EncodedGenotypes {
  readonly samples: Uint8Array;
  readonly gt: Uint8Array;
  readonly format: number;
  readonly listed: number;
}

/** Growable byte buffer reused across records (ingest encodes millions). */
export class ByteSink {
  buf: Uint8Array;
  len = 0;
  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }
  reset(): void {
    this.len = 0;
  }
  private grow(need: number): void {
    let n = this.buf.length * 2;
    while (n < this.len + need) n *= 2;
    const b = new Uint8Array(n);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(v: number): void {
    if (this.len + 1 > this.buf.length) this.grow(1);
    this.buf[this.len++] = v;
  }
  varint(v: number): void {
    if (this.len + 5 > this.buf.length) this.grow(5);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }
  /** A copy of the bytes written since reset. */
  take(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function encodeGenotypes(v: VcfVariant, nSamples: number, sampleSink: ByteSink, gtSink: ByteSink): EncodedGenotypes {
  sampleSink.reset();
  gtSink.reset();
  const { sample, offset, alleles } = v;
  const n = sample.length;
  if (v.alts.length === 1 && n * DENSE_RATIO > nSamples) {
    let ok = true;
    for (let k = 0; k < n && ok; k++) if (offset[k + 1]! - offset[k]! > 2) ok = false;
    if (ok) return encodeDense(v, nSamples);
  }
  let byteFormat = true;
  for (let k = 0; k < n && byteFormat; k++) {
    const p = offset[k + 1]! - offset[k]!;
    if (p > 2) byteFormat = false;
    for (let j = offset[k]!; j < offset[k + 1]!; j++) if (alleles[j]! > 13) byteFormat = false;
  }
  let prev = 0;
  for (let k = 0; k < n; k++) {
    const s = sample[k]!;
    sampleSink.varint(s - prev);
    prev = s;
    const o = offset[k]!;
    const p = offset[k + 1]! - o;
    if (byteFormat) {
      const a1 = p >= 1 ? alleles[o]! + 2 : 0;
      const a2 = p >= 2 ? alleles[o + 1]! + 2 : 0;
      gtSink.byte(a1 | (a2 << 4));
    } else {
      gtSink.varint(p);
      for (let j = o; j < o + p; j++) gtSink.varint(alleles[j]! + 1);
    }
  }
  return { samples: sampleSink.take(), gt: gtSink.take(), format: byteFormat ? GT_FORMAT_BYTE : GT_FORMAT_VARINT, listed: n };
}

function encodeDense(v: VcfVariant, nSamples: number): EncodedGenotypes {
  const gt = new Uint8Array((nSamples + 1) >> 1).fill(DENSE_HOM_REF | (DENSE_HOM_REF << 4));
  const { sample, offset, alleles } = v;
  const code = (a: number): number => (a < 0 ? 1 : a === 0 ? 2 : 3);
  for (let k = 0; k < sample.length; k++) {
    const o = offset[k]!;
    const p = offset[k + 1]! - o;
    const nib = p === 0 ? 0 : p === 1 ? code(alleles[o]!) : code(alleles[o]!) | (code(alleles[o + 1]!) << 2);
    const col = sample[k]!;
    const shift = (col & 1) * 4;
    gt[col >> 1] = (gt[col >> 1]! & ~(15 << shift)) | (nib << shift);
  }
  return { samples: new Uint8Array(0), gt, format: GT_FORMAT_DENSE, listed: sample.length };
}

/** Decode the sample-index BLOB into `out` (length >= listed); returns the count. */
export function decodeSamples(bytes: Uint8Array, out: Int32Array): number {
  let n = 0;
  let prev = 0;
  let i = 0;
  while (i < bytes.length) {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    prev += v;
    out[n++] = prev;
  }
  return n;
}

/**
 * Decode a format-1 BLOB into per-sample allele lists (offsets/alleles as in
 * VcfVariant; -1 = missing). Only polyploid or > 13-ALT records use it.
 */
export function decodeVarintGenotypes(bytes: Uint8Array, listed: number): { offset: Int32Array; alleles: Int16Array } {
  const offset = new Int32Array(listed + 1);
  const out: number[] = [];
  let i = 0;
  const read = (): number => {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  for (let k = 0; k < listed; k++) {
    const p = read();
    for (let j = 0; j < p; j++) out.push(read() - 1);
    offset[k + 1] = out.length;
  }
  return { offset, alleles: Int16Array.from(out) };
}
