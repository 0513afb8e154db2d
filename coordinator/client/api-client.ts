/**
 * A small client of the coordinator's REST API over global `fetch`, used by
 * `genofed query` and by the demo. API errors come back as GenofedErrors
 * carrying the server's stable code and message, so the CLI prints
 * `genofed: <code>: <message>` for them like for local errors.
 */
import type { AlleleFrequencyAnswer, AlleleFrequencyRow, CohortCountAnswer, SiteStatus, VariantRef } from '../federation/types.js';
import { GenofedError, GrpcStatus } from '../../proto/errors.js';
import { CoordinatorError } from '../errors.js';

export interface AlleleFrequencyBody {
  readonly region?: string;
  /** Keys, or dbSNP rs ids as strings (`rs1234`). */
  readonly variants?: readonly (VariantRef | string)[];
  readonly cohort?: string;
  readonly by?: readonly string[];
  readonly grpmaxExclude?: readonly string[];
}

export interface CohortCountBody {
  readonly cohort: string;
  readonly carriersOf?: readonly VariantRef[];
}

/** GET /v1/schema. */
export interface PhenotypeSchemaAnswer {
  readonly fingerprint: string;
  readonly columns: readonly { readonly name: string; readonly type: string; readonly values?: readonly string[]; readonly bins?: readonly number[]; readonly description?: string }[];
  readonly grammar: string;
}

export interface ApiClientOptions {
  /** Base URL of the coordinator, e.g. https://coordinator.example.org:7400 */
  readonly url: string;
  readonly token: string;
  /** Whole-request timeout. 10 min: a 1,000,000-variant query at 10 sites takes ~10-30 s; leave room for slow WANs. */
  readonly timeoutMs?: number;
}

/** An error answered by the coordinator, with its own stable code and status. */
export class RemoteApiError extends GenofedError {
  constructor(code: string, status: number, message: string) {
    super(code, { http: status, grpc: GrpcStatus.UNKNOWN, doc: 'an error answered by the coordinator' }, message);
    this.name = 'RemoteApiError';
  }
}

export class ApiClient {
  private readonly base: URL;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (cause) {
      throw new CoordinatorError('GENOFED_USAGE', '--coordinator: not a URL (expected e.g. https://host:7400)', { cause });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CoordinatorError('GENOFED_USAGE', '--coordinator: URL must be http:// or https://');
    if (!options.token) throw new CoordinatorError('GENOFED_USAGE', '--token (or GENOFED_TOKEN) is required');
    this.base = base;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  alleleFrequency(body: AlleleFrequencyBody, signal?: AbortSignal): Promise<AlleleFrequencyAnswer> {
    return this.request<AlleleFrequencyAnswer>('POST', '/v1/queries/allele-frequency', body, signal);
  }

  cohortCount(body: CohortCountBody, signal?: AbortSignal): Promise<CohortCountAnswer> {
    return this.request<CohortCountAnswer>('POST', '/v1/queries/cohort-count', body, signal);
  }

  /** Any query route (each query kind's CLI command names its own path and body). */
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, body, signal);
  }

  phenotypeSchema(signal?: AbortSignal): Promise<PhenotypeSchemaAnswer> {
    return this.request<PhenotypeSchemaAnswer>('GET', '/v1/schema', undefined, signal);
  }

  async sites(signal?: AbortSignal): Promise<readonly SiteStatus[]> {
    return (await this.request<{ sites: SiteStatus[] }>('GET', '/v1/sites', undefined, signal)).sites;
  }

  /**
   * The allele-frequency answer as NDJSON (coordinator/rest/stream-answer.ts):
   * `rows` yields each row as its line arrives; `summary()` gives the rest
   * of the answer once `rows` is done (GENOFED_API_RESPONSE when the body
   * ended without it).
   */
  alleleFrequencyStream(body: AlleleFrequencyBody, signal?: AbortSignal): { rows: AsyncGenerator<AlleleFrequencyRow>; summary: () => Omit<AlleleFrequencyAnswer, 'rows'> } {
    let summary: Omit<AlleleFrequencyAnswer, 'rows'> | undefined;
    const self = this;
    async function* rows(): AsyncGenerator<AlleleFrequencyRow> {
      const { res, url } = await self.send('POST', '/v1/queries/allele-frequency', body, signal, 'application/x-ndjson');
      if (!res.ok || !/^application\/x-ndjson/.test(res.headers.get('content-type') ?? '')) {
        await self.parse(res, url);
        throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: HTTP ${res.status} without the NDJSON answer`);
      }
      const decoder = new TextDecoder();
      let pending = '';
      const lineOf = (line: string): AlleleFrequencyRow | undefined => {
        let o: { type?: unknown };
        try {
          o = JSON.parse(line) as { type?: unknown };
        } catch (cause) {
          throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: a line of the answer is not JSON`, { cause });
        }
        if (o.type === 'row') {
          const { type: _t, ...row } = o as Record<string, unknown>;
          return row as unknown as AlleleFrequencyRow;
        }
        if (o.type === 'error') {
          // The coordinator failed after rows were sent: what came before is not the whole answer.
          const e = (o as { error?: { code?: unknown; message?: unknown } }).error;
          throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: the answer failed after some rows (${String(e?.code ?? 'unknown')}: ${String(e?.message ?? '')}); the rows written are not the whole answer`);
        }
        if (o.type === 'summary') {
          const { type: _t, ...rest } = o as Record<string, unknown>;
          summary = rest as unknown as Omit<AlleleFrequencyAnswer, 'rows'>;
          return undefined;
        }
        throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: an answer line of unknown type`);
      };
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        let nl = pending.indexOf('\n');
        let from = 0;
        while (nl >= 0) {
          const row = lineOf(pending.slice(from, nl));
          if (row) yield row;
          from = nl + 1;
          nl = pending.indexOf('\n', from);
        }
        pending = pending.slice(from);
      }
      if (pending.trim() !== '') {
        const row = lineOf(pending);
        if (row) yield row;
      }
    }
    return {
      rows: rows(),
      summary: () => {
        if (!summary) throw new CoordinatorError('GENOFED_API_RESPONSE', 'the answer ended before its summary line (connection cut?)');
        return summary;
      },
    };
  }

  private async send(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined, accept: string): Promise<{ res: Response; url: URL }> {
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : new URL(`${this.base.href}/`));
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: combined,
      });
      return { res, url };
    } catch (cause) {
      const why = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : signal?.aborted ? 'cancelled' : describeFetchFailure(cause);
      throw new CoordinatorError('GENOFED_API_UNREACHABLE', `coordinator ${url.host}: ${why}`, { cause });
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const { res, url } = await this.send(method, path, body, signal, 'application/json');
    return this.parse<T>(res, url);
  }

  /** A JSON body; a genofed error body (or none) on a non-2xx status throws. */
  private async parse<T>(res: Response, url: URL): Promise<T> {
    let parsed: unknown;
    const text = await res.text();
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: HTTP ${res.status} with a body that is not JSON`, { cause });
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') throw new RemoteApiError(e.code, res.status, e.message);
      throw new CoordinatorError('GENOFED_API_RESPONSE', `coordinator ${url.host}: HTTP ${res.status} without a genofed error body`);
    }
    return parsed as T;
  }
}

/** fetch() wraps socket errors as `TypeError: fetch failed` with the real one as cause. */
function describeFetchFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = cause && typeof cause.code === 'string' ? cause.code : null;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': return 'host not found';
    case 'ECONNRESET': return 'connection reset';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'connection timed out';
    default: return code ? `request failed (${code})` : 'request failed';
  }
}
