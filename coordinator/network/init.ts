/**
 * `genofed network init`: a whole test or demo consortium on one machine,
 * in one folder: CA, certificates, the coordinator's BFV and Ed25519 keys,
 * each site's keys, the roster signed by every site, and one config file
 * per component (see README.md for which file is secret and who keeps it
 * in a real deployment).
 *
 * FOR TESTS AND DEMOS ONLY: one process makes every party's private keys
 * here, so whoever runs it could read any site's masks. A real consortium
 * runs the key ceremony instead (`genofed site init`, `coordinator init`,
 * `roster build|sign|seal`: deploy/README.md), where each party makes its
 * own keys and the roster is assembled from public keys only.
 *
 * Written into a temporary sibling folder and renamed into place at the
 * end, so a failure leaves nothing half-made. Secrets are mode 0600.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CoordinatorError } from '../errors.js';
import { siteUri, coordinatorUri } from '../../proto/convert/identity.js';
import { EMPTY_SCHEMA, parsePhenotypeSchema, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { bfvKeyDigest, publicKeyBase64, rosterFingerprint, ROSTER_FORMAT, serializeSignedRoster, signRoster, type Roster } from '../../proto/roster.js';
import { createCa, createLeaf } from './pki.js';
import { writeBfvKeys } from './bfv-keys.js';
import { buildFolder, putFile as put } from './files.js';

export interface NetworkInitOptions {
  readonly sites: readonly string[];
  readonly out: string;
  /** Host every component listens on (one machine: 127.0.0.1). */
  readonly host?: string;
  /** REST API port; site i (0-based) listens on basePort + 1 + i. 0: every port ephemeral (tests). */
  readonly basePort?: number;
  /** BFV preset in all configs: `default` for real use, `test` for fast tests. */
  readonly preset?: 'default' | 'test';
  readonly coordinatorId?: string;
  /** Certificate lifetime. 365 days: a demo consortium; real CAs pick their own. */
  readonly days?: number;
  /** Researcher names that get a bearer token in `coordinator/tokens.json`. */
  readonly queriers?: readonly string[];
  /** The consortium phenotype schema put in the roster (default: no columns). */
  readonly schema?: PhenotypeSchema;
  /** A name for the consortium in the roster. */
  readonly consortium?: string;
  /**
   * Node privacy settings written into every `node.json` (masks are always
   * on: they come with the roster).
   */
  readonly privacy?: {
    readonly minCohortSize?: number;
    /** Hours between changes of membership (default 24; tests of epochs use 0). */
    readonly minMembershipIntervalHours?: number;
    readonly dp?: { readonly enabled: boolean; readonly epsilonPerQuery?: number };
    readonly totalEpsilon?: number;
    /** Per-researcher cap beneath the coordinator's budget (default: none beyond the total). */
    readonly perResearcherEpsilon?: number;
    readonly differencingK?: number;
    /** Per-hour query limit of the coordinator in each node policy (default 600). */
    readonly maxQueriesPerHour?: number;
  };
}

