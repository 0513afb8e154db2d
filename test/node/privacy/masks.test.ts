/**
 * Pairwise secure-aggregation masks (node/privacy/masks.ts): they cancel in
 * the sum over the whole participant set, each site's mask is uniform mod t,
 * a fresh query id or another participant set gives unrelated masks, and,
 * through crypto/, the coordinator holding the secret key sees uniform noise
 * when it decrypts one site's ciphertext alone, and the exact network total
 * when it decrypts the sum.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBfv, getPreset, type Bfv, type KeyPair } from '../../../crypto/index.js';
import { NodeError } from '../../../node/errors.js';
import { MASK_BLOCK, createMaskStream, maskSalt, maskVector, x25519KeyFromPem, type MaskOptions } from '../../../node/privacy/masks.js';

const params = getPreset('test');
const T = params.plainModulus;
const Tn = Number(T);

interface Site {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function makeSites(n: number): Site[] {
  return Array.from({ length: n }, (_, i) => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    return { id: `site-${String(i).padStart(2, '0')}`, privateKey, publicKey };
  });
}

// 20 sites generated once (X25519 key generation is cheap, but fast-check runs many cases).
const ALL_SITES = makeSites(20);
const ROSTER: ReadonlyMap<string, KeyObject> = new Map(ALL_SITES.map((s) => [s.id, s.publicKey]));

function optionsFor(site: Site, participants: readonly string[], queryId: string): MaskOptions {
  return { selfId: site.id, selfPrivateKey: site.privateKey, roster: ROSTER, queryId, participants, plainModulus: T };
}

/** Upper tail of the chi-square distribution (Wilson-Hilferty; accurate to ~1e-3 relative for df >= 30). */
function chiSquareUpperTail(x: number, df: number): number {
  const z = (Math.cbrt(x / df) - (1 - 2 / (9 * df))) / Math.sqrt(2 / (9 * df));
  return 0.5 * erfc(z / Math.SQRT2);
}

/** erfc by Numerical Recipes' Chebyshev fit (relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851413 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Chi-square statistic of values in [0, t) against uniform, in `bins` equal-width bins. */
function uniformChiSquare(values: ArrayLike<number | bigint>, t: number, bins: number): number {
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) counts[Math.floor((Number(values[i]) * bins) / t)]!++;
  const expected = values.length / bins;
  let chi = 0;
  for (const c of counts) chi += ((c - expected) * (c - expected)) / expected;
  return chi;
}

/**
 * Known-answer vectors from an independent implementation of the derivation
 * in node/privacy/README.md (Python `cryptography` 48, run once; keys are
 * the X25519 scalars 0x01.., 0x02.., 0x03..):
 *
 * # Independent reference for node/privacy/masks.ts (python cryptography, not the code under test).
 * import hashlib, struct
 * from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
 * from cryptography.hazmat.primitives.kdf.hkdf import HKDF
 * from cryptography.hazmat.primitives import hashes, serialization
 * from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
 * ids = ['site-a', 'site-b', 'site-c']
 * keys = {i: X25519PrivateKey.from_private_bytes(bytes([k + 1]) * 32) for k, i in enumerate(ids)}
 * for i in ids:
 *     print(i, keys[i].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode().replace('\n', '\\n'))
 * def put(s):
 *     b = s.encode(); return struct.pack('>I', len(b)) + b
 * def salt(q, parts):
 *     parts = sorted(parts)
 *     return hashlib.sha256(put('genofed mask v1') + put(q) + struct.pack('>I', len(parts)) + b''.join(put(p) for p in parts)).digest()
 * def block(seed, b, t):
 *     bits = (t - 1).bit_length(); m = (1 << bits) - 1
 *     enc = Cipher(algorithms.AES(seed), modes.CTR(struct.pack('>Q', b) + b'\0' * 8)).encryptor()
 *     out = []
 *     while len(out) < 4096:
 *         ks = enc.update(b'\0' * 4096)
 *         for w in range(0, len(ks), 4):
 *             v = int.from_bytes(ks[w:w+4], 'little') & m
 *             if v < t and len(out) < 4096: out.append(v)
 *     return out
 * def mask(me, q, parts, t, slots):
 *     res = [0] * len(slots)
 *     for o in parts:
 *         if o == me: continue
 *         shared = keys[me].exchange(keys[o].public_key())
 *         lo, hi = min(me, o), max(me, o)
 *         seed = HKDF(hashes.SHA256(), 32, salt(q, parts), f'genofed mask v1\0{lo}\0{hi}'.encode()).derive(shared)
 *         cache = {}
 *         for k, s in enumerate(slots):
 *             b = s // 4096
 *             if b not in cache: cache[b] = block(seed, b, t)
 *             m = cache[b][s % 4096]
 *             res[k] = (res[k] + (m if me < o else t - m)) % t
 *     return res
 * slots = [0, 1, 2, 3, 4095, 4096, 4097, 9000]
 * for t in [1073479681, 65537]:
 *     print(t, mask('site-b', 'q-kat', ids, t, slots))
 */
