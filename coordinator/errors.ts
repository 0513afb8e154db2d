/**
 * Stable error codes of the coordinator (fan-out, aggregation, REST API,
 * researcher CLI, network set-up and key ceremony, demo). Every code has a doc line;
 * `test/errors.test.ts` checks them.
 */
import { GenofedError, GrpcStatus, type ErrorRegistry } from '../proto/errors.js';

export const COORDINATOR_ERRORS = {
  GENOFED_CONFIG: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A configuration file is missing, unreadable or fails its schema; the message names the field.' },
  GENOFED_USAGE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A command-line option is missing or has an invalid value.' },
  GENOFED_UNAUTHORIZED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED, doc: 'A REST request has no bearer token or one the coordinator does not know.' },
  GENOFED_BAD_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A REST request body or parameter fails the route schema; the message names the field.' },
  GENOFED_BODY_TOO_LARGE: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED, doc: 'A REST request body exceeds limits.maxBodyBytes (default 8 MiB); nothing of it is echoed. Query large variant sets by region.' },
  GENOFED_TOO_MANY_REQUESTS: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, doc: 'The bearer token\'s querier made more than limits.queriesPerMinutePerToken requests (default 60) in the current minute; the Retry-After header says when to retry.' },
  GENOFED_INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'An unexpected error; details are only in the server log.' },
  GENOFED_API_UNREACHABLE: { http: 502, grpc: GrpcStatus.UNAVAILABLE, doc: 'The researcher CLI cannot reach the coordinator URL (connection refused, DNS, TLS, timeout).' },
  GENOFED_API_RESPONSE: { http: 502, grpc: GrpcStatus.UNKNOWN, doc: 'The coordinator answered with something that is not a genofed API response.' },
  GENOFED_DEMO_PROCESS: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'A process the demo started (ingest, node, coordinator) failed or exited early; the message names the step.' },
  GENOFED_DEMO_MISMATCH: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'The demo found federated results that differ from the plaintext computation on the unsplit input.' },
  GENOFED_OUTPUT_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, doc: 'An output file already exists and overwriting was not requested.' },
  GENOFED_ASSEMBLY_MISMATCH: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'The sites declare different reference assemblies for their stores (e.g. GRCh37 and GRCh38): their positions cannot be summed; the message lists each site\'s build. Nothing is asked.' },
  GENOFED_SITE_FAILED: { http: 502, grpc: GrpcStatus.UNAVAILABLE, doc: 'A site was down, missed its deadline, refused the query, or answered something that fails validation (fingerprint, layout, ciphertext count) or a limit (more variant keys than limits.maxVariantKeysPerSite); the message names the site and the reason.' },
  GENOFED_TOTALS_OUT_OF_BOUNDS: { http: 502, grpc: GrpcStatus.DATA_LOSS, doc: 'Decrypted network totals are impossible for the sites\' declared genotyped samples (AN above 2 x samples, AC above AN, a count above the samples): a site added to its counts; nothing is released.' },
  GENOFED_QUERY_INVALID: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A federated query asks for something the engine cannot run (neither or both of region and variants); the message names the field.' },
  GENOFED_ROSTER_INPUT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A key-ceremony input is wrong: a site or coordinator public file, a roster signature or a previous roster is malformed, or the roster would be invalid (a site listed twice, fewer than 3 sites, a continuing member with a new signing key, a signature for another roster); the message names the file and field.' },
  GENOFED_ROSTER_FINGERPRINT: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'roster sign: the fingerprint the operator typed (after comparing it with the other sites) is not the fingerprint of the roster file given; nothing is signed.' },
  GENOFED_ROSTER_SIGNER: { http: 400, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'roster sign: the site is not a member of the roster, or the signing key given is not an Ed25519 private key whose public part the roster lists for that site; nothing is signed.' },
  GENOFED_ROSTER_INCOMPLETE: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'roster seal: a member has not signed, a signature does not verify for this roster, or a non-member signed; no roster is written (nodes use a roster only when every member signed it).' },
  GENOFED_EXPRESSION_MISMATCH: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'An expression query cannot be run over these sites: they hold no gene in common (or none of those asked), or some hold counts and others log values; the message says which.' },
  GENOFED_DP_NOISE_TOO_LARGE: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'With DP on, the noise on an expression query\'s network sums leaves no model to fit (noisy n not above the design\'s columns, a noisy X\'X that is not positive definite, or no gene with a positive residual variance); the message says which and gives the noise scale. The rounds\' epsilon was spent.' },
  GENOFED_DECRYPT_FAILED: { http: 500, grpc: GrpcStatus.DATA_LOSS, doc: 'The network total could not be decrypted or failed its noise-budget check; nothing is released.' },
} as const satisfies ErrorRegistry;

export type CoordinatorErrorCode = keyof typeof COORDINATOR_ERRORS;

export class CoordinatorError extends GenofedError {
  constructor(code: CoordinatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, COORDINATOR_ERRORS[code], message, options);
    this.name = 'CoordinatorError';
  }
}
