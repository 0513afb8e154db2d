/**
 * The three genotype encodings (sparse bytes, varint for polyploid, dense
 * nibbles for common biallelic records) give exactly the counts of a direct
 * count over the genotypes written out in full, for random records, cohorts
 * and strata (fast-check), and the ingest-time totals equal the all-sample
 * count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allSamplesCohort, countRecord, decodeTotals, encodeTotals, type FileCohort } from '../../../node/store/aggregate.js';
import { ByteSink, encodeGenotypes, GT_FORMAT_BYTE, GT_FORMAT_DENSE, GT_FORMAT_VARINT } from '../../../node/store/genotype-codec.js';
import type { VcfVariant } from '../../../node/vcf/types.js';

type Gt = number[]; // alleles, -1 missing; [] = no GT

interface Case { nAlts: number; gts: Gt[]; strata: number[]; nStrata: number }

/** Direct count from the definitions in node/store/README.md. */
function naive(c: Case, s: number, alt: number): number[] {
  let ac = 0, an = 0, nhom = 0, homRef = 0, het = 0, homAlt = 0, missing = 0;
  c.gts.forEach((g, i) => {
    if (c.strata[i] !== s) return;
    const called = g.filter((a) => a >= 0);
    an += called.length;
    ac += called.filter((a) => a === alt).length;
    if (g.length === 0 || called.length < g.length) { missing++; return; }
    if (g.every((a) => a === 0)) homRef++;
    else if (g.every((a) => a === alt)) { homAlt++; if (g.length >= 2) nhom++; }
    else if (g.includes(alt)) het++;
  });
  return [ac, an, nhom, homRef, het, homAlt, missing];
}

function toVariant(c: Case): VcfVariant {
  const sample: number[] = [];
  const offset: number[] = [0];
  const alleles: number[] = [];
  c.gts.forEach((g, i) => {
    if (g.length === 2 && g[0] === 0 && g[1] === 0) return; // implicit diploid 0/0, as the reader does
    sample.push(i);
    alleles.push(...g);
    offset.push(alleles.length);
  });
  return { chrom: '1', pos: 1, id: '.', ref: 'A', alts: Array.from({ length: c.nAlts }, (_, k) => `<A${k}>`), line: 1, sample: Int32Array.from(sample), offset: Int32Array.from(offset), alleles: Int16Array.from(alleles) };
}

function cohortOf(c: Case): FileCohort {
  const stratumOf = Int32Array.from(c.strata);
  const inFile = new Int32Array(c.nStrata);
  const members: number[] = [];
  const memberStratum: number[] = [];
  c.strata.forEach((s, i) => { if (s >= 0) { inFile[s]!++; members.push(i); memberStratum.push(s); } });
  return { stratumOf, inFile, members: Int32Array.from(members), memberStratum: Int32Array.from(memberStratum) };
}

function counted(c: Case): { format: number; rows: number[][] } {
  const enc = encodeGenotypes(toVariant(c), c.gts.length, new ByteSink(16), new ByteSink(16));
  const r = countRecord({ fileId: 0, nAlts: c.nAlts, format: enc.format, samples: enc.samples, gt: enc.gt, listed: enc.listed }, cohortOf(c));
  const rows: number[][] = [];
  for (let s = 0; s < c.nStrata; s++) {
    for (let a = 1; a <= c.nAlts; a++) {
      const i = s * (c.nAlts + 1) + a;
      rows.push([r.ac[i]!, r.an[s]!, r.nhomalt[i]!, r.homRef[s]!, r.het[i]!, r.homAlt[i]!, r.missing[s]!]);
    }
  }
  return { format: enc.format, rows };
}

function expected(c: Case): number[][] {
  const rows: number[][] = [];
  for (let s = 0; s < c.nStrata; s++) for (let a = 1; a <= c.nAlts; a++) rows.push(naive(c, s, a));
  return rows;
}

