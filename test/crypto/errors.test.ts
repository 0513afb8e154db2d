/** crypto/'s error registry is documented, well-formed, and wraps node-seal exceptions. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRYPTO_ERRORS, CryptoError } from '../../crypto/index.js';
import { sealMessage, wrapSeal } from '../../crypto/errors.js';

const README = readFileSync(resolve(import.meta.dirname, '../../crypto/README.md'), 'utf8');

describe('crypto error registry', () => {
  it('every code is documented, maps to valid statuses and is listed in crypto/README.md', () => {
    const entries = Object.entries(CRYPTO_ERRORS);
    expect(entries.length).toBeGreaterThan(5);
    for (const [code, spec] of entries) {
      expect(code).toMatch(/^GENOFED_CRYPTO_[A-Z0-9_]+$/);
      expect(spec.doc.length).toBeGreaterThan(10);
      expect(spec.http).toBeGreaterThanOrEqual(400);
      expect(spec.http).toBeLessThan(600);
      expect(spec.grpc).toBeGreaterThan(0);
      expect(spec.grpc).toBeLessThanOrEqual(16);
      expect(README, `${code} missing from crypto/README.md`).toContain(`| ${code} |`);
    }
  });

  it('a node-seal exception (not an Error, message is an array) is wrapped with the original as cause', () => {
    const sealLike = { message: ['std::logic_error', 'ciphertext data is invalid'] };
    expect(sealLike instanceof Error).toBe(false);
    const err = wrapSeal('GENOFED_CRYPTO_MALFORMED', 'SEAL refused the ciphertext', sealLike);
    expect(err).toBeInstanceOf(CryptoError);
    expect(err.code).toBe('GENOFED_CRYPTO_MALFORMED');
    expect(err.message).toBe('SEAL refused the ciphertext: std::logic_error: ciphertext data is invalid');
    expect(err.cause).toBe(sealLike);
    expect(err.httpStatus).toBe(400);
    expect(err.grpcStatus).toBe(3);
    expect(sealMessage(new Error('plain'))).toBe('plain');
  });
});
