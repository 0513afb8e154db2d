/**
 * Stable error codes of the coordinator (fan-out, aggregation, REST API,
 * researcher CLI, network set-up, demo). Every code has a doc line;
 * `test/errors.test.ts` checks them.
 */
import { GenofedError, GrpcStatus, type ErrorRegistry } from '../proto/errors.js';

export const COORDINATOR_ERRORS = {
  GENOFED_CONFIG: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION, doc: 'A configuration file is missing, unreadable or fails its schema; the message names the field.' },
  GENOFED_USAGE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, doc: 'A command-line option is missing or has an invalid value.' },
} as const satisfies ErrorRegistry;

export type CoordinatorErrorCode = keyof typeof COORDINATOR_ERRORS;

export class CoordinatorError extends GenofedError {
  constructor(code: CoordinatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, COORDINATOR_ERRORS[code], message, options);
    this.name = 'CoordinatorError';
  }
}
