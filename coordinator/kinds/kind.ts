/**
 * The coordinator's half of a query kind (the other halves: `proto/kinds/`
 * and `node/kinds/`): what a researcher's request becomes (checked before
 * any site is asked), and what the decrypted network totals become (with
 * disclosure control). The engine (`coordinator/federation/engine.ts`)
 * runs any kind through the same phases and never switches on its name.
 */
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { QueryKindSpec } from '../../proto/kinds/kind.js';
import type { QueryParams } from '../../proto/query.js';
import type { KeyList, VariantKey, VariantListItem } from '../../proto/variant.js';
import type { DisclosurePolicy } from '../disclosure/index.js';
import type { DisclosureSummary, NoiseScale } from '../federation/types.js';

export interface KindContext {
  /** The roster's phenotype schema. */
  readonly schema: PhenotypeSchema;
  readonly policy: DisclosurePolicy;
}

/** Where the variant list of a query comes from. */
export interface Plan {
  /** Phase 1 first: the sorted union of the sites' keys in this region (CHR:START-END). */
  readonly region?: string;
  /** Or the researcher's own list (slot order, or a carrier set); absent = no list. */
  readonly variants?: readonly VariantKey[];
  /** Or a list that names some variants by rs id: the engine asks the sites to resolve them first (kind rsid-keys). */
  readonly lookup?: readonly VariantListItem[];
}

/** What a kind's answer is made from, besides the totals. */
export interface AnswerContext<Req> {
  readonly req: Req;
  readonly params: QueryParams;
  readonly list: KeyList;
  readonly ctx: KindContext;
  readonly noise: NoiseScale | null;
  /** Populations the nodes withheld (network size 1..k-1): their blocks are zero. */
  readonly withheld: ReadonlySet<number>;
}

/** One answer released in pieces (StreamingKind.begin). */
export interface PieceWriter<Row, Rest> {
  /**
   * Decrypted totals of whole value groups (the layout's counters per
   * group: one variant of one population), in slot order from group
   * `firstGroup` -> the rows released now, disclosure control applied.
   */
  rows(values: Float64Array, firstGroup: number): Row[];
  /** After the last group: the rest of the answer (the disclosure note of every piece, anything needing all rows). */
  end(): Rest;
}

export interface CoordinatorKind<Req extends { readonly querier: string }, Body extends { readonly disclosure: DisclosureSummary }> {
  readonly spec: QueryKindSpec;
  /** Check the request (shapes, regions, lists) before any site is asked; throws a 400. */
  plan(req: Req, ctx: KindContext): Plan;
  /** The signed parameters once the list is known (also called with the planned list before any site is asked, to check cohorts and strata). */
  params(req: Req, list: KeyList, ctx: KindContext): QueryParams;
  /** The answer when phase 1 found no variant at any site (no aggregate round). */
  empty(req: Req, ctx: KindContext): Body;
  /** Decrypted totals (kind's slot order) -> the kind's answer, disclosure control applied. */
  answer(totals: Float64Array, x: AnswerContext<Req>): Body;
}

/**
 * A kind whose answer is one row per value group in slot order (allele
 * frequencies): the engine can release its rows as the sites' chunks
 * complete (FederationEngine.stream) instead of after the last one. Its
 * spec's `impossible` must hold on any group-aligned slice of the totals.
 */
export interface StreamingKind<Req extends { readonly querier: string }, Row, Rest extends { readonly disclosure: DisclosureSummary }>
  extends CoordinatorKind<Req, Rest & { readonly rows: readonly Row[] }> {
  /** Called once the sites' headers are checked, before any totals. */
  begin(x: AnswerContext<Req>): PieceWriter<Row, Rest>;
}
