/**
 * BFV parameter sets: a literal is validated into a frozen `BfvParams`
 * (lattigo's ParametersLiteral -> Parameters), and two named presets.
 *
 * Security: the HomomorphicEncryption.org standard (Albrecht et al. 2018,
 * table 1, classical 128-bit, ternary secret) caps the total coefficient
 * modulus bits at 27/54/109/218/438/881 for N = 1024...32768. SEAL's
 * SEALContext enforces the same table (sec_level tc128); we check it here
 * too so a bad literal fails before any WASM is touched.
 *
 * Why one 60-bit coefficient prime: genofed only adds ciphertexts (no
 * multiplications, no relinearization), so extra primes buy nothing. Measured
 * at N=8192: one 60-bit prime = 131,185 SEAL bytes per 8,192 counts (16.0 B
 * per count, 15.0 with our tight packing) and ~3.1-3.6 ms per public-key
 * encryption (2.4 ms CPU with plain-scaling.ts); SEAL's BFVDefault (218 bits
 * in five primes) costs 53 B per count for nothing.
 */
import { createHash } from 'node:crypto';
import { CryptoError } from './errors.js';
import { bitLength, isPrime } from './primality.js';

/** HE standard, classical 128-bit security: max total log2(q) per N. */
export const HE_STANDARD_MAX_LOG_Q_128: Readonly<Record<number, number>> = Object.freeze({
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
});

/**
 * q/t must leave room for encryption noise: fresh noise measured ~12 bits at
 * N=8192 (60-bit q, 30-bit t: budget 18 bits). 20 bits of headroom keeps a
 * fresh budget of ~8 bits in the worst case we accept.
 */
const MIN_Q_OVER_T_BITS = 20;

/**
 * Minimum noise budget (bits) to release a decrypted sum (decryptor.ts).
 * Decryption is exact whenever the budget is > 0; 2 bits more keep a margin
 * while being far below what honest sums have (>= 13 bits measured at 1000
 * parties under the presets).
 */
export const MIN_RELEASE_BUDGET_BITS = 2;

/**
 * Bits of noise in a fresh public-key encryption: 60-bit q and 30-bit t
 * leave an 18-bit budget at N=8192 (19 at N=4096), so ~12 bits; counted one
 * bit higher per doubling of N above 8192 to stay conservative.
 */
function freshNoiseBits(n: number): number {
  return 12 + Math.max(0, Math.log2(n / 8192));
}

export interface BfvParamsLiteral {
  readonly name?: string;
  readonly polyModulusDegree: number;
  readonly coeffModulus: readonly bigint[];
  readonly plainModulus: bigint;
  /** Max ciphertexts summed into one aggregate; derive it from measured noise budgets. */
  readonly maxParties: number;
}

/** A validated, immutable BFV parameter set. */
export interface BfvParams {
  readonly name: string;
  readonly scheme: 'bfv';
  readonly polyModulusDegree: number;
  readonly coeffModulus: readonly bigint[];
  /** Total bits of the coefficient modulus (sum over primes). */
  readonly coeffModulusBits: number;
  readonly plainModulus: bigint;
  /** Counts packed per ciphertext (batching: one per slot, = N). */
  readonly slotCount: number;
  readonly maxParties: number;
  /** 32 hex chars: first 16 bytes of SHA-256 over the canonical encoding. */
  readonly fingerprint: string;
}

export type PresetName = 'default' | 'test';

function bad(message: string): CryptoError {
  return new CryptoError('GENOFED_CRYPTO_PARAMS', message);
}

/** Canonical encoding hashed into the fingerprint (order and spelling are part of the format). */
export function canonicalEncoding(p: Pick<BfvParams, 'polyModulusDegree' | 'coeffModulus' | 'plainModulus'>): string {
  return `genofed-bfv-params/1\nscheme=bfv\nn=${p.polyModulusDegree}\nq=${p.coeffModulus.join(',')}\nt=${p.plainModulus}\n`;
}

