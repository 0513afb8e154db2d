/**
 * Test harness (not a test): a whole consortium in this process - network
 * init with the `test` BFV preset and ephemeral ports, one store per site
 * ingested from real VCFs, the node gRPC servers with mTLS, and the
 * federation engine built from the coordinator config with the nodes'
 * bound ports. Everything lives under one mkdtemp folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { parseCoordinatorConfig, type CoordinatorConfig } from '../../../coordinator/config.js';
import { createFederation, type CreateFederationOptions } from '../../../coordinator/federation/create.js';
import type { Federation } from '../../../coordinator/federation/types.js';
import { networkInit, type NetworkInitOptions, type NetworkLayout } from '../../../coordinator/network/init.js';
import { loadNodeConfig, type NodeConfig } from '../../../node/server/config.js';
import { startNode, type RunningNode } from '../../../node/server/serve.js';
import { ingest } from '../../../node/store/index.js';
import type { PhenotypeSchema } from '../../../proto/phenotype-schema.js';

export const silent = pino({ level: 'silent' });

export interface Consortium {
  readonly dir: string;
  readonly layout: NetworkLayout;
  readonly nodes: Record<string, RunningNode>;
  /** Coordinator config with the nodes' real addresses (override per test with `federationWith`). */
  readonly config: CoordinatorConfig;
  federationWith(overrides?: { addresses?: Record<string, string>; queryMs?: number; disclosure?: { k?: number; smallCounts?: 'suppress' | 'round' }; dpEpsilon?: number }, options?: Partial<CreateFederationOptions>): Promise<Federation>;
  close(): Promise<void>;
}

export interface ConsortiumOptions {
  readonly sites: readonly string[];
  /** VCFs per site; sites without an entry get an empty store. */
  readonly vcfs: Readonly<Record<string, readonly string[]>>;
  readonly phenotypes?: Readonly<Record<string, string>>;
  readonly allowMeasurementPlaintext?: boolean;
  /** Node privacy settings for network init (issue 6), e.g. DP on. */
  readonly privacy?: NetworkInitOptions['privacy'];
  /** The roster's phenotype schema (phenotypes are ingested under it); default: none. */
  readonly schema?: PhenotypeSchema;
  /** An expression matrix per site (issue 12), ingested with its values mode (default counts). */
  readonly expression?: Readonly<Record<string, { readonly path: string; readonly values?: 'counts' | 'log' }>>;
  /** Node privacy.minCohortSize (default 5). */
  readonly minCohortSize?: number;
  /** Change a site's loaded node config before it starts (e.g. a `metricsHttp` listener). */
  readonly nodeConfig?: (site: string, config: NodeConfig) => NodeConfig;
  /** Ingest and configure but do not start these sites. */
  readonly notStarted?: readonly string[];
}

export async function startConsortium(o: ConsortiumOptions): Promise<Consortium> {
  const dir = await mkdtemp(join(tmpdir(), 'genofed-fed-'));
  const nodes: Record<string, RunningNode> = {};
  try {
    const layout = await networkInit({ sites: o.sites, out: join(dir, 'net'), preset: 'test', basePort: 0, ...(o.privacy || o.minCohortSize !== undefined ? { privacy: { ...o.privacy, ...(o.minCohortSize !== undefined ? { minCohortSize: o.minCohortSize } : {}) } } : {}), ...(o.schema ? { schema: o.schema } : {}) });
    for (const site of o.sites) {
      if (o.notStarted?.includes(site)) continue;
      const expr = o.expression?.[site];
      await ingest(layout.siteStores[site]!, {
        rawIds: true, vcfs: [...(o.vcfs[site] ?? [])], ...(o.phenotypes?.[site] ? { phenotypes: o.phenotypes[site], ...(o.schema ? { schema: o.schema } : {}) } : {}),
        ...(expr ? { expression: expr.path, expressionValues: expr.values ?? 'counts' } : {}),
      });
      const loaded = await loadNodeConfig(layout.siteConfigs[site]!);
      const cfg = o.nodeConfig ? o.nodeConfig(site, loaded) : loaded;
      nodes[site] = await startNode(cfg, { logger: silent, allowMeasurementPlaintext: o.allowMeasurementPlaintext === true });
    }
    const raw = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as { sites: { id: string; address: string }[]; deadlines: { infoMs: number; queryMs: number } };
    const base = dirname(layout.coordinatorConfig);
    const build = (addresses: Record<string, string>, queryMs?: number, disclosure?: object, dpEpsilon?: number): CoordinatorConfig => parseCoordinatorConfig({
      ...raw,
      ...(dpEpsilon !== undefined ? { privacy: { dpEpsilon } } : {}),
      ...(disclosure !== undefined ? { disclosure } : {}),
      sites: raw.sites.map((s) => ({ id: s.id, address: addresses[s.id] ?? (nodes[s.id] ? `127.0.0.1:${nodes[s.id]!.port}` : '127.0.0.1:1') })),
      deadlines: { ...raw.deadlines, ...(queryMs !== undefined ? { queryMs } : {}) },
    }, base);
    const config = build({});
    const federations: Federation[] = [];
    return {
      dir,
      layout,
      nodes,
      config,
      async federationWith(overrides = {}, options = {}) {
        const f = await createFederation(build(overrides.addresses ?? {}, overrides.queryMs, overrides.disclosure, overrides.dpEpsilon), { logger: silent, ...options });
        federations.push(f);
        return f;
      },
      async close() {
        for (const f of federations) await f.close();
        // A refused query's handler may still be writing its audit and query-log entries into the store:
        // wait for in-flight queries (the grace applies only when one runs) before the folder is removed.
        for (const n of Object.values(nodes)) await n.close(5_000);
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  } catch (err) {
    for (const n of Object.values(nodes)) await n.close(0);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
