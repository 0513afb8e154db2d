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
} as const satisfies ErrorRegistry;

export type NodeErrorCode = keyof typeof NODE_ERRORS;

export class NodeError extends GenofedError {
  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, NODE_ERRORS[code], message, options);
    this.name = 'NodeError';
  }
}
