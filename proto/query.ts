/**
 * The federated query model shared by node and coordinator, independent of
 * any query kind: the query envelope (what the coordinator signs; the
 * kind's parameters travel as its canonical JSON), the slot layout of count
 * vectors, the cells of strata under the roster's schema, and the digest of
 * a variant list (signed in the parameters; the list itself is streamed).
 * Each kind is a module in `proto/kinds/`; wire conversions live in
 * `proto/convert/`; this file has no gRPC types.
 */
import { createHash } from 'node:crypto';
import { ProtoError } from './errors.js';
import type { CanonicalValue } from './canonical-json.js';
import { findSchemaColumn, type PhenotypeSchema } from './phenotype-schema.js';
import type { KeyList, VariantKey } from './variant.js';

/**
 * Envelope and slot-layout protocol version; nodes report it in Info.
 * 2: roster-bound participant sets, the size round, signed answer headers,
 * population blocks (strata) in the slot layout.
 * 3: query kinds as modules: the envelope carries the kind's name and its
 * parameters as canonical JSON; counters are named by the kind.
 * 4: a stratified query's size round carries the size-only remainder (its
 * last population), and nodes withhold cells by `populationsToWithhold`.
 * 5: variant lists travel packed (VariantBatch.packed: the digest's lines).
 * 6: the signed answer header carries the querier's remaining DP budget
 * (AggregateHeader.dp_remaining_epsilon); a node of 5 would send 0, which a
 * coordinator would report as an exhausted budget.
 * 7: packed answers: the nodes put several values in one slot when the size
 * round shows every network total fits a field (AggregateHeader.pack_bits,
 * `packBitsFor`); a node of 6 would answer one value per slot, which the
 * coordinator refuses as a layout mismatch only if the others packed.
 */
export const PROTOCOL_VERSION = 7;

/**
 * Variants per request/response batch message: ~30 bytes each on the wire,
 * so 16,384 per message is ~0.5 MB, far below grpc's 4 MiB default.
 */
export const VARIANT_BATCH = 16_384;

/**
 * A kind's parameters: plain JSON (strings, numbers, arrays, objects) with
 * the kind's name, so the envelope can sign their canonical JSON and the
 * node can parse them with the kind's module (proto/kinds/kind.ts).
 * Digests travel as lower-case hex.
 */
export interface QueryParams {
  readonly kind: string;
  readonly [field: string]: CanonicalValue;
}

export type QueryKind = string;

export interface QueryEnvelope {
  readonly version: number;
  /** Fresh per signed envelope (UUID v4): the node's replay check. */
  readonly queryId: string;
  /** Researcher-visible id linking phase 1 and phase 2. */
  readonly correlationId: string;
  readonly coordinatorId: string;
  /**
   * Sorted site ids taking part: every member of the roster, never a
   * subset (a node refuses any other set). Pairwise masks are keyed on
   * (queryId, participants).
   */
  readonly participants: readonly string[];
  /** Fingerprint of the roster the query runs under (proto/roster.ts); a node refuses any other. */
  readonly rosterFingerprint: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly querier: string;
  /** BFV parameter fingerprint the coordinator expects answers under. */
  readonly cryptoFingerprint: string;
  readonly params: QueryParams;
  /** Benchmark only: plaintext counts (refused by every node not started by the bench). */
  readonly measurementPlaintext: boolean;
  /**
   * Differential privacy: epsilon this query spends at every node (0 or
   * absent = DP off). Signed so all nodes calibrate the same Skellam mu; a
   * node with DP on refuses a value other than its configured one.
   */
  readonly dpEpsilon?: number;
}

/** What a signed query carries: the exact envelope bytes and their Ed25519 signature. */
export interface SignedQueryBytes {
  readonly envelope: Uint8Array;
  readonly signature: Uint8Array;
}

/** A counter's name (what one value of a variant means: `ac`, `an`, `nhomalt`, ...), chosen by the kind. */
export type Counter = string;

/** Most stratification columns in one query, and most cells (products of their values). */
export const MAX_STRATA_COLUMNS = 3;
export const MAX_STRATA_CELLS = 1000;

/** One stratum cell: a value of each stratification column (numbers are bin lower edges). */
export interface StratumCell {
  /** `EUR,female`: the values joined by commas, in the order the columns were given. */
  readonly label: string;
  readonly values: readonly (string | number)[];
}

