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
} as const satisfies ErrorRegistry;

export type NodeErrorCode = keyof typeof NODE_ERRORS;

export class NodeError extends GenofedError {
  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, NODE_ERRORS[code], message, options);
    this.name = 'NodeError';
  }
}
