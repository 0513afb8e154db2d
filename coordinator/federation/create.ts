/**
 * Build the federation engine from a validated coordinator config: read the
 * TLS material and keys, one mTLS client per site, the BFV decryptor.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { configDisclosurePolicy, type CoordinatorConfig } from '../config.js';
import { CoordinatorError } from '../errors.js';
import { createBfvTotals } from './bfv-totals.js';
import { FederationEngine, type EngineLogger } from './engine.js';
import { NodeClient } from './node-client.js';
import type { Federation } from './types.js';

export interface CreateFederationOptions {
  readonly logger: EngineLogger;
  /** Benchmark only: plaintext counts. Never set from config or REST. */
  readonly measurementPlaintext?: boolean;
  readonly onSiteAnswer?: (site: string, bytes: number) => void;
}

async function readSecret(path: string, field: string): Promise<Buffer> {
  return readFile(path).catch((cause: unknown) => {
    throw new CoordinatorError('GENOFED_CONFIG', `${field}: cannot read file`, { cause });
  });
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
  const crypto = await createBfvTotals(config.bfv.preset, config.bfv.secretKey);
  const clients = config.sites.map((s) => new NodeClient(s.id, s.address, { ca, cert, key }, { maxVariantKeys: config.limits.maxVariantKeysPerSite }));
  const engine = new FederationEngine({
    coordinatorId: config.identity,
    clients,
    signingKey,
    crypto,
    deadlines: config.deadlines,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    ...(config.minSites !== undefined ? { minSites: config.minSites } : {}),
    logger: options.logger,
    disclosure,
    dpEpsilon: config.privacy.dpEpsilon,
    ...(options.measurementPlaintext ? { measurementPlaintext: true } : {}),
    ...(options.onSiteAnswer ? { onSiteAnswer: options.onSiteAnswer } : {}),
  });
  return {
    alleleFrequency: (r, s) => engine.alleleFrequency(r, s),
    cohortCount: (r, s) => engine.cohortCount(r, s),
    status: () => engine.status(),
    async close() {
      await engine.close();
      crypto.dispose();
    },
  };
}
