/**
 * Build the federation engine from a validated coordinator config: read the
 * TLS material and keys, one mTLS client per site, the BFV decryptor.
 */
import { eqtl } from './eqtl.js';
import { differentialExpression } from './expression.js';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { bfvKeyDigest, parseSignedRoster, publicKeyBase64, publicKeyFromBase64, rosterFingerprint, type SignedRoster } from '../../proto/roster.js';
import { configDisclosurePolicy, type CoordinatorConfig } from '../config.js';
import { CoordinatorError } from '../errors.js';
import { createBfvTotals } from './bfv-totals.js';
import { alleleFrequency } from '../kinds/allele-frequency.js';
import { cohortCount } from '../kinds/cohort-count.js';
import { FederationEngine, type EngineLogger } from './engine.js';
import { NodeClient } from './node-client.js';
import type { Federation } from './types.js';
import { withOperatorPath } from '../../proto/operator-path.js';

export interface CreateFederationOptions {
  readonly logger: EngineLogger;
  /** Benchmark only: plaintext counts. Never set from config or REST. */
  readonly measurementPlaintext?: boolean;
  readonly onSiteAnswer?: (site: string, bytes: number) => void;
}

async function readSecret(path: string, field: string): Promise<Buffer> {
  return readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_CONFIG', `${field}: cannot read file`, { cause }), path);
  });
}

/** The roster file, with every member's signature checked. */
export async function loadRoster(path: string): Promise<SignedRoster> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_CONFIG', `roster (${label}): cannot read file`, { cause }), path);
  });
  try {
    return parseSignedRoster(JSON.parse(text), label);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_CONFIG', `roster (${label}): ${cause instanceof SyntaxError ? 'not valid JSON' : (cause as Error).message}`, { cause });
  }
}

export async function createFederation(config: CoordinatorConfig, options: CreateFederationOptions): Promise<Federation> {
  const disclosure = configDisclosurePolicy(config);
  const [ca, cert, key, signingPem] = await Promise.all([
    readSecret(config.tls.ca, 'tls.ca'), readSecret(config.tls.cert, 'tls.cert'), readSecret(config.tls.key, 'tls.key'), readSecret(config.signingKey, 'signingKey'),
  ]);
  let signingKey;
  try {
    signingKey = createPrivateKey(signingPem);
    if (signingKey.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
  } catch (cause) {
    throw new CoordinatorError('GENOFED_CONFIG', 'signingKey: not an Ed25519 private key (PEM)', { cause });
  } finally {
    signingPem.fill(0);
  }
  const signed = await loadRoster(config.roster);
  const r = signed.roster;
  // The coordinator's own keys must be the ones every site confirmed.
  if (r.coordinator.id !== config.identity) throw new CoordinatorError('GENOFED_CONFIG', `roster: names coordinator ${r.coordinator.id}, this config is ${config.identity}`);
  if (publicKeyBase64(signingKey) !== r.coordinator.signingKey) throw new CoordinatorError('GENOFED_CONFIG', 'roster: the coordinator signing key it names is not the public part of signingKey');
  if (r.coordinator.preset !== config.bfv.preset) throw new CoordinatorError('GENOFED_CONFIG', `roster: names BFV preset ${r.coordinator.preset}, this config ${config.bfv.preset}`);
  const bfvPk = await readSecret(config.bfv.publicKey, 'bfv.publicKey');
  if (bfvKeyDigest(bfvPk) !== r.coordinator.bfvPublicKeySha256) throw new CoordinatorError('GENOFED_CONFIG', 'roster: the BFV public key it names is not bfv.publicKey (SHA-256 differs)');
  const siteIds = r.sites.map((s) => s.id);
  const listed = config.sites.map((s) => s.id).sort();
  if (listed.length !== siteIds.length || listed.some((s, i) => s !== siteIds[i])) {
    throw new CoordinatorError('GENOFED_CONFIG', `sites: must list exactly the roster's members (${siteIds.join(', ')}): every query goes to all of them`);
  }
  const crypto = await createBfvTotals(config.bfv.preset, config.bfv.secretKey);
  const clients = config.sites.map((s) => new NodeClient(s.id, s.address, { ca, cert, key }, publicKeyFromBase64(r.sites.find((m) => m.id === s.id)!.signingKey, 'ed25519', `roster site ${s.id}`), { maxVariantKeys: config.limits.maxVariantKeysPerSite }));
  const engine = new FederationEngine({
    coordinatorId: config.identity,
    roster: { fingerprint: rosterFingerprint(r), siteIds, schema: r.schema },
    clients,
    signingKey,
    crypto,
    deadlines: config.deadlines,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    logger: options.logger,
    disclosure,
    dpEpsilon: config.privacy.dpEpsilon,
    ...(options.measurementPlaintext ? { measurementPlaintext: true } : {}),
    ...(options.onSiteAnswer ? { onSiteAnswer: options.onSiteAnswer } : {}),
  });
  return {
    phenotypeSchema: () => engine.phenotypeSchema(),
    run: (kind, r, s) => engine.run(kind, r, s),
    alleleFrequency: (r, s) => engine.run(alleleFrequency, r, s),
    alleleFrequencyStream: (r, sink, s) => engine.stream(alleleFrequency, r, sink, s),
    cohortCount: (r, s) => engine.run(cohortCount, r, s),
    differentialExpression: (r, s) => differentialExpression(engine, r, s),
    eqtl: (r, s) => eqtl(engine, r, s),
    status: () => engine.status(),
    async close() {
      await engine.close();
      crypto.dispose();
    },
  };
}
