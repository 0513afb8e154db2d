/**
 * The CLI side of the admin socket (admin-socket.ts): what `genofed node
 * query` and `genofed node ingest` use when a running node holds the store
 * (GENOFED_STORE_LOCKED on the file). Before connecting it checks that the
 * socket is this user's and owner-only, so a socket someone else placed in
 * the folder is never sent a query or an ingest.
 */
import { lstat } from 'node:fs/promises';
import { connect } from 'node:net';
import { NodeError } from '../errors.js';
import type { VariantKey } from '../../proto/variant.js';
import {
  ADMIN_PROTOCOL_VERSION, adminSocketPath, errorFromReply,
  type AdminAlleleCountArgs, type AdminIngestArgs, type AdminReply, type AdminResults,
} from './admin-protocol.js';
import type { IngestProgress, IngestReport } from './ingest.js';
import type { AlleleCountRow, StoreSummary } from './store.js';

export class AdminClient {
  constructor(readonly path: string) {}

  private request<K extends keyof AdminResults>(op: K, args: object, onProgress?: (p: IngestProgress) => void): Promise<AdminResults[K]> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.path);
      let buf = '';
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(err);
      };
      socket.setEncoding('utf8');
      socket.once('connect', () => socket.write(`${JSON.stringify({ v: ADMIN_PROTOCOL_VERSION, op, args })}\n`));
      socket.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let reply: AdminReply;
          try {
            reply = JSON.parse(line) as AdminReply;
          } catch (cause) {
            fail(new NodeError('GENOFED_ADMIN_SOCKET', 'the node sent a malformed admin reply', { cause }));
            return;
          }
          if (reply.type === 'progress') onProgress?.(reply.progress);
          else if (reply.type === 'error') fail(errorFromReply(reply));
          else if (!settled) {
            settled = true;
            socket.end();
            resolve(reply.value as AdminResults[K]);
          }
        }
      });
      socket.once('error', (cause) => fail(new NodeError('GENOFED_ADMIN_SOCKET', 'the store is held by another process whose admin socket does not answer (a node that is starting or stopping?); try again, or stop that process', { cause })));
      socket.once('close', () => fail(new NodeError('GENOFED_ADMIN_SOCKET', 'the node closed the admin connection without an answer (is it shutting down?)')));
    });
  }

  summary(): Promise<StoreSummary> {
    return this.request('summary', {});
  }

  alleleCounts(q: AdminAlleleCountArgs): Promise<AlleleCountRow[]> {
    return this.request('alleleCounts', q);
  }

  cohortCount(cohort: string): Promise<number> {
    return this.request('cohortCount', { cohort });
  }

  async resolveRsIds(ids: readonly string[]): Promise<Map<string, VariantKey[]>> {
    return new Map(await this.request('resolveRsIds', { ids }));
  }

  /** Ingest through the node: one transaction in its store queue; progress as the node reads. Paths must be absolute. */
  ingest(args: AdminIngestArgs, onProgress?: (p: IngestProgress) => void): Promise<IngestReport> {
    return this.request('ingest', args, onProgress);
  }

  /** Nothing to release: one connection per request. */
  async close(): Promise<void> {}
}

/**
 * The admin client of the node holding `dir`, or null when there is no
 * socket. Refuses (GENOFED_ADMIN_SOCKET) a socket that is not a socket, not
 * this user's, or reachable by group or others.
 */
export async function connectAdmin(dir: string): Promise<AdminClient | null> {
  const path = adminSocketPath(dir);
  const st = await lstat(path).catch(() => null);
  if (!st) return null;
  const uid = process.getuid?.();
  if (!st.isSocket() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new NodeError('GENOFED_ADMIN_SOCKET', `the store folder's admin.sock is not an owner-only socket of this user (mode ${(st.mode & 0o777).toString(8)}); refusing to use it`);
  }
  return new AdminClient(path);
}
