/**
 * One SEAL context per parameter set and thread, with the objects every
 * operation reuses (batch encoder, evaluator, the ciphertext byte layout).
 * Building a context costs ~20-60 ms (NTT tables), so it is built once and
 * shared by every encryptor, aggregator and decryptor made from it.
 *
 * Internal to crypto/: node-seal objects never leave this folder. Every
 * SEAL object created here is freed in dispose() or in a `finally`.
 */
import { CryptoError, wrapSeal } from './errors.js';
import { HEADER_BYTES, allocateEnvelope, openEnvelope, sealEnvelope, wrapEnvelope, type EnvelopeKind } from './envelope.js';
import { makeLayout, packWords, sealWords, unpackCoefficients, unpackScratch, type CoeffLayout, type UnpackScratch } from './coeff-packing.js';
import { scalingConstants, type ScalingConstants } from './plain-scaling.js';
import type { BfvParams } from './params.js';
import { loadSeal, type Seal } from './seal-runtime.js';
import type * as S from 'node-seal';

export interface Disposable {
  dispose(): void;
}

/** Free SEAL handles, ignoring ones already freed. */
export function free(...handles: ({ delete(): void; isDeleted(): boolean } | undefined)[]): void {
  for (const h of handles) {
    if (h && !h.isDeleted()) h.delete();
  }
}

export class BfvContext {
  readonly params: BfvParams;
  readonly seal: Seal;
  readonly context: S.SEALContext;
  readonly encoder: S.BatchEncoder;
  readonly evaluator: S.Evaluator;
  readonly layout: CoeffLayout;
  readonly none: S.ComprModeType;
  /**
   * Set when encryption may add the scaled plaintext in JavaScript (one
   * coefficient prime, exact double arithmetic; see plain-scaling.ts).
   */
  readonly scaling: ScalingConstants | undefined;
  /** SEAL bytes before the coefficients of a batch-encoded plaintext. */
  readonly plainPrefix: Uint8Array;
  private readonly children = new Set<Disposable>();
  private readonly scratch: UnpackScratch;
  private disposed = false;

  private constructor(params: BfvParams, seal: Seal, context: S.SEALContext, encoder: S.BatchEncoder, evaluator: S.Evaluator, layout: CoeffLayout, plainPrefix: Uint8Array) {
    this.params = params;
    this.plainPrefix = plainPrefix;
    this.scaling = params.coeffModulus.length === 1 ? scalingConstants(params.coeffModulus[0]!, params.plainModulus) : undefined;
    this.seal = seal;
    this.context = context;
    this.encoder = encoder;
    this.evaluator = evaluator;
    this.layout = layout;
    this.scratch = unpackScratch(layout);
    this.none = seal.ComprModeType.none;
  }

