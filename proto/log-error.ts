/**
 * How an error object appears in a pino log line of the node and the
 * coordinator (`serializers: LOG_SERIALIZERS`). pino's default `err`
 * serializer appends every `cause`'s message and stack to the error's, and
 * a file error's cause is node's own (`ENOENT: no such file or directory,
 * open '/hospital/...'`): the path the message was written to avoid. So
 * only the error's own fields are kept: a coded error's code and message
 * (which by construction name no data and no path) and its stack frames;
 * any other error its class and code only (its message may quote a path
 * or input, as bin/report-error.ts assumes). The operator's path
 * (proto/operator-path.ts) is never read.
 */

/** The `err` field of a log line. */
export function logError(err: unknown): Record<string, unknown> {
  if (err === null || typeof err !== 'object') return { type: typeof err };
  const e = err as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const type = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined;
  // The frames only: the stack's first line repeats the message.
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : undefined;
  if (typeof code === 'string' && code.startsWith('GENOFED_')) return { type, code, message: String(e.message), ...(frames ? { stack: frames } : {}) };
  return { type, ...(code !== undefined ? { code } : {}), ...(frames ? { stack: frames } : {}) };
}

/** pino's `serializers` option for every logger the node and the coordinator make. */
export const LOG_SERIALIZERS = { err: logError } as const;
