/**
 * `genofed node serve`: open the store, load the keys, serve the node's
 * gRPC service with mTLS (client certificate required, chained to the
 * consortium CA; handlers check it names the coordinator), an optional
 * plain-HTTP `GET /healthz`, graceful shutdown.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createBfv, getPreset, readKeyFile } from '../../crypto/index.js';
import { certificateNames } from '../../proto/convert/identity.js';
import { NodeServiceService } from '../../proto/generated/genofed/v1/node.js';
import { schemaFingerprint } from '../../proto/phenotype-schema.js';
import { openStore, startAdminSocket } from '../store/index.js';
import { NodeError } from '../errors.js';
import type { NodeConfig } from './config.js';
import type { CountEncryptor, ServedStore } from './ports.js';
import { acceptRoster } from '../privacy/roster-state.js';
import { PrivacyGate } from './privacy-gate.js';
import { createNodeService } from './service.js';
import { createNodeMetrics, type NodeMetrics } from './metrics.js';
import { startMetricsHttp, type MetricsListener } from './metrics-http.js';
import { loadSiteRoster } from './site-roster.js';
import { withOperatorPath } from '../../proto/operator-path.js';

/**
 * The largest request a node accepts: a 5M-variant list arrives in ~0.5 MB
 * batches, so 8 MiB per message is generous; the default 4 MiB would do too.
 */
const MAX_RECEIVE = 8 * 1024 * 1024;

export interface RunningNode {
  readonly port: number;
  readonly healthPort?: number;
  /** The bound port of `metricsHttp` (absent when the config has none). */
  readonly metricsPort?: number;
  /** The node's metrics registry (also what `metricsHttp` serves). */
  readonly metrics: NodeMetrics;
  /** The open store (for embedding in one process: tests, the benchmark). */
  readonly store: ServedStore;
  /** Stop accepting calls, finish running ones (up to `graceMs`), close the store. */
  close(graceMs?: number): Promise<void>;
}

export interface StartNodeOptions {
  readonly logger: Logger;
  /**
   * Benchmark only (never from config): allow plaintext answers for
   * measurement. They still carry this site's pairwise mask (masks are
   * never optional); only the BFV encryption is skipped.
   */
  readonly allowMeasurementPlaintext?: boolean;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  return readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_CONFIG', `${what}: cannot read file`, { cause }), path);
  });
}

