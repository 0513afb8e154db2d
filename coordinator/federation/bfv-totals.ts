/**
 * The engine's crypto port on crypto/: overflow check, homomorphic sum per
 * chunk across sites as the ciphertexts arrive (a chunk every site has sent
 * is reduced to one ciphertext), decryption of the sums with the
 * noise-budget check once every site has answered (or chunk by chunk as
 * each completes, for answers released as they come). One SEAL
 * context per engine, reused; aggregators are per query and disposed.
 */
import { centered, checkSumBound, createBfv, getPreset, readKeyFile, toNumbers, type Bfv, type Decryptor } from '../../crypto/index.js';
import type { TotalCrypto } from './engine.js';

export interface BfvTotals extends TotalCrypto {
  dispose(): void;
}

export async function createBfvTotals(preset: 'default' | 'test', secretKeyPath: string): Promise<BfvTotals> {
  const params = getPreset(preset);
  const secretKey = await readKeyFile(secretKeyPath, 'secret-key', params);
  const bfv: Bfv = await createBfv(params);
  let decryptor: Decryptor;
  try {
    decryptor = bfv.decryptor(secretKey);
  } catch (err) {
    bfv.dispose();
    throw err;
  } finally {
    secretKey.fill(0);
  }
  return {
    fingerprint: params.fingerprint,
    slotCount: params.slotCount,
    plainModulus: params.plainModulus,
    checkSumBound: (bound, parties) => checkSumBound(params, bound, parties),
    runningSum(sites, chunks, onComplete) {
      const agg = bfv.aggregator();
      // Each chunk's sum once every site has sent it (reduced: one ciphertext per chunk).
      const sums: (Uint8Array | undefined)[] = new Array(chunks);
      let complete = 0;
      return {
        add(chunkIndex, ciphertext) {
          if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= chunks) throw new Error('chunk index outside the layout');
          agg.add(chunkIndex, ciphertext);
          if (agg.count(chunkIndex) < sites) return;
          // Every site has sent this chunk: its running sums are reduced and freed. Decryption waits for
          // totals(): decrypting while the sites stream held up the coordinator's reads (measured: slower).
          sums[chunkIndex] = agg.take(chunkIndex);
          complete += 1;
          onComplete?.(chunkIndex);
        },
        chunkTotals(chunkIndex, valueCount, signed) {
          const sum = sums[chunkIndex];
          if (sum === undefined) throw new Error(`chunk ${chunkIndex} is not summed over every site (or was taken)`);
          sums[chunkIndex] = undefined;
          const plain = decryptor.decryptVector([sum], valueCount);
          return toNumbers(signed ? centered(plain, params.plainModulus) : plain);
        },
        totals(valueCount, signed) {
          // `chunks` is the most the answer may hold (a packed answer holds fewer: its first `needed`).
          const needed = Math.max(1, Math.ceil(valueCount / params.slotCount));
          if (needed > chunks || complete !== needed) throw new Error(`${complete} of ${needed} chunks were summed over every site`);
          const held = sums.slice(0, needed);
          if (held.some((x) => x === undefined)) throw new Error('a chunk was already taken by chunkTotals');
          const plain = decryptor.decryptVector(held as Uint8Array[], valueCount);
          // DP-noisy totals may be negative: values above t/2 read as t - |x|.
          return toNumbers(signed ? centered(plain, params.plainModulus) : plain);
        },
        dispose() {
          agg.dispose();
          sums.fill(undefined);
        },
      };
    },
    dispose() {
      decryptor.dispose();
      bfv.dispose();
    },
  };
}
