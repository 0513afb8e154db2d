/**
 * Running sums for coefficient layouts other than the presets' (a prime
 * of another width; defineParams allows one prime, the layout code is
 * written for any number): each coefficient's low 32 bits and
 * high bits are added into two Float64 accumulators (exact: each half is
 * < 2^32 and fewer than 2^20 parties are added, so sums stay below 2^53),
 * and each coefficient is reduced once modulo its prime when the sum is
 * read. The presets' layout goes through modq-sums.ts (WebAssembly).
 */
import { accumulateCoefficients, packWords, unpackScratch, type CoeffLayout, type UnpackScratch } from './coeff-packing.js';
import { CryptoError } from './errors.js';
import type { SumStore } from './aggregator.js';

const TWO32 = 4294967296;

/** Parties whose halves can be summed exactly in a double (each half < 2^32). */
const MAX_EXACT_PARTIES = 2 ** 20;

interface Halves {
  /** Sum of the low 32 bits of each coefficient. */
  lo: Float64Array;
  /** Sum of the high bits. */
  hi: Float64Array;
}

export class FloatSums implements SumStore<Halves> {
  private readonly layout: CoeffLayout;
  private readonly scratch: UnpackScratch;
  /** Per prime: its halves (the coefficients of one polynomial under one prime share it). */
  private readonly qLo: Float64Array;
  private readonly qHi: Float64Array;

  constructor(layout: CoeffLayout, maxParties: number) {
    if (maxParties >= MAX_EXACT_PARTIES) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `maxParties ${maxParties} is too large for exact packed sums`);
    const { coeffCount, polyModulusDegree: n, moduli } = layout;
    if (coeffCount % (n * moduli.length) !== 0) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'ciphertext layout is not whole polynomials');
    this.layout = layout;
    this.scratch = unpackScratch(layout);
    this.qLo = Float64Array.from(moduli, (q) => Number(q & 0xffffffffn));
    this.qHi = Float64Array.from(moduli, (q) => Number(q >> 32n));
  }

  open(): Halves {
    return { lo: new Float64Array(this.layout.coeffCount), hi: new Float64Array(this.layout.coeffCount) };
  }

  add(sum: Halves, payload: Uint8Array): void {
    accumulateCoefficients(this.layout, payload, this.scratch, sum.lo, sum.hi);
  }

  write(sum: Halves, out: Uint8Array): void {
    const { coeffCount, polyModulusDegree: n, moduli } = this.layout;
    const words = this.scratch.dst; // free between calls
    let inRange = true;
    for (let start = 0, b = 0; start < coeffCount; start += n, b = (b + 1) % moduli.length) {
      inRange = reduceBlock(words, sum.hi, sum.lo, start, start + n, this.qHi[b]!, this.qLo[b]!) && inRange;
    }
    if (!inRange) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'packed sum reduction out of range');
    packWords(this.layout, words, out);
  }

  free(): void {}
}

/**
 * (hi[i] * 2^32 + lo[i]) mod q into out[2i] (low word), out[2i+1] (high
 * word) for i in [from, to), exactly in doubles: hi, lo < 2^52; the
 * quotient estimate from double arithmetic is off by at most one,
 * corrected below. Returns false if a result fell outside [0, q) (it
 * cannot; checked once per block rather than by a throw in the loop).
 */
export function reduceBlock(out: Uint32Array, hi: Float64Array, lo: Float64Array, from: number, to: number, qHi: number, qLo: number): boolean {
  const invQ = 1 / (qHi * TWO32 + qLo);
  let outside = 0;
  for (let i = from; i < to; i++) {
    const h = hi[i]!;
    const l = lo[i]!;
    const k = Math.floor((h * TWO32 + l) * invQ);
    let rLo = l - k * qLo;
    const carry = Math.floor(rLo / TWO32);
    rLo -= carry * TWO32;
    let rHi = h - k * qHi + carry;
    // Now value = rHi * 2^32 + rLo with 0 <= rLo < 2^32, and -q <= value < 2q.
    if (rHi < 0) {
      rLo += qLo;
      rHi += qHi;
      if (rLo >= TWO32) { rLo -= TWO32; rHi += 1; }
    } else if (rHi > qHi || (rHi === qHi && rLo >= qLo)) {
      rLo -= qLo;
      rHi -= qHi;
      if (rLo < 0) { rLo += TWO32; rHi -= 1; }
    }
    if (rHi < 0 || rHi > qHi || (rHi === qHi && rLo >= qLo)) outside = 1;
    out[2 * i] = rLo;
    out[2 * i + 1] = rHi;
  }
  return outside === 0;
}
