/**
 * Stable error codes of crypto/. crypto/ may not import proto/errors.ts, so
 * it keeps its own small base with the same shape (code, HTTP status, gRPC
 * status, cause); `test/crypto/errors.test.ts` checks every code is
 * documented in crypto/README.md.
 *
 * node-seal 7 throws `WebAssembly.Exception`s that are not `Error`s and whose
 * `message` is an array `[type, text]`; `wrapSeal` turns them into a
 * CryptoError with the original as `cause`. Messages never contain key
 * material, plaintext values or file paths (only basenames).
 */

export interface CryptoErrorSpec {
  /** HTTP status at the REST edge. */
  readonly http: number;
  /** gRPC status code (numeric, as in @grpc/grpc-js `status`). */
  readonly grpc: number;
  /** One sentence for the docs. */
  readonly doc: string;
}

// gRPC codes used below (kept numeric: crypto/ must not import grpc-js).
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const FAILED_PRECONDITION = 9;
const OUT_OF_RANGE = 11;
const INTERNAL = 13;
const DATA_LOSS = 15;

export const CRYPTO_ERRORS = {
  GENOFED_CRYPTO_PARAMS: { http: 500, grpc: FAILED_PRECONDITION, doc: 'A BFV parameter set is invalid or below 128-bit security (HE standard table), or a modulus is not a suitable prime.' },
  GENOFED_CRYPTO_PARAMS_MISMATCH: { http: 400, grpc: FAILED_PRECONDITION, doc: 'A key or ciphertext was made under other BFV parameters (its fingerprint differs) and is refused.' },
  GENOFED_CRYPTO_MALFORMED: { http: 400, grpc: INVALID_ARGUMENT, doc: 'Bytes are not a valid genofed key or ciphertext: bad magic, version or kind, truncated, checksum mismatch, or SEAL refused them.' },
  GENOFED_CRYPTO_INPUT: { http: 400, grpc: INVALID_ARGUMENT, doc: 'A count vector or mask is unusable: a value that is negative or not an integer, a chunk longer than the slot count, a mask of the wrong length.' },
  GENOFED_CRYPTO_OVERFLOW: { http: 400, grpc: OUT_OF_RANGE, doc: 'A sum could reach the plain modulus (bound x parties >= t), a value exceeds its stated bound, or a mask value is not below t.' },
  GENOFED_CRYPTO_TOO_MANY_PARTIES: { http: 400, grpc: RESOURCE_EXHAUSTED, doc: 'More ciphertexts would be added into one aggregate than the parameter set\'s noise budget allows.' },
  GENOFED_CRYPTO_NOISE: { http: 500, grpc: DATA_LOSS, doc: 'A result is not released because its noise budget is below the safety margin: ciphertext under another key, or too many additions.' },
  GENOFED_CRYPTO_KEY_FILE: { http: 500, grpc: FAILED_PRECONDITION, doc: 'A key file cannot be read or written, holds another kind of key, or is a secret key readable by group or others (must be 0600).' },
  GENOFED_CRYPTO_DISPOSED: { http: 500, grpc: INTERNAL, doc: 'A crypto object was used after dispose() or close().' },
  GENOFED_CRYPTO_WORKER: { http: 500, grpc: INTERNAL, doc: 'An encryption worker thread failed or exited; the pool is closed.' },
  GENOFED_CRYPTO_INTERNAL: { http: 500, grpc: INTERNAL, doc: 'SEAL raised an unexpected exception; the original is kept as cause.' },
} as const satisfies Readonly<Record<string, CryptoErrorSpec>>;

export type CryptoErrorCode = keyof typeof CRYPTO_ERRORS;

/** The one error class crypto/ throws; same shape as proto's GenofedError. */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  readonly httpStatus: number;
  readonly grpcStatus: number;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
    this.httpStatus = CRYPTO_ERRORS[code].http;
    this.grpcStatus = CRYPTO_ERRORS[code].grpc;
  }
}

/** Text of a node-seal exception (`message` is `[type, text]`), for messages. */
export function sealMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const m = (err as { message?: unknown } | null)?.message;
  if (Array.isArray(m)) return m.filter((x) => typeof x === 'string').join(': ');
  if (typeof m === 'string') return m;
  return String(err);
}

/** Rethrow anything as a CryptoError (CryptoErrors pass through unchanged). */
export function wrapSeal(code: CryptoErrorCode, what: string, err: unknown): CryptoError {
  if (err instanceof CryptoError) return err;
  return new CryptoError(code, `${what}: ${sealMessage(err)}`, { cause: err });
}
