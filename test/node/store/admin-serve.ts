/**
 * Test helper (not a test file): `genofed node serve --config FILE` as
 * node/server/cli.ts runs it, plus the one line node/server/serve.ts gets
 * to open the admin socket (kept out of node/server/ here, which another
 * change owns). Prints `listening grpc HOST:PORT` when ready; SIGTERM
 * stops it (the store's close removes the socket).
 */
import { pino } from 'pino';
import { loadNodeConfig } from '../../../node/server/config.js';
import { startNode } from '../../../node/server/serve.js';
import { startAdminSocket, type Store } from '../../../node/store/index.js';

const config = await loadNodeConfig(process.argv[2]!);
const logger = pino({ level: config.logLevel, base: { component: 'node', site: config.siteId } }, pino.destination(2));
const node = await startNode(config, { logger });
// The serve.ts line (its `store` is the Store openStore returned, typed as ServedStore there).
await startAdminSocket(node.store as unknown as Store, { dir: config.store, logger });
process.stdout.write(`listening grpc ${config.listen.host}:${node.port}\n`);
process.once('SIGTERM', () => {
  void node.close().then(() => process.exit(0), () => process.exit(1));
});