/**
 * The cells of `strata` under the roster's schema, in a fixed order every
 * party computes alike: the cartesian product of each column's schema
 * values (categorical: as listed; numeric: each bin's lower edge), the
 * first column outermost. Samples with a missing value in a strata column
 * are in no cell (they count in the all-sample block). A cross-party
 * contract (the slot layout depends on it), so it is written once, here.
 */
export function strataCells(schema: PhenotypeSchema, strata: readonly string[]): StratumCell[] {
  if (strata.length === 0) return [];
  if (strata.length > MAX_STRATA_COLUMNS) throw new ProtoError('GENOFED_BAD_COHORT', `strata: at most ${MAX_STRATA_COLUMNS} columns`);
  const cols = strata.map((name) => {
    const c = findSchemaColumn(schema, name);
    if (!c) throw new ProtoError('GENOFED_BAD_COHORT', `strata: unknown column '${name}'; the consortium schema has: ${schema.columns.map((x) => x.name).join(', ') || 'no columns'}`);
    return c;
  });
  if (new Set(cols.map((c) => c.name)).size !== cols.length) throw new ProtoError('GENOFED_BAD_COHORT', 'strata: a column is given twice');
  const valuesOf = cols.map((c) => (c.type === 'categorical' ? [...c.values] : c.bins.slice(0, -1)));
  const total = valuesOf.reduce((n, v) => n * v.length, 1);
  if (total > MAX_STRATA_CELLS) throw new ProtoError('GENOFED_BAD_COHORT', `strata: ${total} cells, at most ${MAX_STRATA_CELLS}`);
  let cells: (string | number)[][] = [[]];
  for (const vs of valuesOf) cells = cells.flatMap((prefix) => vs.map((v) => [...prefix, v]));
  return cells.map((values) => ({ label: values.join(','), values }));
}

/** The canonical column names of `strata` (as the schema spells them). */
export function canonicalStrata(schema: PhenotypeSchema, strata: readonly string[]): string[] {
  return strata.map((n) => findSchemaColumn(schema, n)?.name ?? n);
}

/**
 * A population whose network-wide size every node verifies (the size
 * round) before it answers, named for messages and audit (`cohort`, a
 * stratum cell `EUR,female`, `carriers`, `cases`); a kind lists its
 * populations in the order of their blocks in the answer.
 */
export interface Population {
  readonly label: string;
  /**
   * What the nodes do when its network size is 1..k-1: `refuse` the query
   * (a cohort, the cases, the carriers), or `withhold` just its block (a
   * stratum cell: zeros at every site, listed in the header).
   */
  readonly onSmall: 'refuse' | 'withhold';
  /**
   * Verified in the size round but without a block of its own: the
   * cohort's members in no stratum cell (a missing value, no phenotype
   * row). Never answered, but the all-sample block minus the released
   * cells is exactly these people plus the withheld cells, so it counts
   * toward the withheld mass (`populationsToWithhold`). Listed after every
   * block population.
   */
  readonly sizeOnly?: true;
}

export type WithholdDecision = { readonly withheld: number[] } | { readonly refuse: string };

/**
 * What the nodes withhold, from the network sizes of the size round
 * (every node computes the same sizes, so every node decides the same; the
 * coordinator refuses answers that disagree). A population of 1..k-1 that
 * `refuse`s fails the query (its label returned). Cells of 1..k-1 are
 * withheld; then, because the all-sample block minus the released cells
 * equals the withheld cells plus the size-only remainder (the "withheld
 * mass"), more cells are withheld, smallest network size first (ties: the
 * lower index), until that mass is 0 or at least k people: no difference
 * of one answer's blocks, nor of this answer and the same cohort asked
 * without strata, isolates fewer than k people. Returns block indices,
 * ascending.
 */
export function populationsToWithhold(populations: readonly Population[], sizes: readonly number[], k: number): WithholdDecision {
  if (sizes.length !== populations.length) return { refuse: 'population list' };
  const small = (n: number): boolean => n > 0 && n < k;
  const withheld = new Set<number>();
  let mass = 0;
  for (const [i, p] of populations.entries()) {
    const n = sizes[i]!;
    if (p.sizeOnly) { mass += n; continue; }
    if (!small(n)) continue;
    if (p.onSmall === 'refuse') return { refuse: p.label };
    withheld.add(i);
    mass += n;
  }
  while (small(mass)) {
    let pick = -1;
    for (const [i, p] of populations.entries()) {
      if (p.sizeOnly || p.onSmall !== 'withhold' || withheld.has(i) || sizes[i]! === 0) continue;
      if (pick < 0 || sizes[i]! < sizes[pick]!) pick = i;
    }
    if (pick < 0) break; // every cell withheld: the all-sample block is the cohort itself (>= k, verified)
    withheld.add(pick);
    mass += sizes[pick]!;
  }
  return { withheld: [...withheld].sort((a, b) => a - b) };
}

