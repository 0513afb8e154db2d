/**
 * `genofed coordinator serve --config FILE`: long-running; prints
 * `listening rest HOST:PORT` on stdout once ready (the demo waits for it),
 * JSON logs (pino) on stderr, exits 0 after SIGTERM/SIGINT.
 */
import type { Command } from 'commander';
import { LOG_SERIALIZERS } from '../../proto/log-error.js';

export function registerCoordinatorServerCommands(parent: Command): void {
  parent
    .command('serve')
    .description('serve the researcher REST API; fan queries out to the nodes over gRPC with mutual TLS')
    .requiredOption('--config <file>', 'coordinator config file (JSON; made by `genofed network init`)')
    .action(async (opts: { config: string }) => {
      const [{ loadCoordinatorConfig }, { startCoordinator }, { pino }] = await Promise.all([import('../config.js'), import('./serve.js'), import('pino')]);
      const config = await loadCoordinatorConfig(opts.config);
      const logger = pino({ level: config.logLevel, base: { component: 'coordinator' }, serializers: LOG_SERIALIZERS }, pino.destination(2));
      const running = await startCoordinator(config, logger);
      process.stdout.write(`listening rest ${config.listen.host}:${running.port}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'shutting down');
          void running.close().then(resolve, () => { process.exitCode = 1; resolve(); });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      // Everything is closed; do not let a reconnect timer or an idle socket keep the process around.
      process.exit(process.exitCode ?? 0);
    });
}
