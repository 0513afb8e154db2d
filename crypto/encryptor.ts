/**
 * Public-key encryption of count vectors, one ciphertext (slotCount counts)
 * at a time so a node can stream its answer: at N=8192 a ciphertext is
 * ~123 KB on the wire, and gRPC's default receive limit is 4 MB.
 */
import { CryptoError, wrapSeal } from './errors.js';
import { free, type BfvContext } from './bfv-context.js';
import { checkSumBound } from './overflow-guard.js';
import { fillSlots, type Counts, type SlotMask } from './slot-values.js';
import { addScaledPlain } from './plain-scaling.js';
import type * as S from 'node-seal';

export interface EncryptOptions {
  /** Largest value any single count can take (e.g. 2 x samples for AN). */
  readonly bound: number | bigint;
  /** Number of parties whose ciphertexts will be summed. */
  readonly parties: number;
}

export interface ChunkEncryptOptions extends EncryptOptions {
  /** Added mod t to the counts before encoding (secure-aggregation masks, noise shares). */
  readonly mask?: SlotMask;
}

export interface VectorEncryptOptions extends EncryptOptions {
  /** The mask of each chunk, asked for in order (so masks can come from a PRG on demand). */
  readonly mask?: (chunkIndex: number) => SlotMask | undefined;
}

export interface Encryptor {
  encryptChunk(values: Counts, opts: ChunkEncryptOptions): Uint8Array;
  encryptVector(values: Counts, opts: VectorEncryptOptions): Generator<Uint8Array>;
  dispose(): void;
}

export class BfvEncryptor implements Encryptor {
  private readonly ctx: BfvContext;
  private readonly publicKey: S.PublicKey;
  private readonly encryptor: S.Encryptor;
  private readonly plaintext: S.Plaintext;
  private readonly ciphertext: S.Ciphertext;
  private readonly slots: BigUint64Array;
  private readonly slots32: Uint32Array;
  private readonly t: number;
  /** Scratch for one ciphertext's coefficients (u32 pairs). */
  private readonly words: Uint32Array;
  private disposed = false;

  constructor(ctx: BfvContext, publicKeyBytes: Uint8Array) {
    ctx.assertLive();
    this.ctx = ctx;
    this.publicKey = ctx.loadPublicKey(publicKeyBytes);
    try {
      this.encryptor = new ctx.seal.Encryptor(ctx.context, this.publicKey);
      this.plaintext = new ctx.seal.Plaintext();
      this.ciphertext = new ctx.seal.Ciphertext();
    } catch (err) {
      this.freeAll();
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'cannot create a SEAL encryptor', err);
    }
    this.slots = new BigUint64Array(ctx.params.slotCount);
    this.slots32 = new Uint32Array(this.slots.buffer);
    this.t = Number(ctx.params.plainModulus);
    this.words = new Uint32Array(ctx.layout.coeffCount * 2);
    ctx.track(this);
  }

  encryptChunk(values: Counts, opts: ChunkEncryptOptions): Uint8Array {
    this.assertLive();
    checkSumBound(this.ctx.params, opts.bound, opts.parties);
    return this.encryptRange(values, 0, values.length, Number(opts.bound), opts.mask);
  }

  *encryptVector(values: Counts, opts: VectorEncryptOptions): Generator<Uint8Array> {
    this.assertLive();
    checkSumBound(this.ctx.params, opts.bound, opts.parties);
    const slotCount = this.ctx.params.slotCount;
    const chunks = Math.max(1, Math.ceil(values.length / slotCount));
    for (let c = 0; c < chunks; c++) {
      const start = c * slotCount;
      yield this.encryptRange(values, start, Math.min(values.length, start + slotCount), Number(opts.bound), opts.mask?.(c));
    }
  }

  private encryptRange(values: Counts, start: number, end: number, bound: number, mask: SlotMask | undefined): Uint8Array {
    this.assertLive();
    fillSlots(this.slots32, values, start, end, bound, this.t, mask);
    const scaling = this.ctx.scaling;
    try {
      this.ctx.encoder.encode(this.slots, this.plaintext);
      if (scaling) {
        // SEAL's public-key part (u*pk + e), then c0 += round(q*m/t) here: see plain-scaling.ts.
        this.encryptor.encryptZero(this.ciphertext);
      } else {
        this.encryptor.encrypt(this.plaintext, this.ciphertext);
      }
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'SEAL failed to encrypt', err);
    }
    if (!scaling) return this.ctx.saveCiphertext(this.ciphertext);
    // Into the encryptor's own buffer: it is packed into the envelope below, before the next chunk.
    const words = this.ctx.ciphertextWords(this.ciphertext, this.words);
    addScaledPlain(scaling, words, this.ctx.plaintextWords(this.plaintext), this.ctx.params.polyModulusDegree);
    return this.ctx.envelopeFromWords(words);
  }

  private assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the encryptor was disposed');
    this.ctx.assertLive();
  }

  private freeAll(): void {
    free(this.ciphertext, this.plaintext, this.encryptor, this.publicKey);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.slots.fill(0n); // the last chunk's counts
    this.words.fill(0);
    try {
      this.plaintext.setZero();
    } catch {
      // freed below anyway
    }
    this.freeAll();
    this.ctx.untrack(this);
  }
}