  static async create(params: BfvParams): Promise<BfvContext> {
    const seal = await loadSeal();
    let parms: S.EncryptionParameters | undefined;
    let vec: S.VectorModulus | undefined;
    let plain: S.Modulus | undefined;
    const moduli: S.Modulus[] = [];
    let context: S.SEALContext | undefined;
    let contextData: S.ContextData | undefined;
    let qualifiers: S.EncryptionParameterQualifiers | undefined;
    let encoder: S.BatchEncoder | undefined;
    let evaluator: S.Evaluator | undefined;
    try {
      parms = new seal.EncryptionParameters(seal.SchemeType.bfv);
      parms.setPolyModulusDegree(params.polyModulusDegree);
      vec = new seal.VectorModulus();
      for (const q of params.coeffModulus) {
        const m = new seal.Modulus(q);
        moduli.push(m);
        if (!m.isPrime()) throw new CryptoError('GENOFED_CRYPTO_PARAMS', 'SEAL does not accept a coefficient prime as prime');
        vec.push_back(m);
      }
      parms.setCoeffModulus(vec);
      plain = new seal.Modulus(params.plainModulus);
      parms.setPlainModulus(plain);
      // SEAL enforces the HE-standard table itself with tc128.
      context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
      if (!context.parametersSet()) throw new CryptoError('GENOFED_CRYPTO_PARAMS', `SEAL refuses parameter set ${params.name}`);
      contextData = context.firstContextData();
      qualifiers = contextData.qualifiers();
      if (!qualifiers.usingBatching) throw new CryptoError('GENOFED_CRYPTO_PARAMS', `parameter set ${params.name} does not allow batching`);
      encoder = new seal.BatchEncoder(context);
      if (encoder.slotCount() !== params.slotCount) throw new CryptoError('GENOFED_CRYPTO_PARAMS', 'slot count differs from N');
      evaluator = new seal.Evaluator(context);
      const layout = makeLayout(captureCiphertextPrefix(seal, context, params), params.polyModulusDegree, params.coeffModulus);
      const ctx = new BfvContext(params, seal, context, encoder, evaluator, layout, capturePlaintextPrefix(seal, encoder, params));
      context = encoder = evaluator = undefined; // owned by ctx now
      return ctx;
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_PARAMS', `cannot build a SEAL context for ${params.name}`, err);
    } finally {
      free(qualifiers, contextData, parms, vec, plain, ...moduli, encoder, evaluator, context);
    }
  }

