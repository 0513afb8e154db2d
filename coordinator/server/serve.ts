/**
 * `genofed coordinator serve`: build the Federation engine from the config,
 * mount the REST app (coordinator/rest/app.ts), listen, and shut down
 * gracefully (REST first, so no new query starts, then the engine).
 */
import type { Logger } from 'pino';
import { buildRestApp } from '../rest/app.js';
import { loadTokens, type CoordinatorConfig } from '../config.js';
import { CoordinatorError } from '../errors.js';
import { createFederation } from '../federation/create.js';

export interface RunningCoordinator {
  readonly port: number;
  close(): Promise<void>;
}

export async function startCoordinator(config: CoordinatorConfig, logger: Logger): Promise<RunningCoordinator> {
  const tokenList = await loadTokens(config.tokensFile);
  const tokens = new Map(tokenList.map((t) => [t.token, t.querier] as const));
  const federation = await createFederation(config, { logger: logger.child({ part: 'federation' }) });
  let app;
  try {
    app = await buildRestApp({ federation, tokens, logger: logger.child({ part: 'rest' }), limits: config.limits });
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (cause) {
    await app?.close().catch(() => undefined);
    await federation.close();
    throw new CoordinatorError('GENOFED_CONFIG', 'listen: cannot start the REST API', { cause });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const status = await federation.status();
  logger.info({ port, sites: status.map((s) => ({ site: s.site, healthy: s.healthy })) }, 'coordinator serving');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        await app.close();
        await federation.close();
        logger.info('coordinator stopped');
      })();
      return closing;
    },
  };
}
