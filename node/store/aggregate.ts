/**
 * Allele and genotype counts of one stored VCF record over a sample subset
 * (a cohort) split into strata, from the record's encoded genotypes (see
 * genotype-codec.ts). Samples not listed in the record are implicit diploid
 * 0/0: they add 2 to AN and 1 to homRef, which is why AN starts from twice
 * the number of the file's samples in the stratum.
 *
 * Semantics match `bcftools +fill-tags -- -t AC,AN,AC_Hom` (README.md):
 * AN counts called alleles, `0/.` counts 1; nhomalt needs ploidy >= 2.
 */
import { denseHistogram, planOf, sparseByteHistogram } from './cohort-histograms.js';
import { decodeVarintGenotypes, GT_FORMAT_BYTE, GT_FORMAT_DENSE } from './genotype-codec.js';

export interface StoredRecord {
  readonly fileId: number;
  readonly nAlts: number;
  readonly format: number;
  readonly samples: Uint8Array;
  readonly gt: Uint8Array;
  readonly listed: number;
  /**
   * The all-sample counts stored at ingest (encodeTotals), when the scan read them instead of genotypes.
   * Every StoredRecord is built with these seven properties in this order (one object shape for the counting code).
   */
  readonly totals?: Uint8Array | undefined;
}

/** Counts of one record for every stratum; index with `s * (nAlts + 1) + alt`. */
export interface RecordCounts {
  readonly nStrata: number;
  readonly nAlts: number;
  /** Per stratum. */
  readonly an: Int32Array;
  readonly homRef: Int32Array;
  readonly missing: Int32Array;
  /** Per stratum x allele (index 0 unused). */
  readonly ac: Int32Array;
  readonly het: Int32Array;
  readonly homAlt: Int32Array;
  readonly nhomalt: Int32Array;
}

/**
 * `stratumOf[col]`: the stratum of the file's column `col`, or -1 when the
 * sample is outside the cohort. `inFile[s]`: how many of the file's samples
 * are in stratum s.
 */
export interface FileCohort {
  /** Column -> stratum, -1 outside the cohort. */
  readonly stratumOf: Int32Array;
  /** Samples of the file per stratum. */
  readonly inFile: Int32Array;
  /** The file's columns in the cohort, and their strata (for dense records). */
  readonly members: Int32Array;
  readonly memberStratum: Int32Array;
}

/** What one dense nibble adds: [an, acAlt, class] with class 0 homRef, 1 het, 2 homAlt(diploid), 3 homAlt(haploid), 4 missing. */
const NIBBLE: readonly (readonly [number, number, number])[] = Array.from({ length: 16 }, (_, nib) => {
  const c1 = nib & 3;
  const c2 = nib >> 2;
  if (c1 === 0) return [0, 0, 4];
  if (c2 === 0) return c1 === 1 ? [0, 0, 4] : c1 === 2 ? [1, 0, 0] : [1, 1, 3];
  if (c1 === 1 || c2 === 1) return [(c1 > 1 ? 1 : 0) + (c2 > 1 ? 1 : 0), (c1 === 3 ? 1 : 0) + (c2 === 3 ? 1 : 0), 4];
  if (c1 === 2 && c2 === 2) return [2, 0, 0];
  if (c1 === 3 && c2 === 3) return [2, 2, 2];
  return [2, 1, 1];
});
// The same as flat tables: destructuring a tuple per nibble goes through the iterator protocol until the JIT has optimized
// the code, which a cold query (the first after open) runs before it has.
const NIB_AN = Int8Array.from(NIBBLE, (x) => x[0]);
const NIB_AC = Int8Array.from(NIBBLE, (x) => x[1]);
const NIB_CLS = Int8Array.from(NIBBLE, (x) => x[2]);

/** Scratch layouts: the count arrays of a dense record, a sparse one, decoded totals. */
const DENSE = 0;
const SPARSE = 1;
const TOTALS = 2;

