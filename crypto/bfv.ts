/**
 * The entry point of crypto/: `createBfv(params)` builds the SEAL context
 * once and hands out encryptors (nodes), aggregators and decryptors
 * (coordinator). Everything crosses this boundary as Uint8Array envelopes,
 * typed arrays and bigint; no node-seal object escapes.
 */
import { wrapSeal } from './errors.js';
import { BfvContext, free } from './bfv-context.js';
import { BfvEncryptor, type Encryptor } from './encryptor.js';
import { BfvAggregator, type Aggregator } from './aggregator.js';
import { BfvDecryptor, type Decryptor } from './decryptor.js';
import type { BfvParams } from './params.js';
import type * as S from 'node-seal';

export interface KeyPair {
  /** Envelope of kind 'public-key': give it to every node. */
  readonly publicKey: Uint8Array;
  /** Envelope of kind 'secret-key': stays with the coordinator, on disk mode 0600. */
  readonly secretKey: Uint8Array;
}

export interface Bfv {
  readonly params: BfvParams;
  generateKeys(): KeyPair;
  /** Ciphertexts needed for a vector of `length` counts (at least 1). */
  ciphertextCount(length: number): number;
  /** Bytes of one serialized ciphertext (envelope included). */
  readonly ciphertextBytes: number;
  encryptor(publicKey: Uint8Array): Encryptor;
  aggregator(): Aggregator;
  decryptor(secretKey: Uint8Array): Decryptor;
  /** Frees the context and every encryptor/aggregator/decryptor made from it. */
  dispose(): void;
}

class BfvImpl implements Bfv {
  constructor(private readonly ctx: BfvContext) {}

  get params(): BfvParams {
    return this.ctx.params;
  }

  get ciphertextBytes(): number {
    return this.ctx.ciphertextBytes;
  }

  generateKeys(): KeyPair {
    this.ctx.assertLive();
    const { seal, context } = this.ctx;
    let kg: S.KeyGenerator | undefined;
    let pk: S.PublicKey | undefined;
    let sk: S.SecretKey | undefined;
    try {
      kg = new seal.KeyGenerator(context);
      pk = kg.createPublicKey();
      sk = kg.secretKey();
      return { publicKey: this.ctx.saveKey('public-key', pk), secretKey: this.ctx.saveKey('secret-key', sk) };
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'SEAL failed to generate keys', err);
    } finally {
      free(sk, pk, kg);
    }
  }

  ciphertextCount(length: number): number {
    return Math.max(1, Math.ceil(length / this.ctx.params.slotCount));
  }

  encryptor(publicKey: Uint8Array): Encryptor {
    return new BfvEncryptor(this.ctx, publicKey);
  }

  aggregator(): Aggregator {
    return new BfvAggregator(this.ctx);
  }

  decryptor(secretKey: Uint8Array): Decryptor {
    return new BfvDecryptor(this.ctx, secretKey);
  }

  dispose(): void {
    this.ctx.dispose();
  }
}

/** Build the SEAL context for `params` (once per parameter set and thread; reuse it). */
export async function createBfv(params: BfvParams): Promise<Bfv> {
  return new BfvImpl(await BfvContext.create(params));
}
