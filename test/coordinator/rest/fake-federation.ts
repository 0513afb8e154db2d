/**
 * A Federation double for the REST layer's tests: the REST app's job is
 * validation, auth and mapping, so the engine is replaced by one that
 * records what it was asked and answers what the test scripts.
 */
import type {
  AlleleFrequencyAnswer, AlleleFrequencyRequest, AlleleFrequencyRow, CohortCountAnswer, CohortCountRequest, DisclosureSummary, Federation, QueryOutcome, RowSink, SiteStatus,
} from '../../../coordinator/federation/types.js';
import type { DifferentialExpressionAnswer, DifferentialExpressionRequest } from '../../../coordinator/federation/expression.js';
import type { EqtlAnswer, EqtlRequest } from '../../../coordinator/federation/eqtl.js';
import type { CoordinatorKind } from '../../../coordinator/kinds/kind.js';

import { parsePhenotypeSchema, type PhenotypeSchema } from '../../../proto/phenotype-schema.js';

const POLICY = { k: 5, smallCounts: 'suppress', roundTo: 5 } as const;
/** What the engine states when disclosure control withheld one AC (hand-written, as the engine's note looks). */
export const AF_NOTE: DisclosureSummary = {
  policy: POLICY,
  rowsAffected: 1,
  rules: [{ rule: 'ac-below-k', action: 'suppressed', rows: 1, reason: 'fewer than k alternate alleles (AC in 1..k-1): AC and AF withheld or rounded' }],
};
export const NOTHING_WITHHELD: DisclosureSummary = { policy: POLICY, rowsAffected: 0, rules: [] };

export class FakeFederation implements Federation {
  readonly afRequests: AlleleFrequencyRequest[] = [];
  readonly cohortRequests: CohortCountRequest[] = [];
  afAnswer: AlleleFrequencyAnswer = {
    queryId: 'q-af-1',
    rows: [
      { chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570, faf95: 0.41027547791971697 },
      { chrom: '1', pos: 10235, ref: 'T', alt: 'TA', ac: 0, an: 0, af: null, nhomalt: 0, faf95: null },
      { chrom: '1', pos: 10352, ref: 'T', alt: 'TA', ac: '<5', an: 5008, af: null, nhomalt: 0, faf95: null },
    ],
    sites: { responding: ['a', 'b', 'c'], missing: [] },
    disclosure: AF_NOTE,
    noise: null,
  };
  cohortAnswer: CohortCountAnswer = { queryId: 'q-c-1', count: 263, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: NOTHING_WITHHELD, noise: null };
  statusAnswer: SiteStatus[] = [{ site: 'a', healthy: true }, { site: 'b', healthy: false, detail: 'unreachable' }];
  failWith: unknown = null;
  /** Answer only after this long (to test cancellation). */
  delayMs = 0;
  readonly signals: (AbortSignal | undefined)[] = [];
  closed = false;

  async alleleFrequency(request: AlleleFrequencyRequest, signal?: AbortSignal): Promise<AlleleFrequencyAnswer> {
    this.afRequests.push(request);
    this.signals.push(signal);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith) throw this.failWith;
    return this.afAnswer;
  }

  /** Streamed: the scripted answer's rows in pieces of `pieceRows`; with `failAfterPieces`, `failWith` after that many pieces. */
  pieceRows = 1000;
  failAfterPieces: number | undefined;

  async alleleFrequencyStream(request: AlleleFrequencyRequest, sink: RowSink<AlleleFrequencyRow>, signal?: AbortSignal): Promise<Omit<AlleleFrequencyAnswer, 'rows'>> {
    this.afRequests.push(request);
    this.signals.push(signal);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith && this.failAfterPieces === undefined) throw this.failWith;
    const { rows, ...rest } = this.afAnswer;
    sink.start({ queryId: rest.queryId, sites: rest.sites, noise: rest.noise ?? null, remainingEpsilon: rest.remainingEpsilon ?? null });
    for (let i = 0, piece = 0; i < rows.length; i += this.pieceRows, piece++) {
      if (this.failAfterPieces !== undefined && piece >= this.failAfterPieces) throw this.failWith;
      sink.rows(rows.slice(i, i + this.pieceRows));
      // Pieces come as the sites' chunks complete: let the response write between them.
      await new Promise((r) => setImmediate(r));
    }
    return rest;
  }

  async cohortCount(request: CohortCountRequest): Promise<CohortCountAnswer> {
    this.cohortRequests.push(request);
    if (this.failWith) throw this.failWith;
    return this.cohortAnswer;
  }

  schema: PhenotypeSchema = parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] }, { name: 'age', type: 'integer', bins: [0, 20, 40, 60, 80, 120] }] });

  phenotypeSchema(): PhenotypeSchema {
    return this.schema;
  }

  /** Generic kinds: the allele-frequency and cohort-count doubles above, or what `runAnswers` scripts per kind. */
  readonly runRequests: { kind: string; request: unknown }[] = [];
  runAnswers: Record<string, object> = {};

  async run<Req extends { readonly querier: string }, Body extends { readonly disclosure: DisclosureSummary }>(kind: CoordinatorKind<Req, Body>, request: Req, signal?: AbortSignal): Promise<Body & QueryOutcome> {
    this.runRequests.push({ kind: kind.spec.kind, request });
    if (kind.spec.kind === 'allele-counts') return (await this.alleleFrequency(request as unknown as AlleleFrequencyRequest, signal)) as unknown as Body & QueryOutcome;
    if (kind.spec.kind === 'cohort-count') return (await this.cohortCount(request as unknown as CohortCountRequest)) as unknown as Body & QueryOutcome;
    if (this.failWith) throw this.failWith;
    return this.runAnswers[kind.spec.kind] as Body & QueryOutcome;
  }

  readonly deRequests: DifferentialExpressionRequest[] = [];
  deAnswer: DifferentialExpressionAnswer | undefined;
  readonly eqtlRequests: EqtlRequest[] = [];
  eqtlAnswer: EqtlAnswer | undefined;

  async differentialExpression(request: DifferentialExpressionRequest): Promise<DifferentialExpressionAnswer> {
    this.deRequests.push(request);
    if (this.failWith) throw this.failWith;
    if (!this.deAnswer) throw new Error('FakeFederation: no scripted differential-expression answer');
    return this.deAnswer;
  }

  async eqtl(request: EqtlRequest): Promise<EqtlAnswer> {
    this.eqtlRequests.push(request);
    if (this.failWith) throw this.failWith;
    if (!this.eqtlAnswer) throw new Error('FakeFederation: no scripted eQTL answer');
    return this.eqtlAnswer;
  }

  async status(): Promise<readonly SiteStatus[]> {
    if (this.failWith) throw this.failWith;
    return this.statusAnswer;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export const TOKEN = 'tok-researcher-0123456789abcdef';
export const tokens = new Map([[TOKEN, 'alice'], ['tok-other-querier-0123456789', 'bob']]);
export const auth = { authorization: `Bearer ${TOKEN}` };