function layoutSizes(kind: number, S: number, A1: number): number[] {
  if (kind === DENSE) return [S * 16, S, S, S, S * 2, S * 2, S * 2, S * 2]; // hist an homRef missing ac het homAlt nhomalt
  if (kind === SPARSE) return [S, S, S, S, S * A1, S * A1, S * A1, S * A1]; // an homRef missing listedIn ac het homAlt nhomalt
  return [1, 1, 1, A1, A1, A1, A1]; // an homRef missing ac het homAlt nhomalt
}

/**
 * Reused, zeroed count arrays: a query consumes one record's counts before
 * the next record, and allocating 8 arrays per record was ~25% of a cohort
 * query's time (GC, measured on IL2RA).
 */
class Scratch {
  private buf = new Int32Array(1024);
  /** The views of each layout over `buf`, made once: 8 subarrays per record were 1.5 s of a 1M-record cohort query, plus their GC. */
  private readonly layouts = new Map<number, { arrays: Int32Array[]; total: number }>();

  /**
   * Zeroed arrays of a layout (kind, strata S, alleles A1 = ALTs + 1; see
   * layoutSizes), as views into the shared buffer; the views of a layout
   * are reused while the buffer is. Keyed by a number: a key string and a
   * sizes closure per record cost in a cold query.
   */
  take(kind: number, S: number, A1: number): Int32Array[] {
    const key = kind + 4 * (A1 + 65536 * S);
    let l = this.layouts.get(key);
    if (!l) {
      const list = layoutSizes(kind, S, A1);
      const total = list.reduce((a, b) => a + b, 0);
      if (this.buf.length < total) {
        // A larger buffer: every layout's views are rebuilt over it.
        this.buf = new Int32Array(Math.max(total, this.buf.length * 2));
        this.layouts.clear();
      }
      const arrays: Int32Array[] = [];
      let o = 0;
      for (const n of list) { arrays.push(this.buf.subarray(o, o + n)); o += n; }
      l = { arrays, total };
      this.layouts.set(key, l);
    }
    this.buf.fill(0, 0, l.total);
    return l.arrays;
  }
}
const scratch = new Scratch();
/** sparseByteHistogram's output (not in `scratch`, whose layouts share one buffer). */
const byteValues = new Int32Array(256);
const byteCounts = new Int32Array(256);
const byteListed = new Int32Array(1);

/** Counts are views into a shared buffer: valid until the next countRecord call. */
function countDense(rec: StoredRecord, cohort: FileCohort, S: number): RecordCounts {
  const t = scratch.take(DENSE, S, 2);
  const hist = t[0]!, an = t[1]!, homRef = t[2]!, missing = t[3]!, ac = t[4]!, het = t[5]!, homAlt = t[6]!, nhomalt = t[7]!;
  const { members, memberStratum } = cohort;
  const gt = rec.gt;
  if (S === 1) {
    // One stratum (a cohort without strata): no stratum lookup per member, two members per byte.
    denseHistogram(gt, planOf(cohort), hist);
  } else {
    for (let m = 0; m < members.length; m++) {
      const col = members[m]!;
      hist[memberStratum[m]! * 16 + ((gt[col >> 1]! >> ((col & 1) << 2)) & 15)]!++;
    }
  }
  for (let s = 0; s < S; s++) {
    for (let nib = 0; nib < 16; nib++) {
      const c = hist[s * 16 + nib]!;
      if (c === 0) continue;
      const cls = NIB_CLS[nib]!;
      an[s]! += NIB_AN[nib]! * c;
      ac[s * 2 + 1]! += NIB_AC[nib]! * c;
      if (cls === 0) homRef[s]! += c;
      else if (cls === 1) het[s * 2 + 1]! += c;
      else if (cls === 2) { homAlt[s * 2 + 1]! += c; nhomalt[s * 2 + 1]! += c; }
      else if (cls === 3) homAlt[s * 2 + 1]! += c;
      else missing[s]! += c;
    }
  }
  return { nStrata: S, nAlts: 1, an, homRef, missing, ac, het, homAlt, nhomalt };
}

