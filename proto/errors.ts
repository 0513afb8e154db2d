/**
 * Base error shared by `node/` and `coordinator/` (each adds its own registry
 * of stable codes in its own `errors.ts`). Every error carries a stable
 * `code`, the HTTP status and gRPC status it maps to, and the original error
 * as `cause`.
 *
 * Privacy rule: messages never contain a sample id, a genotype, a key or a
 * hospital file path. Callers pass the *kind* of problem and where it is
 * (file basename, line number, field name), never the offending data.
 */

export interface ErrorSpec {
  /** HTTP status the code maps to at the REST edge. */
  readonly http: number;
  /** gRPC status code (numeric, @grpc/grpc-js `status`) at the gRPC edge. */
  readonly grpc: number;
  /** One sentence for the docs; a test checks every code has one. */
  readonly doc: string;
}

export type ErrorRegistry = Readonly<Record<string, ErrorSpec>>;

export class GenofedError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcStatus: number;

  constructor(code: string, spec: ErrorSpec, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GenofedError';
    this.code = code;
    this.httpStatus = spec.http;
    this.grpcStatus = spec.grpc;
  }
}

/** gRPC status codes, numerically (kept here so shared code need not import grpc-js). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** Shared-domain errors: query model, variant keys, regions, cohort expressions. */
export const PROTO_ERRORS = {
  GENOFED_BAD_REGION: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A region, a region list item or a regions-file line is malformed (not CHR, CHR:POS, CHR:START-END or CHR:START- with 1 <= START <= END, a BED line of CHR START END, or a tab line of CHR POS / CHR BEG END); the message names the item or line and what is wrong.' },
  GENOFED_BAD_VARIANT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A variant key or variant-list line is malformed.' },
  GENOFED_BAD_COHORT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A cohort expression does not parse, or names an unknown column or a value of the wrong type.' },
  GENOFED_BAD_SCHEMA: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A phenotype schema is malformed, names a column twice, or declares an identifier-like column.' },
  GENOFED_BAD_ROSTER: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A roster file is malformed, lacks a member signature, or a signature does not verify.' },
  GENOFED_BAD_MESSAGE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A gRPC message cannot be decoded or converted to the domain model (unknown kind or counter, missing field, wrong length).' },
} as const satisfies ErrorRegistry;

export type ProtoErrorCode = keyof typeof PROTO_ERRORS;

export class ProtoError extends GenofedError {
  constructor(code: ProtoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, PROTO_ERRORS[code], message, options);
    this.name = 'ProtoError';
  }
}
