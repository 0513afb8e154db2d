/**
 * Error -> gRPC status, in one place for the node service: errors with a
 * stable GENOFED_* code keep it (in the `genofed-code` trailer) and their
 * message (which names no data); anything else is INTERNAL with a fixed text.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

export function toServiceError(err: unknown): Partial<ServiceError> {
  const e = err as { code?: unknown; grpcStatus?: unknown; message?: unknown } | null;
  const metadata = new Metadata();
  if (e && typeof e.code === 'string' && e.code.startsWith('GENOFED_') && typeof e.grpcStatus === 'number') {
    metadata.set('genofed-code', e.code);
    return { code: e.grpcStatus, details: `${e.code}: ${String(e.message)}`, metadata };
  }
  metadata.set('genofed-code', 'GENOFED_NODE_INTERNAL');
  return { code: status.INTERNAL, details: 'internal error at the node', metadata };
}

