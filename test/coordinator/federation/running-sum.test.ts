/**
 * The coordinator's running sum (coordinator/federation/bfv-totals.ts):
 * ciphertexts of 3 sites added in any interleaving decrypt to the plain
 * sums; a chunk is reduced once every site has sent it; totals are
 * refused while a chunk is incomplete, when a chunk was encrypted under
 * another key (noise-budget check), and a malformed ciphertext or a chunk
 * index outside the layout is refused at once. DP-noisy totals read
 * centered. Chunks can also be released one by one as they complete.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBfvTotals, type BfvTotals } from '../../../coordinator/federation/bfv-totals.js';
import { createBfv, getPreset, writeSecretKeyFile, type Bfv } from '../../../crypto/index.js';

const params = getPreset('test');
const S = params.slotCount;
let dir: string;
let bfv: Bfv;
let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
let totals: BfvTotals;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-running-sum-'));
  bfv = await createBfv(params);
  keys = bfv.generateKeys();
  await writeSecretKeyFile(join(dir, 'bfv.sk'), keys.secretKey);
  totals = await createBfvTotals('test', join(dir, 'bfv.sk'));
});
afterAll(async () => {
  totals.dispose();
  bfv.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** 3 sites x 2.5 chunks of counts, encrypted chunk by chunk. */
function siteCiphertexts(publicKey: Uint8Array): { vectors: Uint32Array[]; cts: Uint8Array[][] } {
  const enc = bfv.encryptor(publicKey);
  try {
    const vectors = [0, 1, 2].map((site) => Uint32Array.from({ length: Math.floor(2.5 * S) }, (_, i) => (i * 31 + site * 7) % 1000));
    return { vectors, cts: vectors.map((v) => [...enc.encryptVector(v, { bound: 1000, parties: 3 })]) };
  } finally {
    enc.dispose();
  }
}

describe('running sum', () => {
  it('decrypts to the plain sums whatever order the sites\' chunks arrive in', () => {
    const { vectors, cts } = siteCiphertexts(keys.publicKey);
    const sum = totals.runningSum(3, 3);
    try {
      // Site c first, then a and b interleaved backwards.
      for (let i = 0; i < 3; i++) sum.add(i, cts[2]![i]!);
      expect(() => sum.totals(vectors[0]!.length, false)).toThrow(/0 of 3 chunks/);
      for (let i = 2; i >= 0; i--) { sum.add(i, cts[0]![i]!); sum.add(i, cts[1]![i]!); }
      const got = sum.totals(vectors[0]!.length, false);
      expect(Array.from(got)).toEqual(Array.from(vectors[0]!, (_, i) => vectors[0]![i]! + vectors[1]![i]! + vectors[2]![i]!));
    } finally {
      sum.dispose();
    }
  });

  it('released chunk by chunk: each chunk is announced once every site sent it, in order, and decrypts to its plain sums; a taken chunk cannot be taken again nor summed into totals', () => {
    const { vectors, cts } = siteCiphertexts(keys.publicKey);
    const done: number[] = [];
    const sum = totals.runningSum(3, 3, (i) => done.push(i));
    try {
      const plain = Array.from(vectors[0]!, (_, i) => vectors[0]![i]! + vectors[1]![i]! + vectors[2]![i]!);
      const got: number[] = [];
      for (let i = 0; i < 3; i++) {
        sum.add(i, cts[0]![i]!);
        sum.add(i, cts[1]![i]!);
        expect(done).toHaveLength(i);
        sum.add(i, cts[2]![i]!);
        expect(done).toEqual([0, 1, 2].slice(0, i + 1));
        const n = Math.min(S, plain.length - i * S);
        got.push(...sum.chunkTotals(i, n, false));
      }
      expect(got).toEqual(plain);
      expect(() => sum.chunkTotals(0, S, false)).toThrow(/not summed over every site \(or was taken\)/);
      expect(() => sum.totals(plain.length, false)).toThrow(/already taken/);
    } finally {
      sum.dispose();
    }
  });

  it('refuses totals when a chunk was encrypted under another key, and malformed input at once', () => {
    const other = bfv.generateKeys();
    const ours = siteCiphertexts(keys.publicKey).cts;
    const theirs = siteCiphertexts(other.publicKey).cts;
    const sum = totals.runningSum(3, 3);
    try {
      for (let i = 0; i < 3; i++) { sum.add(i, ours[0]![i]!); sum.add(i, ours[1]![i]!); sum.add(i, i === 1 ? theirs[2]![i]! : ours[2]![i]!); }
      expect(() => sum.totals(Math.floor(2.5 * S), false)).toThrow(expect.objectContaining({ code: "GENOFED_CRYPTO_NOISE" }));
      expect(() => sum.add(3, ours[0]![0]!)).toThrow(/outside the layout/);
      const flipped = Uint8Array.from(ours[0]![0]!);
      flipped[100]! ^= 1;
      const fresh = totals.runningSum(3, 3);
      expect(() => fresh.add(0, flipped)).toThrow(/checksum/);
      fresh.dispose();
    } finally {
      sum.dispose();
    }
  });

  it('reads noisy totals centered', () => {
    const enc = bfv.encryptor(keys.publicKey);
    const t = Number(params.plainModulus);
    const sum = totals.runningSum(1, 1);
    try {
      // t - 5 is -5 once centered; 7 stays 7.
      sum.add(0, enc.encryptChunk([t - 5, 7], { bound: t - 1, parties: 1 }));
      expect(Array.from(sum.totals(2, true))).toEqual([-5, 7]);
    } finally {
      sum.dispose();
      enc.dispose();
    }
  });
});