const KAT_KEYS: Record<string, string> = {
  'site-a': '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n-----END PRIVATE KEY-----\n',
  'site-b': '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC\n-----END PRIVATE KEY-----\n',
  'site-c': '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIAMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD\n-----END PRIVATE KEY-----\n',
};
const KAT_SLOTS = [0, 1, 2, 3, 4095, 4096, 4097, 9000];
const KAT_EXPECTED: [bigint, number[]][] = [
  [1073479681n, [201576524, 61570325, 84043528, 654186872, 304438203, 333253223, 404289843, 223849551]],
  [65537n, [53325, 23020, 14606, 25523, 39372, 9875, 5961, 42702]],
];

describe('pairwise masks: known answers', () => {
  it("site-b's masks for query q-kat over {a, b, c} match an independent Python implementation (t = 30-bit prime and 65537)", () => {
    const priv = Object.fromEntries(Object.entries(KAT_KEYS).map(([id, pem]) => [id, x25519KeyFromPem(pem, 'private')]));
    const roster = new Map(Object.entries(priv).map(([id, k]) => [id, createPublicKey(k)]));
    for (const [t, expected] of KAT_EXPECTED) {
      const m = maskVector({ selfId: 'site-b', selfPrivateKey: priv['site-b']!, roster, queryId: 'q-kat', participants: ['site-c', 'site-a', 'site-b'], plainModulus: t, length: 9001 });
      expect(KAT_SLOTS.map((s) => m[s])).toEqual(expected);
    }
  });
});