export interface NetworkLayout {
  readonly dir: string;
  /** The signed roster (a copy sits in every component folder as roster.json). */
  readonly rosterFile: string;
  readonly rosterFingerprint: string;
  readonly coordinatorConfig: string;
  readonly tokensFile: string;
  readonly siteConfigs: Readonly<Record<string, string>>;
  /** Store folder of each site (empty until `genofed node ingest --store` fills it). */
  readonly siteStores: Readonly<Record<string, string>>;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function networkInit(o: NetworkInitOptions): Promise<NetworkLayout> {
  const sites = [...o.sites];
  const coordinatorId = o.coordinatorId ?? 'coordinator';
  if (sites.length === 0) throw new CoordinatorError('GENOFED_USAGE', '--sites: at least one site id is required');
  for (const s of [...sites, coordinatorId]) {
    if (!ID.test(s)) throw new CoordinatorError('GENOFED_USAGE', `--sites: '${s}' is not a valid id (1-63 of [a-z0-9._-])`);
  }
  if (new Set([...sites, coordinatorId]).size !== sites.length + 1) throw new CoordinatorError('GENOFED_USAGE', '--sites: ids must be unique and differ from the coordinator id');
  const host = o.host ?? '127.0.0.1';
  const basePort = o.basePort ?? 7400;
  const preset = o.preset ?? 'default';
  const days = o.days ?? 365;
  const out = resolve(o.out);
  return buildFolder(out, async (tmp) => {
    const ca = await createCa('genofed consortium CA', days);
    await mkdir(join(tmp, 'ca'), { mode: 0o700 });
    await put(join(tmp, 'ca', 'ca.crt.pem'), ca.pem.certPem, false);
    await put(join(tmp, 'ca', 'ca.key.pem'), ca.pem.keyPem, true);

    // Coordinator: client certificate, Ed25519 signing key, BFV keys, tokens.
    const cdir = join(tmp, 'coordinator');
    await mkdir(cdir, { mode: 0o700 });
    const ccert = await createLeaf(ca, { commonName: coordinatorId, uri: coordinatorUri(coordinatorId), usage: 'client', days });
    await put(join(cdir, 'ca.crt.pem'), ca.pem.certPem, false);
    await put(join(cdir, 'coordinator.crt.pem'), ccert.certPem, false);
    await put(join(cdir, 'coordinator.key.pem'), ccert.keyPem, true);
    const signing = generateKeyPairSync('ed25519');
    await put(join(cdir, 'signing.key.pem'), signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
    const bfv = await writeBfvKeys(cdir, preset);
    const queriers = o.queriers ?? ['researcher'];
    const tokens = queriers.map((querier) => ({ querier, token: randomBytes(32).toString('base64url') }));
    await put(join(cdir, 'tokens.json'), json(tokens), true);
    const port = (i: number): number => (basePort === 0 ? 0 : basePort + 1 + i);
    await put(join(cdir, 'coordinator.json'), json({
      identity: coordinatorId,
      listen: { host, port: basePort },
      tls: { ca: 'ca.crt.pem', cert: 'coordinator.crt.pem', key: 'coordinator.key.pem' },
      signingKey: 'signing.key.pem',
      roster: 'roster.json',
      bfv: { preset, publicKey: basename(bfv.publicKey), secretKey: basename(bfv.secretKey) },
      sites: sites.map((id, i) => ({ id, address: `${host.includes(':') ? `[${host}]` : host}:${port(i)}` })),
      deadlines: { infoMs: 5_000, queryMs: 120_000 },
      queryLifetimeSeconds: 300,
      tokensFile: 'tokens.json',
      logLevel: 'info',
    }), false);

    // Each site's keys: X25519 (masks, size-round boxes) and Ed25519 (roster signature, commitments, headers).
    const keys = new Map(sites.map((id) => [id, { x25519: generateKeyPairSync('x25519'), signing: generateKeyPairSync('ed25519') }]));
    const schema = o.schema ? parsePhenotypeSchema(o.schema) : EMPTY_SCHEMA;
    const roster: Roster = {
      format: ROSTER_FORMAT, version: 1, consortium: o.consortium ?? 'genofed test consortium (network init: one machine made every key)', epoch: 1, previous: null,
      issuedAt: new Date().toISOString(),
      coordinator: { id: coordinatorId, signingKey: publicKeyBase64(signing.publicKey), bfvPublicKeySha256: bfvKeyDigest(bfv.publicKeyBytes), preset },
      sites: [...sites].sort().map((id) => ({ id, x25519: publicKeyBase64(keys.get(id)!.x25519.publicKey), signingKey: publicKeyBase64(keys.get(id)!.signing.publicKey) })),
      schema,
    };
    const signatures = roster.sites.map((m) => signRoster(roster, m.id, keys.get(m.id)!.signing.privateKey));
    const rosterText = serializeSignedRoster({ roster, signatures });
    const fingerprint = rosterFingerprint(roster);
    await put(join(tmp, 'roster.json'), rosterText, false);
    await put(join(cdir, 'roster.json'), rosterText, false);

    // Sites: server certificate, own keys, the roster with its confirmed fingerprint, public parts of the coordinator.
    const siteConfigs: Record<string, string> = {};
    const siteStores: Record<string, string> = {};
    await mkdir(join(tmp, 'sites'), { mode: 0o700 });
    const pv = o.privacy ?? {};
    for (const [i, id] of sites.entries()) {
      const sdir = join(tmp, 'sites', id);
      await mkdir(sdir, { mode: 0o700 });
      const isIp = /^[\d.]+$|:/.test(host);
      const scert = await createLeaf(ca, {
        commonName: id,
        uri: siteUri(id),
        dns: ['localhost', ...(!isIp && host !== 'localhost' ? [host] : [])],
        ips: ['127.0.0.1', ...(isIp && host !== '127.0.0.1' && host !== '0.0.0.0' && host !== '::' ? [host] : [])],
        usage: 'server',
        days,
      });
      await put(join(sdir, 'ca.crt.pem'), ca.pem.certPem, false);
      await put(join(sdir, 'node.crt.pem'), scert.certPem, false);
      await put(join(sdir, 'node.key.pem'), scert.keyPem, true);
      await put(join(sdir, 'coordinator-bfv.pk'), bfv.publicKeyBytes, false);
      const k = keys.get(id)!;
      await put(join(sdir, 'x25519.key.pem'), k.x25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
      await put(join(sdir, 'signing.key.pem'), k.signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
      await put(join(sdir, 'roster.json'), rosterText, false);
      // Node policy (node/privacy/authorization.ts): only this consortium's coordinator, every kind (no allowedKinds),
      // 600 queries/hour (a region query is 2 envelopes; 600/h is far above interactive use, far below a scripted attack).
      await put(join(sdir, 'policy.json'), json({
        coordinators: [{ coordinatorId, maxQueriesPerHour: pv.maxQueriesPerHour ?? 600 }],
      }), false);
      await put(join(sdir, 'node.json'), json({
        siteId: id,
        store: 'store',
        listen: { host, port: port(i) },
        tls: { ca: 'ca.crt.pem', cert: 'node.crt.pem', key: 'node.key.pem' },
        keys: { x25519: 'x25519.key.pem', signing: 'signing.key.pem' },
        roster: { file: 'roster.json', fingerprint },
        coordinator: { bfvPublicKey: 'coordinator-bfv.pk' },
        crypto: { preset },
        privacy: {
          minCohortSize: pv.minCohortSize ?? 5,
          roster: { minSites: 3, minMembershipIntervalHours: pv.minMembershipIntervalHours ?? 24 },
          policyFile: 'policy.json',
          budget: { totalEpsilon: pv.totalEpsilon ?? 10, ...(pv.perResearcherEpsilon !== undefined ? { perResearcherEpsilon: pv.perResearcherEpsilon } : {}) },
          differencing: { k: pv.differencingK ?? 5 },
          dp: { enabled: pv.dp?.enabled ?? false, epsilonPerQuery: pv.dp?.epsilonPerQuery ?? 1 },
        },
        limits: { clockSkewSeconds: 30, maxQueryLifetimeSeconds: 900, maxVariants: 5_000_000 },
        logLevel: 'info',
      }), false);
      siteConfigs[id] = join(out, 'sites', id, 'node.json');
      siteStores[id] = join(out, 'sites', id, 'store');
    }
    return {
      dir: out,
      rosterFile: join(out, 'roster.json'),
      rosterFingerprint: fingerprint,
      coordinatorConfig: join(out, 'coordinator', 'coordinator.json'),
      tokensFile: join(out, 'coordinator', 'tokens.json'),
      siteConfigs,
      siteStores,
    };
  });
}
