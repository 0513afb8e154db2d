/**
 * The public surface of crypto/ (see README.md). Import only from here.
 */

// Stable error codes; every error thrown by crypto/ is a CryptoError.
export { CryptoError, CRYPTO_ERRORS, type CryptoErrorCode, type CryptoErrorSpec } from './errors.js';
// Validated, frozen parameter sets and the two presets.
export { getPreset, defineParams, HE_STANDARD_MAX_LOG_Q_128, type BfvParams, type BfvParamsLiteral, type PresetName } from './params.js';
// Refuse sums that could wrap mod t before anything is encrypted.
export { checkSumBound } from './overflow-guard.js';
// Context, keys, encryptors (nodes), aggregators and decryptors (coordinator).
export { createBfv, type Bfv, type KeyPair } from './bfv.js';
export type { Encryptor, EncryptOptions, ChunkEncryptOptions, VectorEncryptOptions } from './encryptor.js';
export type { Aggregator } from './aggregator.js';
export { MIN_RELEASE_BUDGET_BITS, type Decryptor } from './decryptor.js';
// Views of decrypted sums, and the input types.
export { centered, toNumbers, type Counts, type SlotMask } from './slot-values.js';
// Key files (secret keys 0600, atomic).
export { writeSecretKeyFile, writePublicKeyFile, readKeyFile, type KeyKind } from './key-files.js';
// Read an envelope's kind and fingerprint without loading it (routing, diagnostics).
export { inspectEnvelope, type EnvelopeInfo, type EnvelopeKind } from './envelope.js';
// Encryption on worker threads (each with its own SEAL instance).
export { EncryptorPool, type PoolEncryptOptions } from './encryptor-pool.js';
