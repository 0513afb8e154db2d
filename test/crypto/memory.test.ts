/**
 * Every node-seal object is freed: encrypting and aggregating 20,000
 * ciphertexts in one process must not grow memory. Without `.delete()`
 * node-seal 7 keeps each ciphertext in the WASM heap (~65 KB at N=4096,
 * 131 KB at N=8192) until std::bad_alloc, so a leak of even one object per
 * ciphertext would add >300 MB per 5,000 ciphertexts here. WASM memory never
 * shrinks and Node counts it in `external` (measured: 1,000 undeleted
 * ciphertexts at N=4096 raised external from 18.5 to 71.7 MiB), so external
 * after a forced GC tracks the WASM heap; heapUsed + arrayBuffers track the
 * JS side. RSS is printed but not asserted: the C allocator keeps freed
 * pages, so it moved by up to 25 MiB between samples without any leak.
 *
 * Runs in vitest's forked pool (its own process and WASM heap).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createBfv, getPreset, toNumbers } from '../../crypto/index.js';
import { prng, randomCounts } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  readonly wasm: number;
  readonly js: number;
  readonly rss: number;
}

function sample(): Sample {
  gc();
  gc();
  const u = process.memoryUsage();
  return { wasm: u.external / 2 ** 20, js: (u.heapUsed + u.arrayBuffers) / 2 ** 20, rss: u.rss / 2 ** 20 };
}

describe('memory', () => {
  it('encrypting and aggregating 20,000 ciphertexts stops growing memory after warm-up', async () => {
    const params = getPreset('test');
    const bfv = await createBfv(params);
    const samples: Record<number, Sample> = {};
    try {
      const { publicKey, secretKey } = bfv.generateKeys();
      const rnd = prng(1);
      const rounds = 20;
      const perRound = 1000; // = maxParties: one full aggregate per round
      let enc = bfv.encryptor(publicKey);
      let dec = bfv.decryptor(secretKey);
      for (let r = 0; r < rounds; r++) {
        if (r % 5 === 0) {
          // Fresh encryptor and decryptor every 5,000 ciphertexts: their dispose() is exercised too.
          enc.dispose();
          dec.dispose();
          enc = bfv.encryptor(publicKey);
          dec = bfv.decryptor(secretKey);
        }
        const agg = bfv.aggregator();
        const expected = new Float64Array(params.slotCount);
        try {
          for (let k = 0; k < perRound; k++) {
            const counts = randomCounts(64, 1000, rnd); // short vectors: the ciphertext is full-size anyway
            for (let i = 0; i < 64; i++) expected[i]! += counts[i]!;
            agg.add(0, enc.encryptChunk(counts, { bound: 1000, parties: perRound }));
          }
          expect(toNumbers(dec.decryptChunk(agg.result(0)))).toEqual(expected);
        } finally {
          agg.dispose();
        }
        const done = (r + 1) * perRound;
        if (done % 5000 === 0) samples[done] = sample();
      }
      enc.dispose();
      dec.dispose();
    } finally {
      bfv.dispose();
    }
    const show = (k: keyof Sample): string => Object.values(samples).map((v) => v[k].toFixed(1)).join(' / ');
    console.info(`after GC at 5k/10k/15k/20k ciphertexts (MiB): WASM heap (external) ${show('wasm')}; JS heap + buffers ${show('js')}; RSS ${show('rss')}`);
    const growth = (k: keyof Sample, from: number): number => samples[20_000]![k] - samples[from]![k];
    // A leak of one ciphertext per encryption would be ~320 MB per quarter.
    expect(growth('wasm', 15_000), show('wasm')).toBeLessThan(2);
    expect(growth('wasm', 10_000), show('wasm')).toBeLessThan(4);
    expect(growth('js', 10_000), show('js')).toBeLessThan(8);
    // ~25 s of CPU (20,000 encryptions at ~1.1 ms + loads and adds); the
    // timeout only has to survive a machine shared by many jobs (2 cores at
    // load average 17 took 144 s wall), it measures nothing.
  }, 600_000);
});