export async function startNode(config: NodeConfig, options: StartNodeOptions): Promise<RunningNode> {
  // Every line of this node carries its site once: bound here, so callers' loggers must not bind it too (cli.ts does not).
  const log = options.logger.child({ site: config.siteId });
  const [ca, cert, key] = await Promise.all([readPem(config.tls.ca, 'tls.ca'), readPem(config.tls.cert, 'tls.cert'), readPem(config.tls.key, 'tls.key')]);
  // Fail fast on a mix-up of certificate files: the coordinator would refuse this node at every query.
  try {
    const own = new X509Certificate(cert);
    if (!certificateNames({ subject: { CN: /^CN=(.*)$/m.exec(own.subject)?.[1] ?? '' }, subjectaltname: own.subjectAltName ?? '' }, 'site', config.siteId)) throw new Error('identity');
  } catch (cause) {
    throw new NodeError('GENOFED_CONFIG', `tls.cert: not a certificate naming site ${config.siteId} (CN and urn:genofed:site URI)`, { cause });
  }
  const params = getPreset(config.crypto.preset);
  const bfvKeyBytes = await readPem(config.coordinator.bfvPublicKey, 'coordinator.bfvPublicKey');
  // The roster this site's operator confirmed: masks, the participant set, the coordinator's keys, the schema.
  const siteRoster = await loadSiteRoster(config, bfvKeyBytes);
  const bfvPublicKey = await readKeyFile(config.coordinator.bfvPublicKey, 'public-key', params);
  const store = await openStore(config.store);
  const bfv = await createBfv(params);
  const enc = bfv.encryptor(bfvPublicKey);
  const encryptor: CountEncryptor = {
    fingerprint: params.fingerprint,
    preset: config.crypto.preset,
    slotCount: params.slotCount,
    plainModulus: params.plainModulus,
    encryptVector: (values, o) => enc.encryptVector(values, o),
  };
  let gate: PrivacyGate;
  try {
    const schemaFp = store.phenotypeSchemaFingerprint?.() ?? null;
    const rosterSchemaFp = schemaFingerprint(siteRoster.roster.schema);
    if (siteRoster.roster.schema.columns.length > 0 && schemaFp !== rosterSchemaFp) {
      throw new NodeError('GENOFED_ROSTER_NOT_CONFIRMED', schemaFp === null
        ? 'the store holds no phenotypes under the roster\'s phenotype schema; ingest the phenotype table with `genofed node ingest --schema <roster file>` first'
        : 'the store\'s phenotypes were ingested under another phenotype schema than the roster\'s; re-ingest the phenotype table with `genofed node ingest --schema <roster file>`');
    }
    const transition = await acceptRoster(config.store, siteRoster.signed, siteRoster.fingerprint, { minMembershipIntervalMs: config.privacy.roster.minMembershipIntervalHours * 3_600_000 });
    gate = await PrivacyGate.open({ siteId: config.siteId, storeDir: config.store, privacy: config.privacy, roster: siteRoster, plainModulus: params.plainModulus, slotCount: params.slotCount });
    await gate.recordRoster(transition);
    // `genofed node query` and `node ingest` reach this store through the admin socket while it serves (closes with the store).
    await startAdminSocket(store, { dir: config.store, logger: log });
    if (transition.kind !== 'same') log.info({ epoch: transition.entry.epoch, roster: transition.entry.fingerprint, membershipChanged: transition.membershipChanged }, 'roster accepted');
  } catch (err) {
    await store.close();
    enc.dispose();
    bfv.dispose();
    throw err;
  }
  let serving = true;
  const inFlight = { count: 0 };
  const metrics = createNodeMetrics({ inFlight, budgetLeft: () => gate.budgetLeft() });
  const service = createNodeService({
    siteId: config.siteId,
    store,
    encryptor,
    roster: siteRoster,
    minCohortSize: config.privacy.minCohortSize,
    gate,
    logger: log,
    isServing: () => serving,
    inFlight,
    metrics,
    policy: {
      siteId: config.siteId,
      coordinatorId: siteRoster.coordinatorId,
      signingPublicKey: siteRoster.coordinatorSigningKey,
      roster: { fingerprint: siteRoster.fingerprint, siteIds: siteRoster.siteIds, schema: siteRoster.roster.schema },
      cryptoFingerprint: params.fingerprint,
      clockSkewMs: config.limits.clockSkewSeconds * 1000,
      maxLifetimeMs: config.limits.maxQueryLifetimeSeconds * 1000,
      maxVariants: config.limits.maxVariants,
      allowMeasurementPlaintext: options.allowMeasurementPlaintext === true,
    },
  });
  const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE });
  server.addService(NodeServiceService, service);
  const creds = ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${config.listen.port}`, creds, (err, p) => (err ? reject(new NodeError('GENOFED_CONFIG', 'listen: cannot bind the gRPC port', { cause: err })) : resolve(p)));
  }).catch(async (err: unknown) => {
    await store.close();
    enc.dispose();
    bfv.dispose();
    throw err;
  });

  let http: HttpServer | undefined;
  let healthPort: number | undefined;
  if (config.healthHttp) {
    http = createHttpServer((req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(serving ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: serving ? 'ok' : 'shutting-down' }));
      } else {
        res.writeHead(404).end();
      }
    });
    const h = config.healthHttp;
    healthPort = await new Promise<number>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(h.port, h.host, () => resolve((http!.address() as { port: number }).port));
    });
  }
  let metricsHttp: MetricsListener | undefined;
  if (config.metricsHttp) {
    metricsHttp = await startMetricsHttp(config.metricsHttp, metrics).catch(async (err: unknown) => {
      server.forceShutdown();
      if (http) await new Promise<void>((r) => http!.close(() => r()));
      await store.close();
      enc.dispose();
      bfv.dispose();
      throw err;
    });
  }
  log.info({ port, healthPort, metricsPort: metricsHttp?.port, preset: config.crypto.preset, fingerprint: params.fingerprint, roster: siteRoster.fingerprint, epoch: siteRoster.roster.epoch, members: siteRoster.siteIds.length, minCohortSize: config.privacy.minCohortSize, dp: config.privacy.dp.enabled }, 'node serving');

  let closing: Promise<void> | undefined;
  return {
    port,
    store,
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(metricsHttp ? { metricsPort: metricsHttp.port } : {}),
    metrics,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        serving = false;
        await new Promise<void>((resolve) => {
          // Idle connections (the coordinator keeps its channel open) would hold tryShutdown for the
          // whole grace period: when no query runs, stop at once; otherwise let running queries finish.
          const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, inFlight.count === 0 ? 0 : graceMs);
          server.tryShutdown(() => { clearTimeout(timer); resolve(); });
        });
        if (http) await new Promise<void>((r) => http!.close(() => r()));
        if (metricsHttp) await metricsHttp.close();
        await store.close();
        enc.dispose();
        bfv.dispose();
        log.info('node stopped');
      })();
      return closing;
    },
  };
}
