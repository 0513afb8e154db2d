/**
 * The serving node's local admin endpoint: a Unix domain socket
 * `admin.sock` in the store folder, mode 0600, owned by the node's user; no
 * network port. While `genofed node serve` holds the store (DuckDB allows
 * one read-write process and no reader), `genofed node query` and
 * `genofed node ingest` reach the store through it (admin-client.ts), with
 * the same output as when they open the file. Requests run on the node's
 * own Store handle, so they queue with the gRPC queries: an ingest is one
 * transaction that queries wait for, exactly as an ingest in the node's
 * process would be.
 *
 * Who may connect: the socket file is created in a private (0700)
 * directory, set to 0600 there and only then renamed into the store
 * folder, so it is never reachable with wider permissions; the store
 * folder itself is 0700. The CLI refuses a socket that is not owner-only
 * or not its user's (admin-client.ts).
 */
import { lstat, mkdtemp, rename, rmdir, chmod, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { NodeError } from '../errors.js';
import { schemaFingerprint } from '../../proto/phenotype-schema.js';
import {
  ADMIN_PROTOCOL_VERSION, MAX_REQUEST_BYTES, MAX_SOCKET_PATH, adminSocketPath, errorReply,
  type AdminAlleleCountArgs, type AdminIngestArgs, type AdminReply, type AdminRequest,
} from './admin-protocol.js';
import { ingestInto, type IngestOptions, type SampleIdCheck } from './ingest.js';
import type { Store } from './store.js';

export interface AdminSocket {
  /** The socket's path, or null when the store folder's path is too long for one (logged). */
  readonly path: string | null;
  /** Stop taking requests, abort a running ingest (rolled back), remove the socket. Idempotent. */
  close(): Promise<void>;
}

type Log = Pick<Logger, 'info' | 'warn'>;

function malformed(what: string): NodeError {
  return new NodeError('GENOFED_ADMIN_SOCKET', `malformed admin request: ${what}`);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function parseRequest(line: string): AdminRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw malformed('not JSON');
  }
  const r = raw as { v?: unknown; op?: unknown; args?: unknown };
  if (typeof raw !== 'object' || raw === null || r.v !== ADMIN_PROTOCOL_VERSION) throw malformed(`protocol version is not ${ADMIN_PROTOCOL_VERSION} (a genofed of another version?)`);
  if (typeof r.args !== 'object' || r.args === null) throw malformed('no args');
  const a = r.args as Record<string, unknown>;
  switch (r.op) {
    case 'summary':
      return { v: 1, op: 'summary', args: {} };
    case 'cohortCount':
      if (!isString(a.cohort)) throw malformed('cohort');
      return { v: 1, op: 'cohortCount', args: { cohort: a.cohort } };
    case 'resolveRsIds':
      if (!isStringArray(a.ids)) throw malformed('ids');
      return { v: 1, op: 'resolveRsIds', args: { ids: a.ids } };
    case 'alleleCounts': {
      const regionOk = (x: unknown): boolean => { const g = x as Record<string, unknown>; return typeof x === 'object' && x !== null && isString(g.chrom) && Number.isSafeInteger(g.start) && Number.isSafeInteger(g.end); };
      const keyOk = (x: unknown): boolean => { const k = x as Record<string, unknown>; return typeof x === 'object' && x !== null && isString(k.chrom) && Number.isSafeInteger(k.pos) && isString(k.ref) && isString(k.alt); };
      if (a.regions !== undefined && !(Array.isArray(a.regions) && a.regions.every(regionOk))) throw malformed('regions');
      if (a.variants !== undefined && !(Array.isArray(a.variants) && a.variants.every(keyOk))) throw malformed('variants');
      if (a.cohort !== undefined && !isString(a.cohort)) throw malformed('cohort');
      if (a.by !== undefined && !isString(a.by)) throw malformed('by');
      return { v: 1, op: 'alleleCounts', args: a as AdminAlleleCountArgs };
    }
    case 'ingest': {
      if (!isStringArray(a.vcfs)) throw malformed('vcfs');
      for (const k of ['phenotypes', 'idColumn', 'keyFile', 'expression'] as const) if (a[k] !== undefined && !isString(a[k])) throw malformed(k);
      if (a.expressionValues !== undefined && a.expressionValues !== 'counts' && a.expressionValues !== 'log') throw malformed('expressionValues');
      for (const k of ['strict', 'rawIds', 'unverifiedPseudonyms'] as const) if (a[k] !== undefined && typeof a[k] !== 'boolean') throw malformed(k);
      if (a.types !== undefined && (typeof a.types !== 'object' || a.types === null)) throw malformed('types');
      if (a.schema !== undefined && (typeof a.schema !== 'object' || a.schema === null)) throw malformed('schema');
      return { v: 1, op: 'ingest', args: a as unknown as AdminIngestArgs };
    }
    default:
      throw malformed('unknown operation');
  }
}

