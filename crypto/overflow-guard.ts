/**
 * The overflow guard. BFV sums are exact only modulo t: a sum that reaches t
 * wraps silently ((t-1) + 2 decrypts as 1), which would be a wrong allele
 * count with no error anywhere. So before anything is encrypted the caller
 * states the largest value any single count can take (`bound`, e.g. 2 x the
 * site's sample count for AN) and how many parties will be summed; if
 * bound x parties could reach t, encryption is refused. With masks, this
 * bounds the true (unmasked) sum, which is what must stay below t.
 */
import { CryptoError } from './errors.js';
import type { BfvParams } from './params.js';

/** Throws unless `parties` sums of values <= `bound` stay below t and within the noise budget. */
export function checkSumBound(params: BfvParams, bound: number | bigint, parties: number): void {
  if (!Number.isInteger(parties) || parties < 1) {
    throw new CryptoError('GENOFED_CRYPTO_INPUT', 'parties must be a positive integer');
  }
  if (parties > params.maxParties) {
    throw new CryptoError('GENOFED_CRYPTO_TOO_MANY_PARTIES', `${parties} parties exceed the ${params.maxParties} that parameter set ${params.name} supports with a safe noise margin`);
  }
  let b: bigint;
  if (typeof bound === 'bigint') b = bound;
  else if (Number.isSafeInteger(bound)) b = BigInt(bound);
  else throw new CryptoError('GENOFED_CRYPTO_INPUT', 'bound must be a non-negative integer');
  if (b < 0n) throw new CryptoError('GENOFED_CRYPTO_INPUT', 'bound must be a non-negative integer');
  if (b * BigInt(parties) >= params.plainModulus) {
    throw new CryptoError(
      'GENOFED_CRYPTO_OVERFLOW',
      `a sum of ${parties} values up to ${b} could reach the plain modulus ${params.plainModulus}; refusing to encrypt (it would wrap silently)`,
    );
  }
}
