/**
 * What every query kind declares, once, for both parties (STYLE.md: "a
 * query kind is a module"): how its parameters are validated, what list
 * follows the envelope, which cohort expressions it holds, which
 * populations the nodes verify, the slot layout of its answer, its DP
 * sensitivity, what the audit log records, its limits, and which network
 * totals are impossible. Generic code (node service, admission, privacy
 * gate, audit, engine) calls these and never switches on a kind name.
 *
 * A kind is three files: this side-neutral spec in `proto/kinds/`, the
 * node's counting in `node/kinds/<kind>.kind.ts`, the coordinator's answer
 * in `coordinator/kinds/`. See proto/README.md, "How to add a query kind".
 */
import { z } from 'zod';
import { skellamMu, type Sensitivity } from '../dp-accounting.js';
import { ProtoError } from '../errors.js';
import type { PhenotypeSchema } from '../phenotype-schema.js';
import { blockLayout, type Population, type QueryParams, type SlotLayout, type WithholdDecision } from '../query.js';

/** The list streamed after the envelope (slot order, or a carrier set): its length and SHA-256 are signed in the parameters. */
export interface ListSpec {
  readonly count: number;
  /** Lower-case hex SHA-256 (proto/query.ts variantListDigest). */
  readonly sha256: string;
}

export interface KindLimits {
  /** Most variants a list may hold (node config limits.maxVariants). */
  readonly maxVariants: number;
  readonly schema: PhenotypeSchema;
  /** The envelope's DP epsilon (0: DP off): a kind whose release could not carry the noise it would need refuses here, before any budget is spent. */
  readonly dpEpsilon: number;
}

export interface QueryKindSpec<P extends QueryParams = QueryParams> {
  readonly kind: P['kind'];
  /**
   * `aggregate`: a counted kind (Aggregate RPC: the size round, then an
   * encrypted, masked count vector); `list`: phase 1 of a region query
   * (ListVariants RPC: the site's variant keys, no counts).
   */
  readonly rpc: 'aggregate' | 'list';
  /** Validate decoded JSON into P (after the envelope's signature verified); throws GENOFED_BAD_MESSAGE. */
  parse(raw: unknown): P;
  /** The variant list streamed after the envelope, if any. */
  list(p: P): ListSpec | undefined;
  /** The region a phase-1 union list must lie in, if any. */
  region(p: P): string | undefined;
  /** Every cohort expression in P (checked against the schema by the coordinator and by every node). */
  cohorts(p: P): string[];
  /** The populations the nodes verify in the size round, in answer-block order. */
  populations(p: P, schema: PhenotypeSchema): Population[];
  /**
   * What the nodes refuse or withhold from the network sizes, when the
   * kind's populations are not blocks-then-remainder (proto/query.ts
   * populationsToWithhold, the default). Every node decides from the same
   * sizes, so every node decides the same.
   */
  withhold?(p: P, schema: PhenotypeSchema, sizes: readonly number[], k: number): WithholdDecision;
  layout(p: P, slotCount: number, schema: PhenotypeSchema): SlotLayout;
  /**
   * DP: the largest change one person makes to the released values, all
   * at once (L1 and L2, in the released integers' units); the Skellam mu of
   * the noise follows from it and the signed epsilon (`noiseMuFor`).
   */
  sensitivity(p: P, layout: SlotLayout, schema: PhenotypeSchema): Sensitivity;
  /**
   * Where a node adds its DP noise share: `slots` (the default), to every
   * slot value, riding in the mask; `sums`, to the kind's own integer sums
   * before the kind encodes them (the expression kinds' values are limbs of
   * a 96-bit sum, where slot noise would be meaningless): the node kind
   * draws the noise in `count`, the slots carry none.
   */
  readonly dpNoise?: 'slots' | 'sums';
  /**
   * Counted rounds still to come in the same researcher query after this
   * one (the expression scale round: 1, the sums round). With DP on, each
   * round debits the per-query epsilon; a node admits this round only when
   * the querier's budget also covers those, so a query the budget cannot
   * finish is refused before any of it is answered.
   */
  dpRoundsAfter?(p: P): number;
  /**
   * Packed answers (proto/query.ts packedLayout): the largest value of a
   * population's block is at most perPerson x its size + perSite at each
   * site, so a network total is at most perPerson x the network size +
   * perSite x sites. Kinds without it are never packed.
   */
  fieldBound?(p: P): { readonly perPerson: number; readonly perSite: number };
  /** What the audit log records: the querier's own choices, lists reduced to count + digest. */
  audit(p: P): Record<string, string | number | string[]>;
  /** Limits a node enforces; throws a ProtoError naming the problem. */
  check(p: P, limits: KindLimits): void;
  /**
   * Network totals honest sites cannot produce (`samples`: the sites'
   * declared genotyped samples; `slack`: DP noise allowance): a reason, or
   * undefined when they are possible.
   */
  impossible(p: P, totals: ArrayLike<number>, samples: number, slack: number): string | undefined;
}

/** Parse with a zod schema; the first issue names the field. */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, kind: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ProtoError('GENOFED_BAD_MESSAGE', `${kind} parameters: field '${issue.path.join('.') || '(top level)'}': ${issue.message}`);
  }
  return r.data;
}

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits');

/**
 * What every listing kind (rpc 'list': keys or names, no counts) declares
 * alike: no list after the envelope, no cohorts, no populations, an empty
 * layout, no DP sensitivity, no impossible totals.
 */
export const LISTING_SPEC = {
  rpc: 'list',
  list: () => undefined,
  cohorts: () => [],
  populations: () => [],
  layout: (_p: QueryParams, slotCount: number): SlotLayout => ({ ...blockLayout([], 0, 0, slotCount), ciphertextCount: 0, valueCount: 0 }),
  sensitivity: () => ({ l1: 0, l2: 0 }),
  impossible: () => undefined,
} as const;

/**
 * The Skellam mu of a release's noise: what every node draws for, and what
 * the coordinator expects in every signed header (the same arithmetic on
 * the same signed inputs, so the same double).
 */
export function noiseMuFor<P extends QueryParams>(spec: QueryKindSpec<P>, p: P, layout: SlotLayout, schema: PhenotypeSchema, epsilon: number): number {
  return skellamMu({ epsilon, norms: spec.sensitivity(p, layout, schema) });
}
