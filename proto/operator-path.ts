/**
 * The path an operator typed, carried on an error for the operator's own
 * terminal only. Messages name a file by its basename because a message
 * may be logged or cross the wire (a hospital path is never sent); but at
 * the CLI the person reading is the one who typed the path, and "store
 * folder has no genofed store" without saying which folder does not help
 * them. So the path rides under a symbol key: pino, JSON.stringify and the
 * gRPC/REST error mappers (which copy code and message) never see it, and
 * `bin/report-error.ts` prints it.
 */
const KEY = Symbol.for('genofed.operatorPath');

/** Attach `path` (as given on the command line or in a config) to `err`; returns `err`. */
export function withOperatorPath<E>(err: E, path: string): E {
  if (err !== null && typeof err === 'object') Object.defineProperty(err, KEY, { value: path, enumerable: false, configurable: true });
  return err;
}

/** The path attached by withOperatorPath, if any. */
export function operatorPath(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const p = (err as Record<symbol, unknown>)[KEY];
  return typeof p === 'string' ? p : undefined;
}