describe('pairwise masks', () => {
  it('the masks of all participants sum to zero mod t for 2 to 20 participants and any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 3000 }), fc.string({ minLength: 1, maxLength: 24 }), (n, length, queryId) => {
        const sites = ALL_SITES.slice(0, n);
        const ids = sites.map((s) => s.id).reverse(); // order given must not matter
        const sum = new Float64Array(length);
        for (const site of sites) {
          const m = maskVector({ ...optionsFor(site, ids, queryId), length });
          expect(m.length).toBe(length);
          for (let i = 0; i < length; i++) sum[i] = (sum[i]! + m[i]!) % Tn;
        }
        expect(sum.every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a proper subset of the participants does not cancel (3 of 4 sites sum to a non-zero vector)', () => {
    const sites = ALL_SITES.slice(0, 4);
    const ids = sites.map((s) => s.id);
    const sum = new Float64Array(512);
    for (const site of sites.slice(0, 3)) {
      const m = maskVector({ ...optionsFor(site, ids, 'q-subset'), length: 512 });
      for (let i = 0; i < 512; i++) sum[i] = (sum[i]! + m[i]!) % Tn;
    }
    expect(sum.filter((v) => v === 0).length).toBeLessThan(3);
  });

  it("one site's mask is uniform mod t (chi-square over 65,536 slots in 64 bins, p > 1e-6)", () => {
    const ids = ALL_SITES.slice(0, 3).map((s) => s.id);
    const m = maskVector({ ...optionsFor(ALL_SITES[1]!, ids, 'q-uniform'), length: 65_536 });
    const chi = uniformChiSquare(m, Tn, 64);
    expect(chiSquareUpperTail(chi, 63)).toBeGreaterThan(1e-6);
    expect(m.every((v) => v < Tn)).toBe(true);
  });

  it('the chi-square check rejects a non-uniform vector (the test can fail)', () => {
    const skewed = new Uint32Array(65_536).map((_, i) => (i % 3 === 0 ? (i * 7919) % Math.floor(Tn / 2) : (i * 104_729) % Tn));
    expect(chiSquareUpperTail(uniformChiSquare(skewed, Tn, 64), 63)).toBeLessThan(1e-6);
  });

  it('a different query id or participant set gives unrelated masks', () => {
    const a = ALL_SITES[0]!;
    const base = ALL_SITES.slice(0, 4).map((s) => s.id);
    const length = 4096;
    const m1 = maskVector({ ...optionsFor(a, base, 'q-1'), length });
    const m2 = maskVector({ ...optionsFor(a, base, 'q-2'), length });
    const m3 = maskVector({ ...optionsFor(a, base.slice(0, 3), 'q-1'), length });
    const m1again = maskVector({ ...optionsFor(a, [...base].reverse(), 'q-1'), length });
    expect(m1again).toEqual(m1);
    for (const other of [m2, m3]) {
      let equal = 0;
      const diff = new Uint32Array(length);
      for (let i = 0; i < length; i++) {
        if (other[i] === m1[i]) equal++;
        diff[i] = (m1[i]! - other[i]! + Tn) % Tn;
      }
      expect(equal).toBeLessThan(3);
      // The difference of unrelated uniform masks is itself uniform.
      expect(chiSquareUpperTail(uniformChiSquare(diff, Tn, 32), 31)).toBeGreaterThan(1e-6);
    }
    expect(maskSalt('q-1', base)).not.toEqual(maskSalt('q-1', base.slice(0, 3)));
  });

  it('chunked masks equal the whole vector whatever the chunk size', () => {
    const ids = ALL_SITES.slice(0, 3).map((s) => s.id);
    const opts = optionsFor(ALL_SITES[2]!, ids, 'q-chunks');
    const whole = maskVector({ ...opts, length: 3 * MASK_BLOCK + 700 });
    const stream = createMaskStream(opts);
    for (const slotCount of [MASK_BLOCK, 4096, 1000, 333]) {
      const joined: number[] = [];
      for (let c = 0; joined.length < whole.length; c++) joined.push(...stream.maskChunk(c, slotCount));
      expect(Uint32Array.from(joined.slice(0, whole.length))).toEqual(whole);
    }
  });

  it('is refused with GENOFED_MASK_SETUP when this site is not a participant, a participant has no key, or a site is listed twice', () => {
    const [a, b, c] = ALL_SITES;
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(NodeError);
        return (err as NodeError).code;
      }
      return 'nothing thrown';
    };
    expect(codeOf(() => createMaskStream(optionsFor(a!, [b!.id, c!.id], 'q')))).toBe('GENOFED_MASK_SETUP');
    expect(codeOf(() => createMaskStream(optionsFor(a!, [a!.id, 'site-unknown'], 'q')))).toBe('GENOFED_MASK_SETUP');
    expect(codeOf(() => createMaskStream(optionsFor(a!, [a!.id, b!.id, b!.id], 'q')))).toBe('GENOFED_MASK_SETUP');
    expect(codeOf(() => createMaskStream({ ...optionsFor(a!, [a!.id, b!.id], 'q'), selfPrivateKey: b!.publicKey }))).toBe('GENOFED_MASK_SETUP');
    expect(codeOf(() => x25519KeyFromPem(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'public'))).toBe('GENOFED_MASK_SETUP');
  });

  it('reads the PEM keys network init writes (PKCS#8 private, SPKI public) and derives the same masks', () => {
    const [a, b] = ALL_SITES;
    const pemPriv = a!.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pemPub = b!.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const roster = new Map([[b!.id, x25519KeyFromPem(pemPub, 'public')]]);
    const viaPem = maskVector({ selfId: a!.id, selfPrivateKey: x25519KeyFromPem(pemPriv, 'private'), roster, queryId: 'q-pem', participants: [a!.id, b!.id], plainModulus: T, length: 100 });
    expect(viaPem).toEqual(maskVector({ ...optionsFor(a!, [a!.id, b!.id], 'q-pem'), length: 100 }));
  });
});