/** The one sample-id check the CLI chose (ingest.ts SampleIdCheck), from the request's flags. */
function idCheckOf(a: AdminIngestArgs): SampleIdCheck {
  if (a.rawIds === true) return { rawIds: true };
  if (a.keyFile !== undefined) return { keyFile: a.keyFile };
  if (a.unverifiedPseudonyms === true) return { unverifiedPseudonyms: true };
  // Neither: ingest refuses it with the same GENOFED_USAGE as in the CLI's own process.
  return {} as SampleIdCheck;
}

/** Is a socket at `path` answered by a live process? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Serve `store` (opened read-write by this process) on `dir`/admin.sock
 * until `close()` or until the store closes. `dir` is the store folder.
 * serve.ts: `await startAdminSocket(store, { dir: config.store, logger: log });`
 */
export async function startAdminSocket(store: Store, options: { dir: string; logger: Log }): Promise<AdminSocket> {
  const log = options.logger;
  if (store.readOnly) throw new NodeError('GENOFED_ADMIN_SOCKET', 'the admin socket serves a store this process opened read-write');
  const path = adminSocketPath(options.dir);
  // The private directory's socket path is 9 bytes longer than the final one.
  if (Buffer.byteLength(path) + 9 > MAX_SOCKET_PATH) {
    log.warn({ maxBytes: MAX_SOCKET_PATH }, 'admin socket not started: the store folder\'s path is too long for a Unix socket; node query and node ingest need the node stopped');
    return { path: null, close: async () => undefined };
  }
  const existing = await lstat(path).catch(() => null);
  if (existing) {
    if (!existing.isSocket()) throw new NodeError('GENOFED_ADMIN_SOCKET', 'admin.sock in the store folder is not a socket; remove it');
    if (await answers(path)) throw new NodeError('GENOFED_ADMIN_SOCKET', 'another process already answers on the store\'s admin socket');
    await unlink(path); // left by a node that did not shut down
  }

  /** Connections that have not sent their request yet (destroyed at close; the others finish). */
  const idle = new Set<Socket>();
  const running = new Set<AbortController>();
  let closing = false;
  const server: Server = createServer((socket) => {
    if (closing) { socket.destroy(); return; }
    idle.add(socket);
    socket.once('close', () => idle.delete(socket));
    let buf = '';
    let started = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (started) return;
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_REQUEST_BYTES) { started = true; idle.delete(socket); void answer(socket, () => { throw malformed(`request longer than ${MAX_REQUEST_BYTES} bytes`); }); }
        return;
      }
      started = true;
      idle.delete(socket);
      const line = buf.slice(0, nl);
      buf = '';
      void answer(socket, () => parseRequest(line));
    });
    socket.on('error', () => undefined); // the client went away; its request (if any) is aborted below
  });

  const send = (socket: Socket, reply: AdminReply): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
  };

  async function answer(socket: Socket, parse: () => AdminRequest): Promise<void> {
    const t0 = performance.now();
    let op = 'unparsed';
    try {
      const req = parse();
      op = req.op;
      const value = await run(req, socket);
      send(socket, { type: 'result', value });
      log.info({ op, ms: Math.round(performance.now() - t0) }, 'admin request answered');
    } catch (err) {
      const reply = errorReply(err);
      send(socket, reply);
      log.info({ op, ms: Math.round(performance.now() - t0), code: reply.code }, 'admin request refused');
    } finally {
      socket.end();
    }
  }

  async function run(req: AdminRequest, socket: Socket): Promise<unknown> {
    switch (req.op) {
      case 'summary':
        return store.summary();
      case 'cohortCount':
        return store.cohortCount(req.args.cohort);
      case 'resolveRsIds':
        return [...(await store.resolveRsIds(req.args.ids))];
      case 'alleleCounts':
        return store.alleleCounts(req.args);
      case 'ingest': {
        const a = req.args;
        // The node checked the store's phenotype schema against the roster at start-up.
        if (a.schema !== undefined && schemaFingerprint(a.schema) !== store.phenotypeSchemaFingerprint()) {
          throw new NodeError('GENOFED_PHENOTYPE_SCHEMA', 'the node serves under the store\'s current phenotype schema; stop the node to ingest under another schema');
        }
        const abort = new AbortController();
        running.add(abort);
        // A client that disconnects (Ctrl-C) aborts its ingest: rolled back, the store unchanged.
        const onClose = (): void => abort.abort();
        socket.once('close', onClose);
        try {
          const opts: IngestOptions = {
            ...idCheckOf(a),
            vcfs: a.vcfs,
            ...(a.phenotypes !== undefined ? { phenotypes: a.phenotypes } : {}),
            ...(a.idColumn !== undefined ? { idColumn: a.idColumn } : {}),
            ...(a.types !== undefined ? { types: a.types } : {}),
            ...(a.schema !== undefined ? { schema: a.schema } : {}),
            ...(a.expression !== undefined ? { expression: a.expression } : {}),
            ...(a.expressionValues !== undefined ? { expressionValues: a.expressionValues } : {}),
            strict: a.strict ?? false,
            signal: abort.signal,
            onProgress: (progress) => send(socket, { type: 'progress', progress }),
          };
          return await ingestInto(store, opts);
        } catch (err) {
          if (abort.signal.aborted && closing) throw new NodeError('GENOFED_ADMIN_SOCKET', 'the node is shutting down; the ingest was rolled back, the store is unchanged');
          throw err;
        } finally {
          socket.off('close', onClose);
          running.delete(abort);
        }
      }
    }
  }

  // Listen in a private directory, restrict, then move into place: never reachable with wider permissions.
  const tmp = await mkdtemp(join(options.dir, '.admin-'));
  const tmpPath = join(tmp, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(tmpPath, () => { server.off('error', reject); resolve(); });
    });
    await chmod(tmpPath, 0o600);
    await rename(tmpPath, path);
  } catch (cause) {
    server.close();
    throw new NodeError('GENOFED_ADMIN_SOCKET', 'cannot create the admin socket in the store folder', { cause });
  } finally {
    await rmdir(tmp).catch(() => undefined);
  }
  log.info({ mode: '0600' }, 'admin socket listening in the store folder');

  let done: Promise<void> | undefined;
  const close = (): Promise<void> => {
    done ??= (async () => {
      closing = true;
      cancel();
      for (const a of running) a.abort();
      for (const s of idle) s.destroy();
      // Waits for requests being answered (a query finishes; an aborted ingest rolls back).
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
      log.info({}, 'admin socket closed');
    })();
    return done;
  };
  // The node's shutdown closes the store: the socket goes first.
  const cancel = store.whenClosing(close);
  return { path, close };
}