export function countRecord(rec: StoredRecord, cohort: FileCohort): RecordCounts {
  const { stratumOf, inFile } = cohort;
  const S = inFile.length;
  if (rec.format === GT_FORMAT_DENSE) return countDense(rec, cohort, S);
  const A1 = rec.nAlts + 1;
  // listedIn: listed samples per stratum; the rest of inFile are implicit 0/0.
  const t = scratch.take(SPARSE, S, A1);
  const an = t[0]!, homRef = t[1]!, missing = t[2]!, listedIn = t[3]!, ac = t[4]!, het = t[5]!, homAlt = t[6]!, nhomalt = t[7]!;

  const sb = rec.samples;
  const gt = rec.gt;
  let i = 0;
  let col = 0;
  if (rec.format === GT_FORMAT_BYTE && S === 1) {
    // One stratum: each distinct genotype byte of the listed members is classified once.
    const n = sparseByteHistogram(sb, gt, rec.listed, planOf(cohort), byteValues, byteCounts, byteListed);
    listedIn[0] = byteListed[0]!;
    for (let k = 0; k < n; k++) addByteGenotype(byteValues[k]!, byteCounts[k]!, 0, 0, an, homRef, missing, ac, het, homAlt, nhomalt);
  } else if (rec.format === GT_FORMAT_BYTE) {
    for (let k = 0; k < rec.listed; k++) {
      let v = 0;
      let shift = 0;
      let b: number;
      do {
        b = sb[i++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      col += v;
      const s = stratumOf[col]!;
      if (s < 0) continue;
      listedIn[s]!++;
      addByteGenotype(gt[k]!, 1, s, s * A1, an, homRef, missing, ac, het, homAlt, nhomalt);
    }
  } else {
    const { offset, alleles } = decodeVarintGenotypes(gt, rec.listed);
    for (let k = 0; k < rec.listed; k++) {
      let v = 0;
      let shift = 0;
      let b: number;
      do {
        b = sb[i++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      col += v;
      const s = stratumOf[col]!;
      if (s < 0) continue;
      listedIn[s]!++;
      const base = s * A1;
      const o = offset[k]!;
      const p = offset[k + 1]! - o;
      let called = 0;
      let first = -2;
      let allSame = true;
      for (let j = o; j < o + p; j++) {
        const a = alleles[j]!;
        if (a < 0) continue;
        called++;
        if (a > 0) ac[base + a]!++;
        if (first === -2) first = a;
        else if (a !== first) allSame = false;
      }
      an[s]! += called;
      if (p === 0 || called < p) { missing[s]!++; continue; }
      if (allSame) {
        if (first === 0) homRef[s]!++;
        else { homAlt[base + first]!++; if (p >= 2) nhomalt[base + first]!++; }
      } else {
        const seen = new Set<number>();
        for (let j = o; j < o + p; j++) { const a = alleles[j]!; if (a > 0 && !seen.has(a)) { seen.add(a); het[base + a]!++; } }
      }
    }
  }
  for (let s = 0; s < S; s++) {
    const implicit = inFile[s]! - listedIn[s]!;
    an[s]! += 2 * implicit;
    homRef[s]! += implicit;
  }
  return { nStrata: S, nAlts: rec.nAlts, an, homRef, missing, ac, het, homAlt, nhomalt };
}

/**
 * Add `c` samples of stratum `s` (its alleles from `base` = s x A1) with
 * byte-format genotype `g` (low nibble first allele + 2, high nibble second
 * allele + 2; 1 missing, 0 absent): AN counts called alleles, `0/.` counts
 * 1, nhomalt needs ploidy >= 2. The one classification of byte genotypes,
 * per sample (c = 1) or per distinct byte of a one-stratum histogram.
 */
function addByteGenotype(g: number, c: number, s: number, base: number, an: Int32Array, homRef: Int32Array, missing: Int32Array, ac: Int32Array, het: Int32Array, homAlt: Int32Array, nhomalt: Int32Array): void {
  const c1 = g & 15;
  const c2 = g >> 4;
  if (c1 === 0) { missing[s]! += c; return; } // no GT: ploidy 0
  if (c2 === 0) {
    // haploid
    if (c1 === 1) { missing[s]! += c; return; }
    an[s]! += c;
    const a = c1 - 2;
    if (a === 0) homRef[s]! += c;
    else { ac[base + a]! += c; homAlt[base + a]! += c; }
    return;
  }
  // diploid
  if (c1 === 1 || c2 === 1) {
    missing[s]! += c;
    if (c1 > 1) { an[s]! += c; if (c1 > 2) ac[base + c1 - 2]! += c; }
    if (c2 > 1) { an[s]! += c; if (c2 > 2) ac[base + c2 - 2]! += c; }
    return;
  }
  an[s]! += 2 * c;
  const a1 = c1 - 2;
  const a2 = c2 - 2;
  if (a1 === a2) {
    if (a1 === 0) homRef[s]! += c;
    else { ac[base + a1]! += 2 * c; homAlt[base + a1]! += c; nhomalt[base + a1]! += c; }
  } else {
    if (a1 > 0) { ac[base + a1]! += c; het[base + a1]! += c; }
    if (a2 > 0) { ac[base + a2]! += c; het[base + a2]! += c; }
  }
}

/** Columns of the file's samples that carry ALT allele `alt` (1-based) at least once in this record. */
export function carrierColumns(rec: StoredRecord, alt: number, out: (col: number) => void): void {
  if (rec.format === GT_FORMAT_DENSE) {
    for (let col = 0; col < rec.gt.length * 2; col++) {
      const nib = (rec.gt[col >> 1]! >> ((col & 1) << 2)) & 15;
      if ((nib & 3) === 3 || nib >> 2 === 3) out(col);
    }
    return;
  }
  const sb = rec.samples;
  let i = 0;
  let col = 0;
  const varint = rec.format === GT_FORMAT_BYTE ? null : decodeVarintGenotypes(rec.gt, rec.listed);
  const code = alt + 2;
  for (let k = 0; k < rec.listed; k++) {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = sb[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    col += v;
    if (!varint) {
      const g = rec.gt[k]!;
      if ((g & 15) === code || g >> 4 === code) out(col);
    } else {
      for (let j = varint.offset[k]!; j < varint.offset[k + 1]!; j++) if (varint.alleles[j] === alt) { out(col); break; }
    }
  }
}

/** The cohort "every sample of the file", for the totals computed at ingest. */
export function allSamplesCohort(nSamples: number): FileCohort {
  const members = new Int32Array(nSamples);
  for (let i = 0; i < nSamples; i++) members[i] = i;
  return { stratumOf: new Int32Array(nSamples), inFile: Int32Array.of(nSamples), members, memberStratum: new Int32Array(nSamples) };
}

/**
 * One stratum's counts as bytes: an, homRef, missing, then ac, het, homAlt,
 * nhomalt per allele (index 0 unused), little-endian int32.
 */
export function encodeTotals(c: RecordCounts): Uint8Array {
  const A1 = c.nAlts + 1;
  const out = new Int32Array(3 + 4 * A1);
  out[0] = c.an[0]!;
  out[1] = c.homRef[0]!;
  out[2] = c.missing[0]!;
  out.set(c.ac.subarray(0, A1), 3);
  out.set(c.het.subarray(0, A1), 3 + A1);
  out.set(c.homAlt.subarray(0, A1), 3 + 2 * A1);
  out.set(c.nhomalt.subarray(0, A1), 3 + 3 * A1);
  return new Uint8Array(out.buffer);
}

export function decodeTotals(bytes: Uint8Array, nAlts: number): RecordCounts {
  const A1 = nAlts + 1;
  // Read into the shared scratch: an ArrayBuffer slice per record was 5 us each (GC), measured.
  const t = scratch.take(TOTALS, 1, A1);
  const an = t[0]!, homRef = t[1]!, missing = t[2]!, ac = t[3]!, het = t[4]!, homAlt = t[5]!, nhomalt = t[6]!;
  const targets = [an, homRef, missing];
  const read = (k: number): number => bytes[4 * k]! | (bytes[4 * k + 1]! << 8) | (bytes[4 * k + 2]! << 16) | (bytes[4 * k + 3]! << 24);
  for (let k = 0; k < 3; k++) targets[k]![0] = read(k);
  const per = [ac, het, homAlt, nhomalt];
  for (let f = 0; f < 4; f++) for (let a = 0; a < A1; a++) per[f]![a] = read(3 + f * A1 + a);
  return { nStrata: 1, nAlts, an, homRef, missing, ac, het, homAlt, nhomalt };
}
