/**
 * Stable error codes of the hospital node (ingest, store, local queries,
 * pseudonymization, node server). Add codes here, each with a doc line;
 * `test/errors.test.ts` checks every code is documented and unique.
 *
 * Messages name the file (basename only) and the line or record number and
 * the kind of problem, never the data on that line.
 */
import { GenofedError, GrpcStatus, type ErrorRegistry } from '../proto/errors.js';

export const NODE_ERRORS = {
  GENOFED_INPUT_NOT_FOUND: { http: 400, grpc: GrpcStatus.NOT_FOUND, doc: 'An input file does not exist or cannot be read.' },
  GENOFED_INPUT_FORMAT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'An input file is malformed; the message names the file, the line or record and the problem.' },
  GENOFED_INPUT_TRUNCATED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A compressed input ends early (truncated gzip/BGZF, missing BGZF EOF block).' },
  GENOFED_OUTPUT_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, doc: 'An output file already exists and overwriting was not requested.' },
  GENOFED_USAGE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A command-line option is missing or has an invalid value.' },
  GENOFED_KEY_FILE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A site key file is not valid JSON of format genofed-site-key v1 (bad secret length, key id mismatch, ...).' },
  GENOFED_KEY_PERMISSIONS: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'A site key file can be read or written by group or others; it must be mode 0600.' },
  GENOFED_MAP_DECRYPT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A re-identification map cannot be decrypted: wrong key or key version, or the file was modified or truncated.' },
  GENOFED_BAM_FORMAT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A BAM file is malformed (bad magic, header, reference list or record layout); the message names the file and the record number.' },
  GENOFED_SAM_FORMAT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A SAM file is malformed (too few columns, a non-numeric field, a bad tag); the message names the file and the line number.' },
  GENOFED_CRAM_UNSUPPORTED: { http: 415, grpc: GrpcStatus.UNIMPLEMENTED, doc: 'A CRAM file was given where SAM/BAM is expected; convert it with samtools view -b first.' },
  GENOFED_REFERENCE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'The reference FASTA given to --sanitize cannot be used for this alignment file: not a FASTA, compressed, an index (.fai) that does not match it, a contig the alignment uses is missing, or a read runs past the end of its contig; the message names the FASTA (basename) and the contig, never a sequence.' },
  GENOFED_VCF_HEADER: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A VCF header is malformed (fileformat line, meta-information line, #CHROM line, sample names); the message names file and line.' },
  GENOFED_VCF_RECORD: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A VCF record has a malformed fixed column (column count, CHROM, POS, ID, REF, ALT, QUAL, FILTER, FORMAT).' },
  GENOFED_VCF_INFO: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A VCF INFO field breaks its declared or reserved Type/Number, or is syntactically malformed.' },
  GENOFED_VCF_GENOTYPE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A VCF sample column is malformed: GT syntax, allele index out of range, too many sub-fields, or a FORMAT value breaking its Type/Number.' },
  GENOFED_VCF_ORDER: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'VCF records are unsorted, a contig is not contiguous, or a variant is duplicated.' },
  GENOFED_VCF_BCF_UNSUPPORTED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'The input is BCF1 or another binary VCF version the reader does not decode (BCF2 is read); convert it with `bcftools view -Ov`.' },
  GENOFED_CONFIG: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A configuration file is missing, unreadable or fails its schema; the message names the field.' },
  GENOFED_CALLER_REFUSED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The node refused a gRPC caller whose client certificate does not name the configured coordinator.' },
  GENOFED_QUERY_SIGNATURE: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED, doc: 'A query envelope is unsigned or its Ed25519 signature does not verify under the coordinator key; the refusal is logged.' },
  GENOFED_QUERY_EXPIRED: { http: 403, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A query envelope has expired, is issued in the future, or lives longer than the node allows; the refusal is logged.' },
  GENOFED_QUERY_REPLAYED: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, doc: 'A query id the node has already seen (a replay); the refusal is logged.' },
  GENOFED_QUERY_NOT_PARTICIPANT: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'A query whose participant set or coordinator id does not match this node; the refusal is logged.' },
  GENOFED_QUERY_MALFORMED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A query envelope or request stream is malformed (kind, parameters, variant list count or digest, unsupported option).' },
  GENOFED_STORE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, doc: 'The store folder has no genofed store (run `genofed node ingest` first, or pass create).' },
  GENOFED_STORE_LOCKED: { http: 409, grpc: GrpcStatus.UNAVAILABLE, doc: 'The store is open read-write in another process (e.g. the node server); open it read-only or stop that process.' },
  GENOFED_STORE_VERSION: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'The store was written by an incompatible schema version of genofed.' },
  GENOFED_STORE_ALREADY_INGESTED: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, doc: 'A VCF with the same content (SHA-256) was already ingested into this store, possibly under another name.' },
  GENOFED_STORE_SAMPLE_OVERLAP: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A VCF shares samples with an ingested file whose records cover an overlapping range of the same contig: its genotypes would be counted twice.' },
  GENOFED_STORE_ASSEMBLY: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A VCF is on another reference assembly than the store (by its ##reference / ##contig assembly= names or its contig lengths), a contig length differs from the one the store recorded, or the header contradicts itself; the message names both; the store is unchanged.' },
  GENOFED_ADMIN_SOCKET: { http: 503, grpc: GrpcStatus.UNAVAILABLE, doc: 'The local admin socket of a serving node cannot be used: not an owner-only socket of this user (refused before connecting), no answer, a malformed request or reply, a store folder path too long for a socket, or the node shut down during the request.' },
  GENOFED_STORE_READ_ONLY: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A write (ingest, query log) was attempted on a store opened read-only.' },
  GENOFED_STORE_IO: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'The embedded database failed (disk full, corrupt file, I/O error); the store is left as it was before the operation.' },
  GENOFED_PHENOTYPE_FORMAT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A phenotype table is malformed (no id column, ragged row, duplicate sample id, a value not of the column type); the message names file and line.' },
  GENOFED_PHENOTYPE_SCHEMA: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A phenotype table does not fit the consortium schema (a schema column is missing, or a value is outside the schema: the message names file, line and column, never the value), or a schema that differs from the store\'s was given without a phenotype table to re-ingest under it; the store is unchanged.' },
  GENOFED_PHENOTYPE_IDENTIFIER: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'Without a consortium schema, a phenotype column looks like an identifier (identifier-like name, or a distinct value in every row of at least 10) and is refused as a query column; give --schema or remove the column.' },
  GENOFED_PHENOTYPE_UNMATCHED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'None of a phenotype table\'s sample ids matches a sample of the store or of the same ingest (genotyped, or with expression values), so it would replace the phenotypes with nothing usable; the store is unchanged.' },
  GENOFED_EXPRESSION_FORMAT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'An expression matrix is malformed (no header, a sample column without a name or named twice, a ragged row, an empty or repeated gene id, a value that is missing, not a number or not finite, a negative count, a log value of magnitude 1024 or more, a sample whose counts sum to 0); the message names file and line (and column number), never a value or a sample id; the store is unchanged.' },
  GENOFED_EXPRESSION_UNMATCHED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'None of an expression matrix\'s sample names is a sample the store (or the same ingest) already has through genotypes, phenotypes or the previous matrix, so it cannot be linked to anything (pseudonyms under another key?); the store is unchanged.' },
  GENOFED_EXPRESSION_UNAVAILABLE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'An expression query found no expression matrix in the store, asked for library sizes of a matrix ingested as log values, or named a sample that has no expression values.' },
  GENOFED_NOT_PSEUDONYMIZED: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'Ingest refused sample ids that are not this site\'s pseudonyms: a VCF whose sample names are not genofed pseudonyms, lacks the ##genofed_pseudonyms line or whose MAC does not verify under the site key, or a phenotype id or expression-matrix sample name that is not a pseudonym; run genofed pseudonymize first, or pass --raw-ids to accept raw ids deliberately.' },
  GENOFED_MASK_SETUP: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'Secure-aggregation masks cannot be derived: this site is not in the participant set, a participant is listed twice or has no valid X25519 public key in the roster.' },
  GENOFED_CALLER_NOT_IN_POLICY: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The caller certificate matches no coordinator rule (SHA-256 fingerprint or coordinator id) of the node policy.' },
  GENOFED_KIND_NOT_ALLOWED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The node policy does not allow this coordinator the requested query kind.' },
  GENOFED_RATE_LIMITED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, doc: 'The querier reached its queries-per-hour or per-day limit; the message says when to retry.' },
  GENOFED_BUDGET_EXHAUSTED: { http: 403, grpc: GrpcStatus.RESOURCE_EXHAUSTED, doc: 'The querier\'s differential-privacy epsilon budget at this node cannot pay for the query; budgets survive restarts.' },
  GENOFED_COHORT_DIFFERENCING: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The cohort differs from one this querier was already answered for by fewer than k patients (differencing guard).' },
  GENOFED_LEDGER_CORRUPT: { http: 500, grpc: GrpcStatus.DATA_LOSS, doc: 'The privacy ledger (privacy-ledger.jsonl, or a v1 privacy-ledger.json being migrated) cannot be read, or a complete line fails its schema or sequence; queries are refused until it is restored (budgets never restart from zero).' },
  GENOFED_LEDGER_IO: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'An append to the privacy ledger (write, fsync) or its creation failed; the query is not answered.' },
  GENOFED_LEDGER_LOCKED: { http: 503, grpc: GrpcStatus.UNAVAILABLE, doc: 'The privacy ledger or audit log lock is held by another live process for longer than the timeout.' },
  GENOFED_ROSTER_MISMATCH: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The signed participant set is not exactly this node\'s roster (a subset, a superset, a name outside it), or the envelope names another roster or coordinator; refused and audited.' },
  GENOFED_ROSTER_NOT_CONFIRMED: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'The roster file is not the one this site\'s operator confirmed (fingerprint in the node config), lacks a member\'s valid signature, or does not hold this site\'s or the coordinator\'s keys; the node does not start.' },
  GENOFED_ROSTER_EPOCH: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A new roster does not follow the last one this node accepted (epoch + 1, previous fingerprint, unchanged signing keys of continuing members) or changes membership sooner than the configured minimum interval.' },
  GENOFED_UNMASKED: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'The node has no roster (no pairwise masks) and was not started with --insecure-unmasked for a benchmark, or --insecure-unmasked was given together with a roster; it does not serve.' },
  GENOFED_SIZE_ROUND: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'The relayed size commitments are not one valid, signed commitment of every roster member for this query (missing, duplicated, altered, forged, or a box that does not decrypt); refused and audited.' },
  GENOFED_ENVELOPE_MISMATCH: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'Another roster member received a different signed envelope under the same query id (its commitment signs another envelope digest); refused and audited.' },
  GENOFED_COHORT_TOO_SMALL: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, doc: 'A population of the query (cohort, stratum cell, carriers) has a network-wide size of 1..k-1, verified by the nodes themselves in the size round; refused by every node and audited.' },
  GENOFED_DP_POLICY: { http: 403, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'The envelope\'s dp_epsilon differs from the node\'s DP policy (DP on: must equal the configured epsilon per query; DP off: must be 0); refused and audited.' },
  GENOFED_AUDIT_CORRUPT: { http: 500, grpc: GrpcStatus.DATA_LOSS, doc: 'The audit log or audit.head is inconsistent, so no entry can be appended; run genofed audit verify.' },
  GENOFED_AUDIT_IO: { http: 500, grpc: GrpcStatus.INTERNAL, doc: 'The audit log cannot be read or an append (write, fsync, head update) failed; the query is not answered.' },
} as const satisfies ErrorRegistry;

export type NodeErrorCode = keyof typeof NODE_ERRORS;

export class NodeError extends GenofedError {
  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, NODE_ERRORS[code], message, options);
    this.name = 'NodeError';
  }
}
