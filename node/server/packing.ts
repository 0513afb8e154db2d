/**
 * The node's side of packed answers (protocol 7, proto/query.ts
 * packedLayout): the field width every node derives alike from the signed
 * query and the network sizes of the size round, and this site's values
 * checked against what its own populations allow before they are packed.
 */
import type { QueryKindSpec } from '../../proto/kinds/kind.js';
import { PACKED_SLOT_BITS, packBitsFor, type QueryParams } from '../../proto/query.js';
import { NodeError } from '../errors.js';

/**
 * Bits per value, or 0 (unpacked): for a kind with a field bound, without
 * noise, when every block's network total fits two or more to a slot.
 * `networkSizes[b]` is the verified network size of population b, whose
 * block b is (blocks come first in the kind's population list).
 */
export function packBitsOf(spec: QueryKindSpec, p: QueryParams, networkSizes: readonly number[], blocks: number, sites: number, noisy: boolean, plainModulus: bigint): number {
  const bound = spec.fieldBound?.(p);
  // A plain modulus at or below 2^PACKED_SLOT_BITS (a custom parameter set) could wrap a packed total.
  if (!bound || noisy || networkSizes.length < blocks || plainModulus <= 2n ** BigInt(PACKED_SLOT_BITS)) return 0;
  let max = 0;
  for (let b = 0; b < blocks; b++) max = Math.max(max, bound.perPerson * networkSizes[b]! + bound.perSite * sites);
  return packBitsFor(max);
}

/**
 * This site's share of every field: each value of block b at most
 * perPerson x its members of population b + perSite, so the network's sum
 * of a field stays below 2^bits (packBitsOf). A larger value (a count the
 * kind does not allow: a polyploid call?) refuses the query rather than
 * spill into the next field. Returns the largest value, at least 1 (the header's bound).
 */
export function checkOwnFields(spec: QueryKindSpec, p: QueryParams, values: Uint32Array, blocks: number, members: readonly Uint32Array[]): number {
  const bound = spec.fieldBound!(p);
  const size = values.length / blocks;
  let max = 0;
  for (let b = 0; b < blocks; b++) {
    const cap = bound.perPerson * (members[b]?.length ?? 0) + bound.perSite;
    for (let i = b * size; i < (b + 1) * size; i++) {
      const v = values[i]!;
      if (v > cap) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a count exceeds what its population allows (more than the kind\'s bound per person); the answer would not pack');
      if (v > max) max = v;
    }
  }
  return Math.max(1, max);
}
