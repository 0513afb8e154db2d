/**
 * Variant keys and answer headers <-> wire. Conversions validate what the
 * domain types promise (positive integer positions, known counters), so
 * the rest of the code never sees a half-valid wire object.
 */
import { ProtoError } from '../errors.js';
import * as wire from '../generated/genofed/v1/node.js';
import type { Counter } from '../query.js';
import type { VariantKey } from '../variant.js';

export function variantsToWire(keys: readonly VariantKey[]): wire.VariantBatch {
  return { variants: keys.map((k) => ({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt })) };
}

export function variantsFromWire(batch: wire.VariantBatch): VariantKey[] {
  const out: VariantKey[] = new Array(batch.variants.length);
  for (let i = 0; i < batch.variants.length; i++) {
    const v = batch.variants[i]!;
    if (!v.chrom || v.pos < 1 || !v.ref || !v.alt) throw new ProtoError('GENOFED_BAD_MESSAGE', 'variant batch: a key lacks chrom, pos, ref or alt');
    out[i] = { chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt };
  }
  return out;
}

const COUNTER_TO_WIRE: Record<Counter, wire.Counter> = {
  ac: wire.Counter.COUNTER_AC,
  an: wire.Counter.COUNTER_AN,
  nhomalt: wire.Counter.COUNTER_NHOMALT,
  patients: wire.Counter.COUNTER_PATIENTS,
};

/** The header an aggregate answer starts with (domain form). */
export interface AnswerHeader {
  readonly siteId: string;
  readonly queryId: string;
  readonly cryptoFingerprint: string;
  readonly counters: readonly Counter[];
  readonly valueCount: number;
  readonly ciphertextCount: number;
  readonly boundPerValue: number;
  readonly plaintext: boolean;
  /** Skellam noise scale of the network total (0 = no noise; absent = 0). */
  readonly noiseMu?: number;
  /** The values carry this site's secure-aggregation mask (absent = false). */
  readonly masked?: boolean;
}

export function headerToWire(h: AnswerHeader): wire.AggregateHeader {
  return {
    siteId: h.siteId,
    queryId: h.queryId,
    cryptoFingerprint: h.cryptoFingerprint,
    counters: h.counters.map((c) => COUNTER_TO_WIRE[c]),
    valueCount: h.valueCount,
    ciphertextCount: h.ciphertextCount,
    boundPerValue: h.boundPerValue,
    plaintext: h.plaintext,
    noiseMu: h.noiseMu ?? 0,
    masked: h.masked ?? false,
  };
}

export function headerFromWire(w: wire.AggregateHeader): AnswerHeader {
  const counters = w.counters.map((c) => {
    const name = (Object.keys(COUNTER_TO_WIRE) as Counter[]).find((k) => COUNTER_TO_WIRE[k] === c);
    if (!name) throw new ProtoError('GENOFED_BAD_MESSAGE', 'answer header: unknown counter');
    return name;
  });
  return {
    siteId: w.siteId,
    queryId: w.queryId,
    cryptoFingerprint: w.cryptoFingerprint,
    counters,
    valueCount: w.valueCount,
    ciphertextCount: w.ciphertextCount,
    boundPerValue: w.boundPerValue,
    plaintext: w.plaintext,
    noiseMu: w.noiseMu,
    masked: w.masked,
  };
}
