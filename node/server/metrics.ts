/**
 * Prometheus metrics of a hospital node (prom-client), served by the
 * optional `metricsHttp` listener (metrics-http.ts): queries by kind, RPC
 * and outcome, refusals by reason code and stage, latency, payload bytes in
 * and out, and the DP budget each coordinator has left. One registry per
 * node (tests run several nodes in one process).
 *
 * Every label value comes from a fixed set: the kinds of the node registry
 * (node/kinds), the RPCs, the outcomes, the stable error codes of
 * node/errors.ts and proto/errors.ts, the handler stages, and the
 * coordinator identities of the node policy (operators, not patients). No
 * researcher name, query id, cohort expression, region or variant ever
 * becomes a label; a value outside its set is reported as `unknown` /
 * `INTERNAL`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PROTO_ERRORS } from '../../proto/errors.js';
import { NODE_ERRORS } from '../errors.js';
import { NODE_KINDS } from '../kinds/registry.js';

/** The node's two query RPCs: Aggregate (counted kinds) and ListVariants (listing kinds). */
export const NODE_METRIC_RPCS = ['aggregate', 'list'] as const;
export type NodeMetricRpc = (typeof NODE_METRIC_RPCS)[number];

/** Where a refusal happened (the handler's stage; node/server/aggregate.ts). */
export const NODE_METRIC_STAGES = ['admission', 'request', 'size-round', 'answer'] as const;

/** Label names of each metric defined here: the test's allow-list, and what node/README.md documents. */
export const NODE_METRIC_LABELS = {
  genofed_node_queries_total: ['kind', 'rpc', 'outcome'],
  genofed_node_refusals_total: ['kind', 'rpc', 'reason', 'stage'],
  genofed_node_query_duration_seconds: ['kind', 'rpc', 'outcome'],
  genofed_node_bytes_received_total: ['kind', 'rpc'],
  genofed_node_bytes_sent_total: ['kind', 'rpc'],
  genofed_node_queries_in_flight: [],
  genofed_node_dp_budget_remaining_epsilon: ['coordinator'],
} as const;

/** Codes a refusal may carry (label `reason`). */
export const NODE_METRIC_REASONS: ReadonlySet<string> = new Set([...Object.keys(NODE_ERRORS), ...Object.keys(PROTO_ERRORS), 'INTERNAL']);

/**
 * Latency buckets: a refusal at admission takes ~1 ms, a cohort count
 * over the test preset ~0.2 s, a 1M-variant answer at N=8192 minutes.
 */
const BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

/** A kind name as a label: a kind of the node's registry, else `unknown` (an envelope may name anything). */
export function kindLabel(kind: string | undefined): string {
  return kind !== undefined && NODE_KINDS.has(kind) ? kind : 'unknown';
}

function reasonLabel(code: string): string {
  return NODE_METRIC_REASONS.has(code) ? code : 'INTERNAL';
}

function stageLabel(stage: string): string {
  const s = stage.replace(/ /g, '-');
  return (NODE_METRIC_STAGES as readonly string[]).includes(s) ? s : 'answer';
}

/** What the service reports; every method reduces its arguments to the fixed label sets. */
export interface NodeMetrics {
  readonly registry: Registry;
  /** A query finished: answered, or refused with its code at a stage. */
  finished(q: { kind: string | undefined; rpc: NodeMetricRpc; seconds: number } & ({ outcome: 'answered' } | { outcome: 'refused'; reason: string; stage: string })): void;
  /** Payload bytes (envelopes, variant lists, ciphertexts; not gRPC framing). */
  bytes(direction: 'received' | 'sent', kind: string | undefined, rpc: NodeMetricRpc, n: number): void;
  /** Scrape text and its content type. */
  text(): Promise<{ contentType: string; body: string }>;
}

let processMetrics: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop, GC) belong to
 * the process, not to one app: one registry, started on first use and
 * merged into each scrape, so building many apps (tests) starts one set
 * of collectors, not one per app.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export interface NodeMetricsSources {
  /** Running query calls (serve.ts's counter). */
  readonly inFlight?: { readonly count: number };
  /** Epsilon left per coordinator identity (PrivacyGate.budgetLeft), read at each scrape. */
  readonly budgetLeft?: () => Promise<ReadonlyMap<string, number>>;
  /** prom-client's process metrics (CPU, memory, event loop); default on. */
  readonly defaults?: boolean;
}

export function createNodeMetrics(sources: NodeMetricsSources = {}): NodeMetrics {
  const registry = new Registry();
  const L = NODE_METRIC_LABELS;
  const registers = [registry];
  const queries = new Counter({ name: 'genofed_node_queries_total', help: 'Signed queries by kind, RPC and outcome (answered or refused).', labelNames: L.genofed_node_queries_total, registers });
  const refusals = new Counter({ name: 'genofed_node_refusals_total', help: 'Refused queries by kind, RPC, stable refusal code and the stage that refused.', labelNames: L.genofed_node_refusals_total, registers });
  const duration = new Histogram({ name: 'genofed_node_query_duration_seconds', help: 'Time from a query call arriving to its last message or refusal.', labelNames: L.genofed_node_query_duration_seconds, buckets: BUCKETS, registers });
  const received = new Counter({ name: 'genofed_node_bytes_received_total', help: 'Payload bytes received with queries (signed envelopes, variant lists), without gRPC framing.', labelNames: L.genofed_node_bytes_received_total, registers });
  const sent = new Counter({ name: 'genofed_node_bytes_sent_total', help: 'Payload bytes sent in answers (ciphertexts, variant lists), without gRPC framing.', labelNames: L.genofed_node_bytes_sent_total, registers });
  const inFlight = sources.inFlight;
  new Gauge({
    name: 'genofed_node_queries_in_flight', help: 'Query calls running now.', registers,
    collect() { this.set(inFlight?.count ?? 0); },
  });
  const budgetLeft = sources.budgetLeft;
  new Gauge({
    name: 'genofed_node_dp_budget_remaining_epsilon', help: 'Epsilon each coordinator of the node policy has left of privacy.budget.totalEpsilon (DP on only).', labelNames: L.genofed_node_dp_budget_remaining_epsilon, registers,
    async collect() {
      if (!budgetLeft) return;
      this.reset();
      for (const [coordinator, left] of await budgetLeft()) this.set({ coordinator }, left);
    },
  });
  return {
    registry,
    finished(q) {
      const kind = kindLabel(q.kind);
      queries.inc({ kind, rpc: q.rpc, outcome: q.outcome });
      duration.observe({ kind, rpc: q.rpc, outcome: q.outcome }, q.seconds);
      if (q.outcome === 'refused') refusals.inc({ kind, rpc: q.rpc, reason: reasonLabel(q.reason), stage: stageLabel(q.stage) });
    },
    bytes(direction, kind, rpc, n) {
      if (n > 0) (direction === 'sent' ? sent : received).inc({ kind: kindLabel(kind), rpc }, n);
    },
    async text() {
      const scraped = sources.defaults === false ? registry : Registry.merge([registry, processRegistry()]);
      return { contentType: registry.contentType, body: await scraped.metrics() };
    },
  };
}