describe('masks through BFV (test preset)', () => {
  let bfv: Bfv;
  let keys: KeyPair;
  const S = params.slotCount;
  const sites = ALL_SITES.slice(0, 5);
  const ids = sites.map((s) => s.id);
  const length = S + 900; // two ciphertext chunks, the second partly padding
  const bound = 5000;
  // Deterministic per-site counts (small values: what a site's AC/AN look like).
  const counts = sites.map((_, k) => Uint32Array.from({ length }, (_, i) => ((i * 31 + k * 17) % 97) * (i % 5 === 0 ? 10 : 1)));

  beforeAll(async () => {
    bfv = await createBfv(params);
    keys = bfv.generateKeys();
  });
  afterAll(() => bfv.dispose());

  function encryptSite(k: number, queryId: string): Uint8Array[] {
    const stream = createMaskStream(optionsFor(sites[k]!, ids, queryId));
    const enc = bfv.encryptor(keys.publicKey);
    try {
      return [...enc.encryptVector(counts[k]!, { bound, parties: sites.length, mask: (c) => stream.maskChunk(c, S) })];
    } finally {
      enc.dispose();
    }
  }

  it('the decrypted sum of masked ciphertexts from 5 sites equals the plaintext sum of their counts', () => {
    const agg = bfv.aggregator();
    const dec = bfv.decryptor(keys.secretKey);
    try {
      const perSite = sites.map((_, k) => encryptSite(k, 'q-bfv-sum'));
      const chunks = perSite[0]!.length;
      for (const cts of perSite) cts.forEach((ct, c) => agg.add(c, ct));
      const total = dec.decryptVector(Array.from({ length: chunks }, (_, c) => agg.result(c)), length);
      const expected = Array.from({ length }, (_, i) => BigInt(counts.reduce((s, v) => s + v[i]!, 0)));
      expect(Array.from(total)).toEqual(expected);
    } finally {
      agg.dispose();
      dec.dispose();
    }
  });

  it("attack: the coordinator decrypts a single site's response and sees values uniform mod t, not the site's counts", () => {
    const dec = bfv.decryptor(keys.secretKey);
    try {
      const cts = encryptSite(2, 'q-bfv-attack');
      const alone = dec.decryptVector(cts, length);
      // Chi-square against uniform mod t over all slots (64 bins; p > 1e-6).
      expect(chiSquareUpperTail(uniformChiSquare(alone, Tn, 64), 63)).toBeGreaterThan(1e-6);
      // The site's counts are all < 1,000; unmasked, every slot would be below 1,000.
      let equal = 0;
      let small = 0;
      for (let i = 0; i < length; i++) {
        if (alone[i] === BigInt(counts[2]![i]!)) equal++;
        if (alone[i]! < 1000n) small++;
      }
      expect(equal).toBeLessThan(3);
      expect(small).toBeLessThan(5);
      // Without masks, the same decryption returns the counts (the attack would work).
      const enc = bfv.encryptor(keys.publicKey);
      try {
        const plain = dec.decryptVector([...enc.encryptVector(counts[2]!, { bound, parties: sites.length })], length);
        expect(Array.from(plain)).toEqual(Array.from(counts[2]!, BigInt));
      } finally {
        enc.dispose();
      }
    } finally {
      dec.dispose();
    }
  });
});
