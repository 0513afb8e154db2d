/**
 * Bench-only node process: `node dist/test/bench/federation-node.js CONFIG`
 * starts a node that may also answer in plaintext (the measurement mode no
 * config file or CLI flag can enable), prints `listening grpc HOST:PORT`,
 * exits on SIGTERM or at the end of its stdin (the bench that started it
 * is gone).
 */
import { pino } from 'pino';
import { loadNodeConfig } from '../../node/server/config.js';
import { startNode } from '../../node/server/serve.js';

const config = await loadNodeConfig(process.argv[2]!);
const node = await startNode(config, { logger: pino({ level: process.env.GENOFED_BENCH_NODE_LOG ?? 'warn' }, pino.destination(2)), allowMeasurementPlaintext: true });
process.stdout.write(`listening grpc ${config.listen.host}:${node.port}\n`);
process.once('SIGTERM', () => {
  void node.close(0).then(() => process.exit(0));
});
// The bench holds this process's stdin open: end of input means the bench is gone, even when it died without
// stopping its nodes (it once ran out of memory, and three nodes idled on for an hour).
process.stdin.once('end', () => {
  setTimeout(() => process.exit(1), 15_000).unref();
  void node.close(0).then(() => process.exit(0));
});
process.stdin.resume();
