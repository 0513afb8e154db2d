/**
 * The node's half of a query kind (the other halves: `proto/kinds/` and
 * `coordinator/kinds/`): from the store to what the node sends, with no
 * gRPC types. Counted kinds give the local member set of each population
 * (what the size round sizes and the differencing guard records) and the
 * count vector in the kind's slot order; the listing kind gives variant keys.
 */
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { QueryKindSpec } from '../../proto/kinds/kind.js';
import type { QueryParams } from '../../proto/query.js';
import type { KeyList, VariantKey } from '../../proto/variant.js';
import type { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import type { ServedStore } from '../server/ports.js';

/** The querier's differencing history, read-only, for kinds that withhold rather than refuse (eQTL). */
export interface HistoryView {
  /** The guard's k. */
  readonly k: number;
  /** Per set: does an answered set of this coordinator differ from it by 1..k-1 patients (and none equal it)? */
  near(sets: readonly Uint32Array[]): Promise<boolean[]>;
}

/** The DP noise a kind whose noise goes in its own sums (spec `dpNoise: 'sums'`) adds: its share of Skellam(mu) over `parties` sites. */
export interface SumNoise {
  readonly mu: number;
  readonly parties: number;
}

export interface CountedNodeKind<P extends QueryParams = QueryParams> {
  readonly spec: QueryKindSpec<P>;
  /** Sorted store sample indices of each population, in `spec.populations` order (an indicator population: [] or [0], only its size counts). */
  members(store: ServedStore, p: P, schema: PhenotypeSchema, list: KeyList, history: HistoryView): Promise<Uint32Array[]>;
  /**
   * The count vector, `spec.layout(...).valueCount` values in slot order.
   * `noise` (DP on, `dpNoise: 'sums'` only): the kind adds its share to
   * its sums before encoding them; slot kinds never get it.
   */
  count(store: ServedStore, p: P, schema: PhenotypeSchema, list: KeyList, members: readonly Uint32Array[], noise?: SumNoise): Promise<Uint32Array>;
  /**
   * The member sets the answer reveals, for the differencing guard, when
   * not each released block's set plus the withheld mass (the default in
   * node/server/aggregate.ts).
   */
  revealed?(p: P, schema: PhenotypeSchema, members: readonly Uint32Array[], withheld: readonly number[]): Uint32Array[];
}

export interface ListingNodeKind<P extends QueryParams = QueryParams> {
  readonly spec: QueryKindSpec<P>;
  /** The keys to list; a lookup's keys carry the id they were resolved from (sent as VariantKey.id). */
  keys(store: ServedStore, p: P): Promise<(VariantKey & { readonly id?: string })[] | PackedKeyList>;
}

/** A listing kind that lists names rather than variant keys (the gene ids of the expression matrix). */
export interface NameListingNodeKind<P extends QueryParams = QueryParams> {
  readonly spec: QueryKindSpec<P>;
  names(store: ServedStore, p: P): Promise<string[]>;
}

export type NodeKind = CountedNodeKind | ListingNodeKind | NameListingNodeKind;

export function listsNames(k: NodeKind): k is NameListingNodeKind {
  return 'names' in k;
}

export function isCounted(k: NodeKind): k is CountedNodeKind {
  return k.spec.rpc === 'aggregate';
}

/** A (small) list's keys as an array: a researcher's list or carrier set, bounded by the REST body. */
export function keysOf(list: KeyList): VariantKey[] {
  if (Array.isArray(list)) return [...(list as readonly VariantKey[])];
  return Array.from({ length: list.length }, (_, i) => list.at(i)!);
}
