/**
 * Decryption of aggregated ciphertexts, with the noise-budget check that
 * stands between a sum and its release. A ciphertext under another key, or
 * one that went through too many additions, decrypts to garbage without any
 * SEAL error; the only signal is SEAL's invariant noise budget, which is 0
 * for such ciphertexts (measured: 0 in every trial under a wrong key) and
 * 13-19 bits for honest sums of up to 1000 parties under our presets.
 */
import { CryptoError, wrapSeal } from './errors.js';
import { free, type BfvContext } from './bfv-context.js';
import type * as S from 'node-seal';

import { MIN_RELEASE_BUDGET_BITS } from './params.js';

export { MIN_RELEASE_BUDGET_BITS };

export interface Decryptor {
  decryptChunk(ciphertext: Uint8Array): BigUint64Array;
  decryptVector(chunks: readonly Uint8Array[], length: number): BigUint64Array;
  noiseBudget(ciphertext: Uint8Array): number;
  dispose(): void;
}

export class BfvDecryptor implements Decryptor {
  private readonly ctx: BfvContext;
  private readonly secretKey: S.SecretKey;
  private readonly decryptor: S.Decryptor;
  private readonly ciphertext: S.Ciphertext;
  private readonly plaintext: S.Plaintext;
  private disposed = false;

  constructor(ctx: BfvContext, secretKeyBytes: Uint8Array) {
    ctx.assertLive();
    this.ctx = ctx;
    this.secretKey = ctx.loadSecretKey(secretKeyBytes);
    try {
      this.decryptor = new ctx.seal.Decryptor(ctx.context, this.secretKey);
      this.ciphertext = new ctx.seal.Ciphertext();
      this.plaintext = new ctx.seal.Plaintext();
    } catch (err) {
      free(this.secretKey);
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'cannot create a SEAL decryptor', err);
    }
    ctx.track(this);
  }

  noiseBudget(ciphertext: Uint8Array): number {
    this.assertLive();
    this.ctx.loadCiphertext(ciphertext, this.ciphertext);
    return this.budgetOfLoaded();
  }

  decryptChunk(ciphertext: Uint8Array): BigUint64Array {
    this.assertLive();
    this.ctx.loadCiphertext(ciphertext, this.ciphertext);
    const budget = this.budgetOfLoaded();
    if (budget < MIN_RELEASE_BUDGET_BITS) {
      throw new CryptoError(
        'GENOFED_CRYPTO_NOISE',
        `noise budget ${budget} bits is below the release margin of ${MIN_RELEASE_BUDGET_BITS}: ciphertext under another key, or too many additions; not released`,
      );
    }
    try {
      this.decryptor.decrypt(this.ciphertext, this.plaintext);
      return this.ctx.encoder.decodeBigUint64(this.plaintext) as BigUint64Array;
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'SEAL failed to decrypt', err);
    } finally {
      this.plaintext.setZero();
    }
  }

  decryptVector(chunks: readonly Uint8Array[], length: number): BigUint64Array {
    const slotCount = this.ctx.params.slotCount;
    if (!Number.isSafeInteger(length) || length < 0) throw new CryptoError('GENOFED_CRYPTO_INPUT', 'length must be a non-negative integer');
    const expected = Math.max(1, Math.ceil(length / slotCount));
    if (chunks.length !== expected) {
      throw new CryptoError('GENOFED_CRYPTO_INPUT', `a vector of ${length} values needs ${expected} ciphertexts, got ${chunks.length}`);
    }
    const out = new BigUint64Array(length);
    for (const [c, chunk] of chunks.entries()) {
      const values = this.decryptChunk(chunk);
      const start = c * slotCount;
      out.set(values.subarray(0, Math.min(slotCount, length - start)), start);
    }
    return out;
  }

  private budgetOfLoaded(): number {
    try {
      return this.decryptor.invariantNoiseBudget(this.ciphertext);
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'SEAL failed to measure the noise budget', err);
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the decryptor was disposed');
    this.ctx.assertLive();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    free(this.plaintext, this.ciphertext, this.decryptor, this.secretKey);
    this.ctx.untrack(this);
  }
}
