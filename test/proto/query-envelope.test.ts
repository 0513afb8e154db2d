/**
 * The query envelope: encode/decode round trip, the signature covers every
 * byte, the variant-list digest is order-sensitive, and the slot layout
 * packs and unpacks per-variant counters consistently.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, signEnvelope, verifyEnvelopeSignature } from '../../proto/convert/envelope.js';
import { certificateNames, idsInSubjectAltName } from '../../proto/convert/identity.js';
import { headerFromWire, headerToWire, signHeader, verifySignedHeader } from '../../proto/convert/variants.js';
import { AggregateHeader } from '../../proto/generated/genofed/v1/node.js';
import { EMPTY_SCHEMA, parsePhenotypeSchema } from '../../proto/phenotype-schema.js';
import { alleleCounts } from '../../proto/kinds/allele-counts.js';
import { cohortCount } from '../../proto/kinds/cohort-count.js';
import { variantKeys } from '../../proto/kinds/variant-keys.js';
import { packAlleleCounts, strataCells, unpackAlleleCounts, variantListDigest, variantListDigestHex, type QueryEnvelope } from '../../proto/query.js';

const keys = [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }, { chrom: 'chr22', pos: 5, ref: 'G', alt: '<DEL>' }];

function sample(): QueryEnvelope {
  return {
    version: 1, queryId: '7c8a1f4e-0b0e-4a43-9d5f-6f1e2d3c4b5a', correlationId: 'c0ffee00-0000-4000-8000-000000000000', coordinatorId: 'coordinator',
    participants: ['a', 'b', 'c'], rosterFingerprint: 'ab'.repeat(32), issuedAtMs: 1_795_000_000_000, expiresAtMs: 1_795_000_300_000, querier: 'alice', cryptoFingerprint: '00b473927ce700db17e94c9e3ac394d5',
    params: { kind: 'allele-counts', cohort: "super_pop = 'EUR'", variantCount: 2, variantsSha256: variantListDigestHex(keys), strata: [], region: 'chr22:1-100000' },
    measurementPlaintext: false,
  };
}

describe('query envelope', () => {
  it('decodes to exactly what was encoded, for every kind', () => {
    const e = sample();
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    const r: QueryEnvelope = { ...e, params: { kind: 'variant-keys', region: 'chr1:1-1000' } };
    expect(decodeEnvelope(encodeEnvelope(r))).toEqual(r);
    const c: QueryEnvelope = { ...e, params: { kind: 'cohort-count', cohort: 'sex = 1', carrierCount: 0, carriersSha256: '' } };
    expect(decodeEnvelope(encodeEnvelope(c))).toEqual(c);
  });

  it('carries the signed DP epsilon (absent = 0 = DP off) and refuses a negative one', () => {
    const e: QueryEnvelope = { ...sample(), dpEpsilon: 0.75 };
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    expect(decodeEnvelope(encodeEnvelope({ ...e, dpEpsilon: 0 })).dpEpsilon).toBeUndefined();
    expect(Buffer.from(encodeEnvelope({ ...e, dpEpsilon: 0 })).equals(Buffer.from(encodeEnvelope(sample())))).toBe(true);
    expect(() => decodeEnvelope(encodeEnvelope({ ...e, dpEpsilon: -1 }))).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
  });

  it('answer headers carry the noise scale, the masked flag, the declared samples, roster, populations and remaining budget, defaulting to none', () => {
    const h = { siteId: 's', queryId: 'q', cryptoFingerprint: 'f', counters: ['ac', 'an', 'nhomalt'] as const, valueCount: 3, ciphertextCount: 1, boundPerValue: 10, plaintext: false, samples: 626, rosterFingerprint: 'cd'.repeat(32), populations: 1 };
    expect(headerFromWire(AggregateHeader.decode(AggregateHeader.encode(headerToWire({ ...h, noiseMu: 41.5, masked: true, withheld: [2], dpRemainingEpsilon: 7.25 })).finish()))).toEqual({ ...h, noiseMu: 41.5, masked: true, withheld: [2], dpRemainingEpsilon: 7.25, packBits: 0 });
    expect(headerFromWire(AggregateHeader.decode(AggregateHeader.encode(headerToWire({ ...h, packBits: 14 })).finish())).packBits).toBe(14);
    // A width that leaves fewer than two values per slot is no packing anyone would choose.
    expect(() => headerFromWire({ ...headerToWire(h), packBits: 15 })).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
    expect(headerFromWire(AggregateHeader.decode(AggregateHeader.encode(headerToWire(h)).finish()))).toEqual({ ...h, noiseMu: 0, masked: false, withheld: [], dpRemainingEpsilon: 0, packBits: 0 });
    // The remaining budget travels as field 16 (a double): the wire bytes of 7.25 are there.
    const bytes = Buffer.from(AggregateHeader.encode(headerToWire({ ...h, dpRemainingEpsilon: 7.25 })).finish());
    const f64 = Buffer.alloc(8);
    f64.writeDoubleLE(7.25);
    expect(bytes.includes(Buffer.concat([Buffer.from([(16 << 3) | 1, 0x01]), f64]))).toBe(true);
    for (const bad of [-0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => headerFromWire({ ...headerToWire(h), dpRemainingEpsilon: bad }), String(bad)).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
    }
  });

  it('a signed header verifies under the site key only, and any flipped byte breaks it', () => {
    const site = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const h = { siteId: 's', queryId: 'q', cryptoFingerprint: 'f', counters: ['ac', 'an', 'nhomalt'] as const, valueCount: 3, ciphertextCount: 1, boundPerValue: 10, plaintext: false, noiseMu: 0, masked: true, samples: 626, rosterFingerprint: 'cd'.repeat(32), populations: 1, withheld: [], dpRemainingEpsilon: 0, packBits: 0 };
    const w = signHeader(h, site.privateKey);
    expect(verifySignedHeader(w, site.publicKey)).toEqual(h);
    expect(() => verifySignedHeader(w, other.publicKey)).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
    for (let i = 0; i < w.header.length; i++) {
      const t = Buffer.from(w.header);
      t[i]! ^= 0x01;
      expect(() => verifySignedHeader({ header: t, signature: w.signature }, site.publicKey), `byte ${i}`).toThrow();
    }
  });

  it('encodes deterministically, so equal envelopes give equal signed bytes', () => {
    expect(Buffer.from(encodeEnvelope(sample())).equals(Buffer.from(encodeEnvelope(sample())))).toBe(true);
  });

  it('a signature verifies, and flipping any single byte of the envelope breaks it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const s = signEnvelope(sample(), privateKey);
    expect(verifyEnvelopeSignature(s, publicKey)).toBe(true);
    for (let i = 0; i < s.envelope.length; i++) {
      const t = new Uint8Array(s.envelope);
      t[i]! ^= 0x01;
      expect(verifyEnvelopeSignature({ envelope: t, signature: s.signature }, publicKey), `byte ${i}`).toBe(false);
    }
    expect(verifyEnvelopeSignature({ envelope: s.envelope, signature: new Uint8Array(64) }, publicKey)).toBe(false);
    expect(verifyEnvelopeSignature({ envelope: s.envelope, signature: new Uint8Array() }, publicKey)).toBe(false);
  });

  it('refuses bytes whose kind and parameters disagree, and parameters that are not JSON', () => {
    const e = sample();
    const bytes = Buffer.from(encodeEnvelope({ ...e, params: { kind: 'variant-keys', region: '1' } }));
    // The kind name travels twice (envelope field and inside the parameters): make them disagree.
    const t = Buffer.from(bytes.toString('latin1').replace('variant-keys', 'variant-kexs'), 'latin1');
    expect(() => decodeEnvelope(t)).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
    const u = Buffer.from(bytes.toString('latin1').replace('{"kind"', '["kind"'), 'latin1');
    expect(() => decodeEnvelope(u)).toThrow(expect.objectContaining({ code: 'GENOFED_BAD_MESSAGE' }));
  });

  it('each kind module parses its own parameters strictly, naming the bad field', () => {
    expect(alleleCounts.parse(sample().params)).toEqual(sample().params);
    expect(() => alleleCounts.parse({ ...sample().params, variantsSha256: 'xyz' })).toThrow(/allele-counts parameters: field 'variantsSha256'/);
    expect(() => alleleCounts.parse({ ...sample().params, extra: 1 })).toThrow(/allele-counts parameters/);
    expect(() => cohortCount.parse({ kind: 'cohort-count', cohort: '', carrierCount: 2, carriersSha256: '' })).toThrow(/carriersSha256/);
    expect(variantKeys.parse({ kind: 'variant-keys', region: '1:1-10' })).toEqual({ kind: 'variant-keys', region: '1:1-10' });
  });

  it('the variant-list digest depends on order and on every field', () => {
    const d = Buffer.from(variantListDigest(keys)).toString('hex');
    expect(Buffer.from(variantListDigest([...keys].reverse())).toString('hex')).not.toBe(d);
    expect(Buffer.from(variantListDigest([{ ...keys[0]!, alt: 'AG' }, keys[1]!])).toString('hex')).not.toBe(d);
    expect(d).toHaveLength(64);
  });
});

describe('slot layout', () => {
  it('needs ceil(3 x variants / slots) ciphertexts over a region: 367 for 1,000,000 variants at 8,192 slots; a researcher\'s list adds the sites counter (489)', () => {
    const p = { kind: 'allele-counts' as const, cohort: '', variantCount: 1_000_000, variantsSha256: '00'.repeat(32), strata: [], region: '1' };
    expect(alleleCounts.layout(p, 8192, EMPTY_SCHEMA)).toEqual({ counters: ['ac', 'an', 'nhomalt'], populations: 1, valueCount: 3_000_000, ciphertextCount: 367 });
    expect(alleleCounts.layout({ ...p, region: '' }, 8192, EMPTY_SCHEMA)).toEqual({ counters: ['ac', 'an', 'nhomalt', 'sites'], populations: 1, valueCount: 4_000_000, ciphertextCount: 489 });
    expect(cohortCount.layout({ kind: 'cohort-count', cohort: '', carrierCount: 0, carriersSha256: '' }, 8192, EMPTY_SCHEMA).ciphertextCount).toBe(1);
  });

  it('strata add one block per cell of the schema values, first column outermost, in the same order everywhere', () => {
    const schema = parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [
      { name: 'super_pop', type: 'categorical', values: ['AFR', 'EUR'] }, { name: 'gender', type: 'categorical', values: ['female', 'male'] }, { name: 'age', type: 'integer', bins: [0, 40, 80, 120] },
    ] });
    expect(strataCells(schema, ['super_pop', 'Gender']).map((c) => c.label)).toEqual(['AFR,female', 'AFR,male', 'EUR,female', 'EUR,male']);
    expect(strataCells(schema, ['age']).map((c) => c.values)).toEqual([[0], [40], [80]]);
    const p = { kind: 'allele-counts' as const, cohort: '', variantCount: 10, variantsSha256: '00'.repeat(32), strata: ['super_pop', 'gender'], region: '1:1-1000' };
    expect(alleleCounts.layout(p, 4096, schema)).toEqual({ counters: ['ac', 'an', 'nhomalt'], populations: 5, valueCount: 150, ciphertextCount: 1 });
    // The blocks' populations, then the size-only remainder (cohort members in no cell), which has no block.
    expect(alleleCounts.populations(p, schema).map((x) => x.label)).toEqual(['cohort', 'AFR,female', 'AFR,male', 'EUR,female', 'EUR,male', 'cohort members in no stratum']);
    expect(alleleCounts.populations(p, schema).map((x) => x.sizeOnly === true)).toEqual([false, false, false, false, false, true]);
    expect(cohortCount.populations({ kind: 'cohort-count', cohort: '', carrierCount: 2, carriersSha256: '00'.repeat(32) }, schema).map((x) => x.label)).toEqual(['cohort', 'carriers']);
    expect(() => strataCells(schema, ['bmi'])).toThrow(/unknown column 'bmi'/);
    expect(() => strataCells(EMPTY_SCHEMA, ['gender'])).toThrow(/no columns/);
    expect(() => strataCells(schema, ['gender', 'gender'])).toThrow(/twice/);
  });

  it('unpacking a packed vector gives back every variant\'s counters', () => {
    fc.assert(fc.property(fc.array(fc.record({ ac: fc.nat(1e6), an: fc.nat(1e6), nhomalt: fc.nat(1e6) }), { maxLength: 200 }), (rows) => {
      expect(unpackAlleleCounts(packAlleleCounts(rows), rows.length)).toEqual(rows);
      const withSites = rows.map((r, i) => ({ ...r, sites: i % 4 }));
      const packed = packAlleleCounts(withSites, true);
      expect(packed.length).toBe(4 * rows.length);
      expect(unpackAlleleCounts(packed, rows.length, true)).toEqual(withSites);
    }));
  });
});

describe('certificate identities', () => {
  it('reads site and coordinator ids from a subjectAltName string and requires CN and URI to agree', () => {
    const san = 'URI:urn:genofed:site:a, DNS:localhost, IP Address:127.0.0.1';
    expect(idsInSubjectAltName(san, 'site')).toEqual(['a']);
    expect(idsInSubjectAltName(san, 'coordinator')).toEqual([]);
    expect(certificateNames({ subject: { CN: 'a' }, subjectaltname: san }, 'site', 'a')).toBe(true);
    expect(certificateNames({ subject: { CN: 'b' }, subjectaltname: san }, 'site', 'a')).toBe(false);
    expect(certificateNames({ subject: { CN: 'a' }, subjectaltname: 'URI:urn:genofed:site:ab' }, 'site', 'a')).toBe(false);
    expect(certificateNames(undefined, 'site', 'a')).toBe(false);
  });
});