/**
 * Slot layout: value j of the count vector is counter
 * `counters[j % counters.length]` of variant `floor(j / counters.length) % variants`
 * of population `floor(j / (counters.length x variants))` (the cohort
 * block first, then one block per stratum cell). Interleaved within a
 * variant: a variant's counters share a ciphertext, and the count of
 * ciphertexts is the same either way (ceil(3 x variants / slotCount): 367
 * for 1M variants at N=8192).
 */
export interface SlotLayout {
  readonly counters: readonly Counter[];
  readonly populations: number;
  readonly valueCount: number;
  readonly ciphertextCount: number;
}

/** The layout of `populations` blocks of `variants` x `counters` values (`variants` 0 for a single count). */
export function blockLayout(counters: readonly Counter[], populations: number, variants: number, slotCount: number): SlotLayout {
  const valueCount = populations * Math.max(variants, 1) * counters.length;
  return { counters, populations, valueCount, ciphertextCount: Math.max(1, Math.ceil(valueCount / slotCount)) };
}

/** True when two layouts describe the same slots (the coordinator's check on every answer). */
export function sameLayout(a: SlotLayout, b: SlotLayout): boolean {
  return a.valueCount === b.valueCount && a.ciphertextCount === b.ciphertextCount && a.populations === b.populations && a.counters.length === b.counters.length && a.counters.every((c, i) => c === b.counters[i]);
}

/**
 * Packed answers (protocol 7). A slot holds a value mod t; counts are far
 * smaller than t (~2^30), so when every NETWORK total of a query fits in
 * `bits` bits, `fieldsPerSlot(bits)` values share a slot: slot j holds
 * sum_m value[j f + m] x 2^(bits m). Masks are uniform mod t and cancel in
 * the roster's sum as before; the sum of packed slots is the packed sum of
 * the totals, exact while each field's network total is below 2^bits and
 * the packed total below 2^PACKED_SLOT_BITS <= t (no carry between fields,
 * no wrap mod t). Noise (DP) can be negative and would borrow across
 * fields: packed answers carry none. The nodes choose `bits` alike from the
 * network sizes of the size round, for kinds that state a per-person bound
 * of their values (QueryKindSpec.fieldBound); 3 counters x 1M variants go
 * from 367 ciphertexts to 184 when 2 fit a slot.
 */
export const PACKED_SLOT_BITS = 29;

/** Values per slot at `bits` bits each (1 when unpacked, bits = 0). */
export function fieldsPerSlot(bits: number): number {
  return bits > 0 ? Math.floor(PACKED_SLOT_BITS / bits) : 1;
}

/**
 * The field width for network totals up to `maxTotal`: 0 (no packing) when
 * fewer than two fields would fit a slot.
 */
export function packBitsFor(maxTotal: number): number {
  let bits = 1;
  while (2 ** bits <= maxTotal) bits++;
  return fieldsPerSlot(bits) >= 2 ? bits : 0;
}

/** A layout with `bits` per value (0: unchanged): its ciphertexts hold ceil(values / fields) slots. */
export function packedLayout(layout: SlotLayout, bits: number, slotCount: number): SlotLayout & { readonly packBits: number; readonly slots: number } {
  const slots = Math.ceil(layout.valueCount / fieldsPerSlot(bits));
  return { ...layout, packBits: bits, slots, ciphertextCount: bits > 0 ? Math.max(1, Math.ceil(slots / slotCount)) : layout.ciphertextCount };
}

/** Values into packed slots (each value below 2^bits: the caller checked). */
export function packFields(values: Uint32Array, bits: number): Uint32Array {
  const f = fieldsPerSlot(bits);
  const n = values.length;
  const out = new Uint32Array(Math.ceil(n / f));
  // f x bits <= PACKED_SLOT_BITS < 31: the fields are placed with integer shifts (a float multiply per
  // value was ~2 s of a node's answers in a profile of the association bench).
  for (let j = 0, i = 0; j < out.length; j++) {
    let v = 0;
    for (let m = 0; m < f && i < n; m++, i++) v |= values[i]! << (m * bits);
    out[j] = v;
  }
  return out;
}

