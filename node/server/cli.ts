/**
 * `genofed node serve --config FILE`: long-running; prints one line
 * `listening grpc HOST:PORT` on stdout once ready (the demo waits for it),
 * structured JSON logs (pino) on stderr, exits 0 after SIGTERM/SIGINT.
 */
import type { Command } from 'commander';
import { LOG_SERIALIZERS } from '../../proto/log-error.js';

export function registerServerCommands(parent: Command): void {
  parent
    .command('serve')
    .description('serve encrypted aggregates to the coordinator over gRPC with mutual TLS')
    .requiredOption('--config <file>', 'node config file (JSON; made by `genofed network init`)')
    .action(async (opts: { config: string }) => {
      const [{ loadNodeConfig }, { startNode }, { pino }] = await Promise.all([import('./config.js'), import('./serve.js'), import('pino')]);
      const config = await loadNodeConfig(opts.config);
      const logger = pino({ level: config.logLevel, base: { component: 'node' }, serializers: LOG_SERIALIZERS }, pino.destination(2));
      // startNode binds `site` itself (once per line).
      const node = await startNode(config, { logger });
      process.stdout.write(`listening grpc ${config.listen.host}:${node.port}\n`);
      if (node.healthPort !== undefined) process.stdout.write(`listening health ${config.healthHttp?.host}:${node.healthPort}\n`);
      if (node.metricsPort !== undefined) process.stdout.write(`listening metrics ${config.metricsHttp?.host}:${node.metricsPort}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          const own = logger.child({ site: config.siteId });
          own.info({ signal }, 'shutting down');
          void node.close().then(resolve, (err: unknown) => { own.error({ err: String((err as Error)?.name) }, 'shutdown failed'); process.exitCode = 1; resolve(); });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      // Everything is closed; do not let a reconnect timer or an idle socket keep the process around.
      process.exit(process.exitCode ?? 0);
    });
}
