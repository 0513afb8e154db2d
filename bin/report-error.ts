import { operatorPathSuffix } from '../proto/operator-path.js';

/**
 * Print an error for the operator and choose the exit code. Known errors
 * (stable `code`) print their message, which by construction names files
 * and lines but no data, and the path the operator gave when the error
 * carries one (proto/operator-path.ts: never logged, never sent). Unknown errors print only their class name unless
 * GENOFED_DEBUG=1: a library's message may echo the input it choked on.
 */
export function reportError(err: unknown): number {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code.startsWith('GENOFED_')) {
    const message = String(e.message);
    // The message names the file by its basename: add the path as given unless the message already says it.
    process.stderr.write(`genofed: ${e.code}: ${message}${operatorPathSuffix(err, message)}\n`);
    if (process.env.GENOFED_DEBUG === '1') process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return e.code === 'GENOFED_USAGE' ? 2 : 1;
  }
  const name = e && typeof e.name === 'string' ? e.name : typeof err;
  if (process.env.GENOFED_DEBUG === '1') {
    process.stderr.write(`genofed: unexpected ${name}: ${String(e?.message)}\n${(err as Error)?.stack ?? ''}\n`);
  } else {
    process.stderr.write(`genofed: unexpected ${name} (run with GENOFED_DEBUG=1 for details; they may include input data)\n`);
  }
  return 1;
}
