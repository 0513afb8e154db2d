/**
 * The envelope around every serialized key and ciphertext:
 *
 *   0  "GFHE" magic             4 bytes
 *   4  format version (1)       1 byte
 *   5  kind                     1 byte  (1 public key, 2 secret key, 3 ciphertext)
 *   6  reserved (0)             2 bytes
 *   8  parameter fingerprint    16 bytes
 *   24 payload length           u32 LE
 *   28 CRC-32                   u32 LE, over bytes 0..27 then the payload
 *   32 payload
 *
 * 32 bytes (0.004 B per count at N=8192), a multiple of 8 so the payload
 * stays aligned. The CRC catches truncation and corruption (zlib's crc32
 * runs at several GB/s); it is not authentication, which is mTLS's job.
 */
import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';
import { CryptoError } from './errors.js';
import type { BfvParams } from './params.js';

export const HEADER_BYTES = 32;
const MAGIC = [0x47, 0x46, 0x48, 0x45]; // "GFHE"
const VERSION = 1;

export type EnvelopeKind = 'public-key' | 'secret-key' | 'ciphertext';
const KIND_CODE: Readonly<Record<EnvelopeKind, number>> = { 'public-key': 1, 'secret-key': 2, ciphertext: 3 };
const KIND_BY_CODE: readonly (EnvelopeKind | undefined)[] = [undefined, 'public-key', 'secret-key', 'ciphertext'];

export interface EnvelopeInfo {
  readonly kind: EnvelopeKind;
  readonly fingerprint: string;
  readonly byteLength: number;
}

function malformed(message: string): CryptoError {
  return new CryptoError('GENOFED_CRYPTO_MALFORMED', message);
}

/** Allocate an envelope with room for `payloadBytes`; fill the payload, then call `seal`. */
export function allocateEnvelope(kind: EnvelopeKind, params: BfvParams, payloadBytes: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payloadBytes);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = KIND_CODE[kind];
  out.set(Buffer.from(params.fingerprint, 'hex'), 8);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(24, payloadBytes, true);
  return out;
}

/** Write the CRC once the payload is in place. */
export function sealEnvelope(envelope: Uint8Array): Uint8Array {
  const crc = crc32(envelope.subarray(HEADER_BYTES), crc32(envelope.subarray(0, 28)));
  new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength).setUint32(28, crc, true);
  return envelope;
}

/** Wrap a finished payload. */
export function wrapEnvelope(kind: EnvelopeKind, params: BfvParams, payload: Uint8Array): Uint8Array {
  const out = allocateEnvelope(kind, params, payload.byteLength);
  out.set(payload, HEADER_BYTES);
  return sealEnvelope(out);
}

/** Read the header without checking parameters or CRC (for routing and diagnostics). */
export function inspectEnvelope(bytes: Uint8Array): EnvelopeInfo {
  if (!(bytes instanceof Uint8Array)) throw malformed('expected a Uint8Array');
  if (bytes.byteLength < HEADER_BYTES) throw malformed(`${bytes.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte genofed crypto header (truncated?)`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw malformed('not a genofed crypto object (bad magic)');
  }
  if (bytes[4] !== VERSION) throw malformed(`unsupported genofed crypto format version ${bytes[4]} (this build reads ${VERSION})`);
  const kind = KIND_BY_CODE[bytes[5]!];
  if (!kind) throw malformed(`unknown object kind ${bytes[5]}`);
  if (bytes[6] !== 0 || bytes[7] !== 0) throw malformed('reserved header bytes are not zero');
  return { kind, fingerprint: Buffer.from(bytes.buffer, bytes.byteOffset + 8, 16).toString('hex'), byteLength: bytes.byteLength };
}

/**
 * Check magic, version, kind, fingerprint, length and CRC; return the
 * payload (a view, not a copy).
 */
export function openEnvelope(bytes: Uint8Array, kind: EnvelopeKind, params: BfvParams, expectedPayloadBytes?: number): Uint8Array {
  const info = inspectEnvelope(bytes);
  if (info.kind !== kind) throw malformed(`expected a ${kind}, got a ${info.kind}`);
  if (info.fingerprint !== params.fingerprint) {
    throw new CryptoError(
      'GENOFED_CRYPTO_PARAMS_MISMATCH',
      `${kind} was made under BFV parameters ${info.fingerprint}, not ${params.fingerprint} (${params.name}); refused`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getUint32(24, true);
  const actual = bytes.byteLength - HEADER_BYTES;
  if (declared !== actual) throw malformed(`${kind} payload is ${actual} bytes but its header says ${declared} (truncated or padded)`);
  if (expectedPayloadBytes !== undefined && actual !== expectedPayloadBytes) {
    throw malformed(`${kind} payload is ${actual} bytes; ${expectedPayloadBytes} expected under ${params.name}`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  const crc = crc32(payload, crc32(bytes.subarray(0, 28)));
  if (crc !== view.getUint32(28, true)) throw malformed(`${kind} checksum mismatch (corrupted or modified bytes)`);
  return payload;
}
