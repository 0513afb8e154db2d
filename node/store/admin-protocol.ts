/**
 * The local admin socket's wire format, shared by the node side
 * (admin-socket.ts) and the CLI side (admin-client.ts): one request per
 * connection, newline-delimited JSON. The client writes one line
 * `{ v: 1, op, args }`; the node answers with zero or more
 * `{ type: 'progress', ... }` lines (ingest) and one final `result` or
 * `error` line, then closes. Errors travel as their stable code and
 * message (never a stack or a cause), and are rebuilt as the same
 * NodeError / ProtoError on the CLI side, so its output is the same as
 * when it opens the store file itself.
 */
import { join } from 'node:path';
import { NODE_ERRORS, NodeError, type NodeErrorCode } from '../errors.js';
import { PROTO_ERRORS, ProtoError, type ProtoErrorCode } from '../../proto/errors.js';
import type { PhenotypeType } from '../../proto/cohort/index.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import type { IngestProgress, IngestReport } from './ingest.js';
import type { AlleleCountRow, StoreSummary } from './store.js';

export const ADMIN_PROTOCOL_VERSION = 1;

/** The socket's name in the store folder. */
export const ADMIN_SOCKET = 'admin.sock';

/**
 * A Unix socket path longer than this does not fit `sockaddr_un` (108
 * bytes with its NUL on Linux, 104 on macOS): such a store folder gets no
 * admin socket (the node logs it and serves without).
 */
export const MAX_SOCKET_PATH = 103;

export function adminSocketPath(dir: string): string {
  return join(dir, ADMIN_SOCKET);
}

/** Largest request line accepted (a 1M-key variants list is ~40 MB of JSON). */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** What `node ingest` sends: the CLI's options with absolute paths (the node reads the files; same user). */
export interface AdminIngestArgs {
  vcfs: string[];
  phenotypes?: string;
  idColumn?: string;
  types?: Record<string, PhenotypeType>;
  schema?: PhenotypeSchema;
  strict?: boolean;
  keyFile?: string;
  rawIds?: boolean;
  unverifiedPseudonyms?: boolean;
  expression?: string;
  expressionValues?: 'counts' | 'log';
}

export interface AdminAlleleCountArgs {
  regions?: Region[];
  variants?: VariantKey[];
  cohort?: string;
  by?: string;
}

export type AdminRequest =
  | { v: number; op: 'summary'; args: Record<string, never> }
  | { v: number; op: 'alleleCounts'; args: AdminAlleleCountArgs }
  | { v: number; op: 'cohortCount'; args: { cohort: string } }
  | { v: number; op: 'resolveRsIds'; args: { ids: string[] } }
  | { v: number; op: 'ingest'; args: AdminIngestArgs };

export interface AdminResults {
  summary: StoreSummary;
  alleleCounts: AlleleCountRow[];
  cohortCount: number;
  /** Map entries (JSON has no Map). */
  resolveRsIds: [string, VariantKey[]][];
  ingest: IngestReport;
}

export type AdminReply =
  | { type: 'progress'; progress: IngestProgress }
  | { type: 'result'; value: unknown }
  | { type: 'error'; code: string; message: string };

/** An error as it crosses the socket: its code and message only. */
export function errorReply(err: unknown): { type: 'error'; code: string; message: string } {
  const code = err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' ? (err as { code: string }).code : '';
  if (code.startsWith('GENOFED_')) return { type: 'error', code, message: (err as Error).message };
  return { type: 'error', code: 'GENOFED_STORE_IO', message: 'the node failed to answer the admin request (see its log)' };
}

/** The same error class and code on this side of the socket. */
export function errorFromReply(reply: { code: string; message: string }): Error {
  if (reply.code in NODE_ERRORS) return new NodeError(reply.code as NodeErrorCode, reply.message);
  if (reply.code in PROTO_ERRORS) return new ProtoError(reply.code as ProtoErrorCode, reply.message);
  return new NodeError('GENOFED_ADMIN_SOCKET', `the node answered with an unknown error code (${reply.code.slice(0, 60)})`);
}
