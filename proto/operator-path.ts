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
import { basename } from 'node:path';

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

/**
 * Whether `message` names the file `label` the way messages do: at the
 * start or after a space or '(', followed by ':' (`x.vcf:12: ...`,
 * `x.tsv: ...`), ' line ' (`x.bed line 2: ...`) or ')' (`roster (x.json)`).
 * A bare word ("the store folder") is not a file named.
 */
function names(message: string, label: string): boolean {
  for (let at = message.indexOf(label); at >= 0; at = message.indexOf(label, at + 1)) {
    const before = at === 0 ? ' ' : message[at - 1]!;
    const rest = message.slice(at + label.length);
    if ((before === ' ' || before === '(') && (rest.startsWith(':') || rest.startsWith(' line ') || rest.startsWith(')'))) return true;
  }
  return false;
}

/**
 * The CLI's fallback for errors raised where the path is not known
 * (parsers take text and a label, never a path: "x.vcf line 3: ..."):
 * attach the first of the paths the operator typed whose basename the
 * message names, unless the error carries a path already. Returns `err`.
 */
export function attachTypedPath<E>(err: E, typed: readonly string[]): E {
  if (operatorPath(err) !== undefined) return err;
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return err;
  const path = typed.find((p) => p.length > 0 && names(message, basename(p)));
  return path === undefined ? err : withOperatorPath(err, path);
}

/**
 * What the CLI appends to a coded error's message on the operator's
 * terminal: ` (path)` when the error carries a path the message does not
 * already say, else ''.
 */
export function operatorPathSuffix(err: unknown, message: string): string {
  const path = operatorPath(err);
  return path !== undefined && !message.startsWith(`${path}:`) && !message.includes(` ${path}`) ? ` (${path})` : '';
}
