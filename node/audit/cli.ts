/**
 * `genofed audit verify --store DIR [--json]`: exit 0 when the store's
 * audit log is intact, 1 naming the first bad entry (seq and kind of
 * problem, never its content). The implementation loads lazily.
 */
import type { Command } from 'commander';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("the node's hash-chained audit log of queries");
  audit
    .command('verify')
    .description('check that no audit entry was edited, reordered or deleted; exits non-zero naming the first bad entry')
    .requiredOption('--store <dir>', 'the node store folder')
    .option('--json', 'print one JSON object')
    .action(async (opts: { store: string; json?: boolean }) => {
      const { verifyAuditLog } = await import('./verify.js');
      const v = await verifyAuditLog(opts.store);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(v)}\n`);
      } else if (v.ok) {
        process.stdout.write(`audit log intact: ${v.entries} entries, head seq ${v.headSeq} sha256 ${v.headHash}${v.problem ? ` (${v.problem})` : ''}\n`);
      } else {
        process.stderr.write(`genofed: audit log NOT intact: first bad entry seq ${v.firstBadSeq}${v.line !== undefined ? ` (line ${v.line})` : ''}: ${v.problem}; ${v.entries} entries verified before it\n`);
      }
      if (!v.ok) process.exitCode = 1;
    });
}
