/**
 * One place maps every failure to `{ error: { code, message } }`:
 * - errors with a stable `GENOFED_*` code and an `httpStatus` (GenofedError)
 *   keep their code, message and status;
 * - schema failures are 400 GENOFED_BAD_REQUEST naming the field (ajv's
 *   messages name the path and the rule, never the value);
 * - a body over the limit is 413 GENOFED_BODY_TOO_LARGE naming the limit;
 * - fastify's own other client errors (bad JSON, wrong media type) keep
 *   their 4xx status under GENOFED_BAD_REQUEST;
 * - anything else is 500 GENOFED_INTERNAL with a fixed message; the error is
 *   logged server-side only (a library message may echo request data).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

interface Coded {
  code?: unknown;
  httpStatus?: unknown;
  message?: unknown;
}

export interface ErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Pure mapping, exported for tests. `maxBodyBytes` is named in the 413 message. */
export function toErrorReply(err: unknown, maxBodyBytes?: number): ErrorReply {
  const e = (err ?? {}) as Coded & Partial<FastifyError>;
  if (typeof e.code === 'string' && e.code.startsWith('GENOFED_') && typeof e.httpStatus === 'number') {
    return { status: e.httpStatus, code: e.code, message: String(e.message ?? '') };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = maxBodyBytes === undefined ? 'the limit' : `the limit of ${maxBodyBytes} bytes (coordinator config limits.maxBodyBytes)`;
    return { status: 413, code: 'GENOFED_BODY_TOO_LARGE', message: `request body exceeds ${limit}; query large variant sets by region` };
  }
  if (Array.isArray(e.validation)) {
    const first = e.validation[0];
    const where = first?.instancePath ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') : (e.validationContext ?? 'request');
    const what = first?.message ?? 'is invalid';
    return { status: 400, code: 'GENOFED_BAD_REQUEST', message: `${where} ${what}` };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.code === 'string' && e.code.startsWith('FST_')) {
    return { status: e.statusCode, code: 'GENOFED_BAD_REQUEST', message: fastifyClientMessage(e.code, e.statusCode) };
  }
  return { status: 500, code: 'GENOFED_INTERNAL', message: 'internal error' };
}

/** Fixed texts: fastify's own messages can quote the offending input (e.g. a JSON fragment). */
function fastifyClientMessage(code: string, status: number): string {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported media type; send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'request body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return 'request body is not valid JSON';
    default: return `bad request (${status})`;
  }
}

/** The app's error handler; `limits` only feeds the 413 message. */
export function errorHandler(limits?: { readonly maxBodyBytes: number }): (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (err, request, reply) => handle(err, request, reply, limits?.maxBodyBytes);
}

function handle(err: FastifyError, request: FastifyRequest, reply: FastifyReply, maxBodyBytes: number | undefined): void {
  const mapped = toErrorReply(err, maxBodyBytes);
  if (mapped.status >= 500) {
    // Server-side only; the client sees the fixed message.
    request.log.error({ err, code: mapped.code }, 'request failed');
  } else {
    request.log.info({ code: mapped.code, status: mapped.status }, 'request refused');
  }
  if (mapped.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="genofed"');
  void reply.status(mapped.status).send({ error: { code: mapped.code, message: mapped.message } });
}
