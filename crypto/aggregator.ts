/**
 * Homomorphic addition of serialized ciphertexts from many parties, per
 * chunk index, without decrypting and without SEAL.
 *
 * BFV addition is coefficient-wise addition modulo each prime of the
 * coefficient modulus (SEAL's add_poly_coeffmod), so the sum is computed
 * on the packed wire coefficients directly: each incoming ciphertext is
 * checked (envelope, fingerprint, length, CRC, every coefficient below its
 * prime) and added into the chunk's running sum; `result` packs the sum
 * into an envelope, the same bytes SEAL's evaluator produces
 * (test/crypto/packed-sum.test.ts); the noise-budget check stays on
 * decryption of that sum. A refused ciphertext leaves the sum as it was.
 *
 * Running sums: for the presets' layout (one 60-bit prime) 64-bit integers
 * kept reduced mod q in a small WebAssembly kernel (modq-sums.ts,
 * sum-kernel.ts); for other layouts Float64 halves reduced when read
 * (float-sums.ts). Measured (`npm run bench -- --suite crypto`,
 * coordinator_over_plain; figures in crypto/README.md): loading every
 * ciphertext into SEAL cost ~0.45 ms per ciphertext, the Float64 loop
 * ~0.1 ms (119-129 ms for the bench's 1,230), the kernel ~0.05 ms (64-74
 * ms), about half of which is the envelope's CRC (zlib, ~30 ms).
 */
import { HEADER_BYTES, allocateEnvelope, openEnvelope, sealEnvelope } from './envelope.js';
import { CryptoError } from './errors.js';
import { FloatSums } from './float-sums.js';
import { ModqSums, fitsModqKernel } from './modq-sums.js';
import type { BfvContext } from './bfv-context.js';

export interface Aggregator {
  add(chunkIndex: number, ciphertext: Uint8Array): void;
  count(chunkIndex: number): number;
  result(chunkIndex: number): Uint8Array;
  /** result(), then the chunk's running sum is freed (a later add starts it again). */
  take(chunkIndex: number): Uint8Array;
  dispose(): void;
}

/** How an aggregator keeps a chunk's running sum (`S`: one open sum). */
export interface SumStore<S> {
  /** A sum to be started by an add with `first` (its contents are unspecified until then). */
  open(): S;
  /** Add a payload (every coefficient checked below its prime); a refused one leaves the sum as it was. */
  add(sum: S, payload: Uint8Array, first: boolean): void;
  /** The sum, reduced and packed, into `out` (packedBytes long). */
  write(sum: S, out: Uint8Array): void;
  /** The sum is no longer used (its space may be reused). */
  free(sum: S): void;
}

const released = (): never => {
  throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the aggregator was disposed');
};
const RELEASED: SumStore<unknown> = { open: released, add: released, write: released, free: released };

interface Running<S> {
  sum: S;
  count: number;
}

/** `kernel` is for tests: 'float64' forces the generic path on any layout. */
export interface AggregatorOptions {
  kernel?: 'auto' | 'float64';
}

export class BfvAggregator implements Aggregator {
  private readonly ctx: BfvContext;
  /** Replaced by RELEASED on dispose, so the kernel's memory goes even if the aggregator is still referenced. */
  private store: SumStore<unknown>;
  private readonly sums = new Map<number, Running<unknown>>();
  private disposed = false;

  constructor(ctx: BfvContext, options: AggregatorOptions = {}) {
    ctx.assertLive();
    this.ctx = ctx;
    const { layout } = ctx;
    this.store = options.kernel !== 'float64' && fitsModqKernel(layout) ? new ModqSums(layout) : new FloatSums(layout, ctx.params.maxParties);
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
    const payload = openEnvelope(ciphertext, 'ciphertext', this.ctx.params, this.ctx.layout.packedBytes);
    if (running) {
      this.store.add(running.sum, payload, false);
      running.count++;
      return;
    }
    const sum = this.store.open();
    try {
      this.store.add(sum, payload, true);
    } catch (err) {
      this.store.free(sum); // refused: no sum is started at this chunk
      throw err;
    }
    this.sums.set(chunkIndex, { sum, count: 1 });
  }

  count(chunkIndex: number): number {
    return this.sums.get(chunkIndex)?.count ?? 0;
  }

  result(chunkIndex: number): Uint8Array {
    this.assertLive();
    const running = this.sums.get(chunkIndex);
    if (!running) throw new CryptoError('GENOFED_CRYPTO_INPUT', `no ciphertext was added at chunk ${chunkIndex}`);
    const out = allocateEnvelope('ciphertext', this.ctx.params, this.ctx.layout.packedBytes);
    this.store.write(running.sum, out.subarray(HEADER_BYTES));
    return sealEnvelope(out);
  }

  take(chunkIndex: number): Uint8Array {
    const out = this.result(chunkIndex);
    this.store.free(this.sums.get(chunkIndex)!.sum);
    this.sums.delete(chunkIndex);
    return out;
  }

  private assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the aggregator was disposed');
    this.ctx.assertLive();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sums.clear();
    this.store = RELEASED;
    this.ctx.untrack(this);
  }
}