const caseArb = (maxPloidy: number, maxAlts: number, commonBias: boolean): fc.Arbitrary<Case> =>
  fc.record({ nAlts: fc.integer({ min: 1, max: maxAlts }), n: fc.integer({ min: 1, max: 40 }), nStrata: fc.integer({ min: 1, max: 3 }) }).chain(({ nAlts, n, nStrata }) => {
    const allele = commonBias ? fc.oneof(fc.constant(0), fc.integer({ min: -1, max: nAlts })) : fc.integer({ min: -1, max: nAlts });
    const kinds = [
      { weight: 6, arbitrary: fc.array(allele, { minLength: 2, maxLength: 2 }) },
      { weight: 2, arbitrary: fc.array(allele, { minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constant([] as number[]) },
    ];
    if (maxPloidy > 2) kinds.push({ weight: 2, arbitrary: fc.array(allele, { minLength: 3, maxLength: maxPloidy }) });
    const gt = fc.oneof(...kinds);
    return fc.record({
      nAlts: fc.constant(nAlts),
      nStrata: fc.constant(nStrata),
      gts: fc.array(gt, { minLength: n, maxLength: n }),
      strata: fc.array(fc.integer({ min: -1, max: nStrata - 1 }), { minLength: n, maxLength: n }),
    });
  });

describe('genotype encodings count exactly', () => {
  it('dense nibbles (biallelic, many carriers) match a direct count, per stratum', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(caseArb(2, 1, false), (c) => {
      const got = counted(c);
      seen.add(got.format);
      expect(got.rows).toEqual(expected(c));
    }), { numRuns: 300 });
    expect(seen.has(GT_FORMAT_DENSE)).toBe(true);
  });

  it('sparse bytes (multi-allelic, mostly 0/0) match a direct count, per stratum', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(caseArb(2, 4, true), (c) => {
      const got = counted(c);
      seen.add(got.format);
      expect(got.rows).toEqual(expected(c));
    }), { numRuns: 300 });
    expect(seen.has(GT_FORMAT_BYTE)).toBe(true);
  });

  it('varint (polyploid) matches a direct count that counts every called allele', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(caseArb(4, 3, false), (c) => {
      const got = counted(c);
      seen.add(got.format);
      expect(got.rows).toEqual(expected(c));
    }), { numRuns: 300 });
    expect(seen.has(GT_FORMAT_VARINT)).toBe(true);
  });

  it('the totals stored at ingest round-trip and equal the all-sample count', () => {
    fc.assert(fc.property(caseArb(3, 3, true), (c) => {
      const v = toVariant(c);
      const enc = encodeGenotypes(v, c.gts.length, new ByteSink(16), new ByteSink(16));
      const rec = { fileId: 0, nAlts: c.nAlts, format: enc.format, samples: enc.samples, gt: enc.gt, listed: enc.listed };
      const bytes = encodeTotals(countRecord(rec, allSamplesCohort(c.gts.length)));
      const t = decodeTotals(bytes, c.nAlts);
      const all: Case = { ...c, strata: c.gts.map(() => 0), nStrata: 1 };
      for (let a = 1; a <= c.nAlts; a++) {
        expect([t.ac[a], t.an[0], t.nhomalt[a], t.homRef[0], t.het[a], t.homAlt[a], t.missing[0]]).toEqual(naive(all, 0, a));
      }
    }), { numRuns: 200 });
  });
});

/** A one-stratum cohort of `n` samples whose members come in runs (pairs sharing a dense byte, and singles). */
const oneStratumArb = (maxAlts: number, commonBias: boolean, denseBias: boolean): fc.Arbitrary<Case> =>
  fc.record({ nAlts: fc.integer({ min: 1, max: maxAlts }), n: fc.integer({ min: 1, max: 300 }) }).chain(({ nAlts, n }) => {
    const allele = commonBias ? fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: nAlts }) }) : fc.integer({ min: -1, max: nAlts });
    const gt = fc.oneof(
      { weight: denseBias ? 40 : 12, arbitrary: fc.array(fc.integer({ min: 0, max: Math.min(nAlts, 1) }), { minLength: 2, maxLength: 2 }) },
      { weight: 6, arbitrary: fc.array(allele, { minLength: 2, maxLength: 2 }) },
      { weight: 1, arbitrary: fc.array(allele, { minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constant([] as number[]) },
    );
    // Membership in runs: each run of 1-8 samples is in or out.
    const runs = fc.array(fc.record({ len: fc.integer({ min: 1, max: 8 }), member: fc.boolean() }), { minLength: 1, maxLength: n });
    return fc.record({ nAlts: fc.constant(nAlts), nStrata: fc.constant(1), gts: fc.array(gt, { minLength: n, maxLength: n }), runs }).map(({ runs: rs, ...c }) => {
      const strata: number[] = [];
      for (const r of rs) for (let k = 0; k < r.len && strata.length < n; k++) strata.push(r.member ? 0 : -1);
      while (strata.length < n) strata.push(-1);
      return { ...c, strata };
    });
  });

describe('one-stratum cohorts (counted through genotype histograms: node/store/cohort-histograms.ts)', () => {
  it('dense records match a direct count, with members paired in bytes and single, common and rare nibbles', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(oneStratumArb(1, false, true), (c) => {
      const got = counted(c);
      seen.add(got.format);
      expect(got.rows).toEqual(expected(c));
    }), { numRuns: 400 });
    expect(seen.has(GT_FORMAT_DENSE)).toBe(true);
  });

  it('sparse byte records match a direct count, including ALT codes outside the common ones (ALT >= 3)', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(oneStratumArb(6, true, false), (c) => {
      const got = counted(c);
      seen.add(got.format);
      expect(got.rows).toEqual(expected(c));
    }), { numRuns: 400 });
    expect(seen.has(GT_FORMAT_BYTE)).toBe(true);
  });

  it('a record with rare codes does not leak into the next record (the shared histogram returns to zero)', () => {
    const rare: Case = { nAlts: 5, nStrata: 1, gts: [[5, 4], [0], [], [3, -1], [1, 1], [2, 5]], strata: [0, 0, 0, 0, 0, 0] };
    const common: Case = { nAlts: 1, nStrata: 1, gts: [[0, 1], [1, 1], [0, 0], [0, 1], [-1, -1], [0, 0]], strata: [0, 0, 0, -1, 0, 0] };
    const dense: Case = { nAlts: 1, nStrata: 1, gts: [[1], [0, 1], [], [1, -1], [1, 1], [0, 1], [1, 0], [1, 1], [0, 1]], strata: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
    for (const c of [rare, common, dense, common, rare, dense, dense, common]) expect(counted(c).rows).toEqual(expected(c));
    expect(counted(dense).format).toBe(GT_FORMAT_DENSE);
    expect(counted(rare).format).toBe(GT_FORMAT_BYTE);
  });
});