  assertLive(): void {
    if (this.disposed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the BFV context was disposed');
  }

  track<T extends Disposable>(child: T): T {
    this.children.add(child);
    return child;
  }

  untrack(child: Disposable): void {
    this.children.delete(child);
  }

  /** Bytes of a serialized ciphertext envelope under these parameters. */
  get ciphertextBytes(): number {
    return HEADER_BYTES + this.layout.packedBytes;
  }

  /** Serialize a ciphertext into our envelope (coefficients packed tightly). */
  saveCiphertext(ct: S.Ciphertext): Uint8Array {
    return this.envelopeFromWords(this.ciphertextWords(ct));
  }

  /** A ciphertext's coefficients as aligned u32 pairs (lo, hi): c0 first, then c1. */
  ciphertextWords(ct: S.Ciphertext, into?: Uint32Array): Uint32Array {
    if (ct.size() !== 2) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `ciphertext has size ${ct.size()}, expected 2`);
    let raw: Uint8Array;
    try {
      raw = ct.saveToArray(this.none) as Uint8Array;
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'cannot serialize a ciphertext', err);
    }
    return sealWords(this.layout, raw, into);
  }

  /** Envelope of ciphertext coefficients given as u32 pairs. */
  envelopeFromWords(words: Uint32Array): Uint8Array {
    const out = allocateEnvelope('ciphertext', this.params, this.layout.packedBytes);
    packWords(this.layout, words, out.subarray(HEADER_BYTES));
    return sealEnvelope(out);
  }

  /** A batch-encoded plaintext's N coefficients (each < t) as u32 pairs. */
  plaintextWords(pt: S.Plaintext): Uint32Array {
    let raw: Uint8Array;
    try {
      raw = pt.saveToArray(this.none) as Uint8Array;
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'cannot serialize a plaintext', err);
    }
    const prefix = this.plainPrefix;
    const n = this.params.polyModulusDegree;
    if (raw.byteLength !== prefix.byteLength + n * 8) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `unexpected SEAL plaintext length ${raw.byteLength}`);
    for (let i = 0; i < prefix.byteLength; i++) {
      if (raw[i] !== prefix[i]) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'unexpected SEAL plaintext header');
    }
    const start = raw.byteOffset + prefix.byteLength;
    if (start % 4 === 0) return new Uint32Array(raw.buffer, start, n * 2);
    const words = new Uint32Array(n * 2);
    new Uint8Array(words.buffer).set(raw.subarray(prefix.byteLength));
    return words;
  }

  /** Check an envelope and load it into `into` (reused by callers to avoid allocations). */
  loadCiphertext(bytes: Uint8Array, into: S.Ciphertext): void {
    const payload = openEnvelope(bytes, 'ciphertext', this.params, this.layout.packedBytes);
    const raw = unpackCoefficients(this.layout, payload, this.scratch); // copied into WASM by loadFromArray
    try {
      into.loadFromArray(this.context, raw);
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_MALFORMED', 'SEAL refused the ciphertext', err);
    }
    if (into.size() !== 2) throw new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext has size ${into.size()}, expected 2`);
  }

  saveKey(kind: Exclude<EnvelopeKind, 'ciphertext'>, key: S.PublicKey | S.SecretKey): Uint8Array {
    let raw: Uint8Array | undefined;
    try {
      raw = key.saveToArray(this.none) as Uint8Array;
      return wrapEnvelope(kind, this.params, raw);
    } catch (err) {
      throw wrapSeal('GENOFED_CRYPTO_INTERNAL', `cannot serialize a ${kind}`, err);
    } finally {
      raw?.fill(0); // the intermediate copy of a secret key does not linger in the JS heap
    }
  }

  loadPublicKey(bytes: Uint8Array): S.PublicKey {
    const payload = openEnvelope(bytes, 'public-key', this.params);
    const key = new this.seal.PublicKey();
    try {
      key.loadFromArray(this.context, payload.slice());
      return key;
    } catch (err) {
      key.delete();
      throw wrapSeal('GENOFED_CRYPTO_MALFORMED', 'SEAL refused the public key', err);
    }
  }

  loadSecretKey(bytes: Uint8Array): S.SecretKey {
    const payload = openEnvelope(bytes, 'secret-key', this.params);
    const key = new this.seal.SecretKey();
    const copy = payload.slice();
    try {
      key.loadFromArray(this.context, copy);
      return key;
    } catch (err) {
      key.delete();
      throw wrapSeal('GENOFED_CRYPTO_MALFORMED', 'SEAL refused the secret key', err);
    } finally {
      copy.fill(0);
    }
  }

  /** Dispose children first (they hold keys bound to this context), then the context. */
  dispose(): void {
    if (this.disposed) return;
    for (const c of [...this.children]) c.dispose();
    this.children.clear();
    this.disposed = true;
    free(this.encoder, this.evaluator, this.context);
  }
}

/** SEAL's bytes before the coefficients of a batch-encoded plaintext (88 bytes), from an encoding of zeros. */
function capturePlaintextPrefix(seal: Seal, encoder: S.BatchEncoder, params: BfvParams): Uint8Array {
  const pt = new seal.Plaintext();
  try {
    encoder.encode(new BigUint64Array(params.slotCount), pt);
    const raw = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
    return raw.slice(0, raw.byteLength - params.polyModulusDegree * 8);
  } finally {
    pt.delete();
  }
}

/**
 * SEAL's bytes before the coefficient data of a size-2 ciphertext under
 * these parameters (113 bytes for one prime), from an encryption of zero
 * under a throwaway key.
 */
function captureCiphertextPrefix(seal: Seal, context: S.SEALContext, params: BfvParams): Uint8Array {
  let kg: S.KeyGenerator | undefined;
  let pk: S.PublicKey | undefined;
  let enc: S.Encryptor | undefined;
  let ct: S.Ciphertext | undefined;
  try {
    kg = new seal.KeyGenerator(context);
    pk = kg.createPublicKey();
    enc = new seal.Encryptor(context, pk);
    ct = new seal.Ciphertext();
    enc.encryptZero(ct);
    const raw = ct.saveToArray(seal.ComprModeType.none) as Uint8Array;
    const dataBytes = 2 * params.coeffModulus.length * params.polyModulusDegree * 8;
    return raw.slice(0, raw.byteLength - dataBytes);
  } finally {
    free(ct, enc, pk, kg);
  }
}