/**
 * Packed slot totals back into `valueCount` totals (from value
 * `firstValue`, the slots' first field). Throws on a slot total that is
 * not a sum of in-range fields (at or above 2^(fields x bits)).
 */
export function unpackFields(slots: Float64Array, bits: number, valueCount: number): Float64Array {
  const f = fieldsPerSlot(bits);
  const field = 2 ** bits;
  const limit = 2 ** (f * bits);
  const out = new Float64Array(Math.min(valueCount, slots.length * f));
  const mask = field - 1;
  for (let j = 0, i = 0; j < slots.length && i < out.length; j++) {
    const x = slots[j]!;
    if (!(x >= 0 && x < limit && Number.isInteger(x))) throw new ProtoError('GENOFED_BAD_MESSAGE', 'packed total out of range');
    // Below 2^(f x bits) <= 2^PACKED_SLOT_BITS: an int32, read with shifts.
    let v = x | 0;
    for (let m = 0; m < f && i < out.length; m++, i++) {
      out[i] = v & mask;
      v >>>= bits;
    }
  }
  return out;
}

export interface AlleleCounts {
  readonly ac: number;
  readonly an: number;
  readonly nhomalt: number;
  /** With the `sites` counter (queries over a researcher's list): 1 when this site holds the record; the network total is the number of sites that do. */
  readonly sites?: number;
}

/**
 * Pack per-variant counts into the interleaved count vector (request
 * order): `ac an nhomalt`, or `ac an nhomalt sites` when `withSites`.
 */
export function packAlleleCounts(rows: readonly AlleleCounts[], withSites = false): Uint32Array {
  const n = withSites ? 4 : 3;
  const out = new Uint32Array(rows.length * n);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out[n * i] = r.ac;
    out[n * i + 1] = r.an;
    out[n * i + 2] = r.nhomalt;
    if (withSites) out[n * i + 3] = r.sites ?? 0;
  }
  return out;
}

/** The inverse of packAlleleCounts, for decrypted network totals. */
export function unpackAlleleCounts(values: ArrayLike<number>, variantCount: number, withSites = false): AlleleCounts[] {
  const n = withSites ? 4 : 3;
  const out: AlleleCounts[] = new Array(variantCount);
  for (let i = 0; i < variantCount; i++) {
    out[i] = withSites
      ? { ac: values[n * i]!, an: values[n * i + 1]!, nhomalt: values[n * i + 2]!, sites: values[n * i + 3]! }
      : { ac: values[n * i]!, an: values[n * i + 1]!, nhomalt: values[n * i + 2]! };
  }
  return out;
}

/**
 * SHA-256 over the variant list in slot order (`chrom\tpos\tref\talt\n` per
 * key, UTF-8). Signed in the envelope, so the streamed list cannot be
 * altered or reordered in transit without the node noticing.
 */
export class VariantListHasher {
  private readonly hash = createHash('sha256');
  count = 0;

  update(keys: readonly VariantKey[]): void {
    let text = '';
    for (const k of keys) text += `${k.chrom}\t${k.pos}\t${k.ref}\t${k.alt}\n`;
    this.hash.update(text, 'utf8');
    this.count += keys.length;
  }

  /** `count` keys already in the hashed form (a packed VariantBatch, as received). */
  updatePacked(lines: Uint8Array, count: number): void {
    this.hash.update(lines);
    this.count += count;
  }

  digest(): Uint8Array {
    return new Uint8Array(this.hash.digest());
  }
}

export function variantListDigest(keys: readonly VariantKey[]): Uint8Array {
  const h = new VariantListHasher();
  for (let i = 0; i < keys.length; i += VARIANT_BATCH) h.update(keys.slice(i, i + VARIANT_BATCH));
  return h.digest();
}

/** The digest as the parameters carry it (lower-case hex). */
export function variantListDigestHex(keys: KeyList): string {
  if (keys.digestHex) return keys.digestHex();
  if (Array.isArray(keys)) return Buffer.from(variantListDigest(keys as readonly VariantKey[])).toString('hex');
  const h = new VariantListHasher();
  for (let i = 0; i < keys.length; i += VARIANT_BATCH) {
    const part: VariantKey[] = [];
    for (let j = i; j < Math.min(keys.length, i + VARIANT_BATCH); j++) part.push(keys.at(j)!);
    h.update(part);
  }
  return Buffer.from(h.digest()).toString('hex');
}
