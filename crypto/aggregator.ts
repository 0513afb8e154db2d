/**
 * Homomorphic addition of serialized ciphertexts from many parties, per
 * chunk index, without decrypting. Each incoming ciphertext is checked
 * (envelope, fingerprint, CRC, coefficients below q), loaded into one reused
 * scratch ciphertext and added into the chunk's running sum, so memory is
 * one ciphertext per chunk (~131 KB of WASM heap at N=8192) whatever the
 * number of parties.
 */
import { CryptoError, wrapSeal } from './errors.js';
import { free, type BfvContext } from './bfv-context.js';
import type * as S from 'node-seal';

export interface Aggregator {
  add(chunkIndex: number, ciphertext: Uint8Array): void;
  count(chunkIndex: number): number;
  result(chunkIndex: number): Uint8Array;
  dispose(): void;
}

interface Running {
  sum: S.Ciphertext;
  count: number;
}

export class BfvAggregator implements Aggregator {
  private readonly ctx: BfvContext;
  private readonly scratch: S.Ciphertext;
  private readonly sums = new Map<number, Running>();
  private disposed = false;

  constructor(ctx: BfvContext) {
    ctx.assertLive();
    this.ctx = ctx;
    this.scratch = new ctx.seal.Ciphertext();
    ctx.track(this);
  }

  add(chunkIndex: number, ciphertext: Uint8Array): void {
    this.assertLive();
    if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0) throw new CryptoError('GENOFED_CRYPTO_INPUT', 'chunkIndex must be a non-negative integer');
    const running = this.sums.get(chunkIndex);
    const max = this.ctx.params.maxParties;
    if (running && running.count >= max) {
      throw new CryptoError('GENOFED_CRYPTO_TOO_MANY_PARTIES', `chunk ${chunkIndex} already sums ${max} ciphertexts, the most parameter set ${this.ctx.params.name} supports with a safe noise margin`);
    }
    if (!running) {
      const sum = new this.ctx.seal.Ciphertext();
      try {
        this.ctx.loadCiphertext(ciphertext, sum);
      } catch (err) {
        sum.delete();
        throw err;
      }
      this.sums.set(chunkIndex, { sum, count: 1 });
      return;
    }
    this.ctx.loadCiphertext(ciphertext, this.scratch);
    try {
      this.ctx.evaluator.addInplace(running.sum, this.scratch);
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_MALFORMED', `cannot add a ciphertext into chunk ${chunkIndex}`, err);
    }
    running.count++;
  }

  count(chunkIndex: number): number {
    return this.sums.get(chunkIndex)?.count ?? 0;
  }

  result(chunkIndex: number): Uint8Array {
    this.assertLive();
    const running = this.sums.get(chunkIndex);
    if (!running) throw new CryptoError('GENOFED_CRYPTO_INPUT', `no ciphertext was added at chunk ${chunkIndex}`);
    return this.ctx.saveCiphertext(running.sum);
  }

  private assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the aggregator was disposed');
    this.ctx.assertLive();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.sums.values()) free(r.sum);
    this.sums.clear();
    free(this.scratch);
    this.ctx.untrack(this);
  }
}