/** Validate a literal into a frozen parameter set; throws GENOFED_CRYPTO_PARAMS naming the problem. */
export function defineParams(literal: BfvParamsLiteral): BfvParams {
  const n = literal.polyModulusDegree;
  const maxLogQ = HE_STANDARD_MAX_LOG_Q_128[n];
  if (!Number.isInteger(n) || maxLogQ === undefined) {
    throw bad(`polyModulusDegree must be a power of two from 1024 to 32768 (got ${String(n)})`);
  }
  const twoN = BigInt(2 * n);
  const q = [...literal.coeffModulus];
  if (q.length === 0) throw bad('coeffModulus must hold at least one prime');
  if (new Set(q).size !== q.length) throw bad('coeffModulus primes must be distinct');
  let totalBits = 0;
  for (const [i, qi] of q.entries()) {
    if (typeof qi !== 'bigint') throw bad(`coeffModulus[${i}] must be a bigint`);
    const bits = bitLength(qi);
    // SEAL's Modulus limit for coefficient primes is 60 bits.
    if (bits < 2 || bits > 60) throw bad(`coeffModulus[${i}] has ${bits} bits; SEAL allows 2 to 60`);
    if (!isPrime(qi)) throw bad(`coeffModulus[${i}] is not prime`);
    if (qi % twoN !== 1n) throw bad(`coeffModulus[${i}] is not 1 mod 2N (needed for the NTT)`);
    totalBits += bits;
  }
  if (totalBits > maxLogQ) {
    throw bad(`coefficient modulus has ${totalBits} bits; 128-bit security at N=${n} allows at most ${maxLogQ} (HE standard)`);
  }
  // The ciphertext layout, the plaintext scaling and the coordinator's packed sums are built for one prime
  // (with several, SEAL keeps the last, the special prime, out of ciphertexts: encryption failed).
  if (q.length > 1) throw bad(`coeffModulus must be one prime (got ${q.length}): genofed's ciphertexts are laid out for a single prime`);
  const t = literal.plainModulus;
  if (typeof t !== 'bigint' || !isPrime(t)) throw bad('plainModulus must be a prime bigint');
  if (t % twoN !== 1n) throw bad('plainModulus is not 1 mod 2N, so batching (one count per slot) is impossible');
  // Counts and masks are handled as 32-bit integers on the fast path (a
  // network AN above 4e9 alleles is not a genomics count).
  if (t >= 2n ** 32n) throw bad('plainModulus must be below 2^32');
  const minQ = q.reduce((a, b) => (b < a ? b : a));
  if (bitLength(minQ) - bitLength(t) < MIN_Q_OVER_T_BITS) {
    throw bad(`plainModulus leaves less than ${MIN_Q_OVER_T_BITS} bits of noise headroom under the coefficient modulus`);
  }
  if (!Number.isInteger(literal.maxParties) || literal.maxParties < 1) throw bad('maxParties must be a positive integer');
  // Worst case, noise adds up linearly: log2(maxParties) bits of budget are spent.
  const worstBudget = bitLength(minQ) - bitLength(t) - freshNoiseBits(n) - Math.log2(literal.maxParties);
  if (worstBudget < MIN_RELEASE_BUDGET_BITS) {
    throw bad(`maxParties ${literal.maxParties} could exhaust the noise budget (worst case ${worstBudget.toFixed(1)} bits left, ${MIN_RELEASE_BUDGET_BITS} needed)`);
  }

  const core = { polyModulusDegree: n, coeffModulus: Object.freeze(q), plainModulus: t };
  const fingerprint = createHash('sha256').update(canonicalEncoding(core)).digest().subarray(0, 16).toString('hex');
  return Object.freeze({
    name: literal.name ?? 'custom',
    scheme: 'bfv' as const,
    ...core,
    coeffModulusBits: totalBits,
    slotCount: n,
    maxParties: literal.maxParties,
    fingerprint,
  });
}

/*
 * Noise budgets (SEAL invariant noise budget, bits), measured with node-seal 7
 * on Node 24, sums of k fresh ciphertexts of random counts < 1000 / of
 * uniformly random masks mod t (same figures: SEAL encodes round(q*m/t), so
 * wrapping mod t costs no noise):
 *
 *   preset   N     log q  t (bits)   k=1  k=10  k=100  k=1000
 *   default  8192  60     30         18   16-17 15     13
 *   test     4096  60     30         19   17    15-16  14
 *   (8192, 60, t of 20 bits: 28 26-27 25 23; the 10 extra bits of t cost 10 bits of budget)
 *
 * The budget falls ~log2(sqrt(k)) (independent noise); in the worst case it
 * falls log2(k). maxParties = 1000 keeps >= 8 bits even in that worst case
 * (18 - 10) and ~13 bits as measured, far above the release margin of
 * MIN_RELEASE_BUDGET_BITS (decryptor.ts).
 *
 * t = 1073692673 (30 bits, 1 mod 16384, SEAL's PlainModulus.Batching(8192, 30)):
 * AN of 10^6 diploid samples is 2x10^6, 500x below t, so biobank-sized sums,
 * pairwise masks and DP noise shares (signed, centered view) all fit.
 */
const Q60 = 1152921504606830593n; // CoeffModulus.Create(8192, [60]): largest 60-bit prime = 1 mod 16384
const T30 = 1073692673n; // PlainModulus.Batching(8192, 30)

const PRESETS: Readonly<Record<PresetName, BfvParams>> = Object.freeze({
  // Production: N=8192, log q = 60 of the 218 bits the HE standard allows for
  // 128-bit security (far inside it), 8,192 counts per ciphertext.
  default: defineParams({ name: 'default', polyModulusDegree: 8192, coeffModulus: [Q60], plainModulus: T30, maxParties: 1000 }),
  // Tests: N=4096, log q = 60 of 109 allowed (still 128-bit secure), half
  // the size and ~half the encryption time; same t, so the same bounds.
  test: defineParams({ name: 'test', polyModulusDegree: 4096, coeffModulus: [Q60], plainModulus: T30, maxParties: 1000 }),
});

/** A named preset: 'default' for production, 'test' for fast tests. */
export function getPreset(name: PresetName): BfvParams {
  const p = PRESETS[name];
  if (!p) throw bad(`unknown preset '${String(name)}'; known: ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
