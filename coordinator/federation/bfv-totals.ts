/**
 * The engine's crypto port on crypto/: overflow check, homomorphic sum per
 * chunk across sites, decryption with the noise-budget check. One SEAL
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
    sumAndDecrypt(perSite, valueCount, signed = false) {
      const chunks = perSite[0]?.length ?? 0;
      const agg = bfv.aggregator();
      try {
        const sums: Uint8Array[] = [];
        for (let i = 0; i < chunks; i++) {
          for (const site of perSite) agg.add(i, site[i]!);
          sums.push(agg.result(i));
        }
        const plain = decryptor.decryptVector(sums, valueCount);
        // DP-noisy totals may be negative: values above t/2 read as t - |x|.
        return toNumbers(signed ? centered(plain, params.plainModulus) : plain);
      } finally {
        agg.dispose();
      }
    },
    dispose() {
      decryptor.dispose();
      bfv.dispose();
    },
  };
}
