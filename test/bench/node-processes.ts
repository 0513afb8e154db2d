/**
 * Real node processes for the benches that go through the network
 * (`federation`, `assoc`): one `federation-node.js` process per site of a
 * `networkInit` layout, and the coordinator config pointed at the ports
 * they bound. Each caller owns the children it gets and stops them with
 * `stopNodeProcesses` in a `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { parseCoordinatorConfig, type CoordinatorConfig } from '../../coordinator/config.js';
import type { NetworkLayout } from '../../coordinator/network/init.js';

export async function startNodeProcess(config: string): Promise<{ child: ChildProcess; address: string }> {
  const script = resolve(import.meta.dirname, 'federation-node.js');
  // stdin stays open for the child's life: the node exits when it closes (this process gone, however it ended).
  // GENOFED_BENCH_PROFILE=DIR: each node process writes a V8 CPU profile into DIR when it stops (see federation.ts).
  const prof = process.env.GENOFED_BENCH_PROFILE;
  const args = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, script, config] : [script, config];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`bench node exited with ${code}`)));
    rl.once('line', (l) => res(l.split(' ')[2]!));
  });
  return { child, address };
}

/**
 * Start every site's node (pushed into `children` as each starts, so the
 * caller's `finally` stops those already running if a later one fails)
 * and return the coordinator config with their addresses.
 */
export async function startSiteNodes(layout: NetworkLayout, sites: readonly string[], children: ChildProcess[], o: { maxVariants?: number } = {}): Promise<CoordinatorConfig> {
  const addresses: Record<string, string> = {};
  for (const s of sites) {
    if (o.maxVariants !== undefined) {
      // Genome-scale runs: the nodes' default limit per query is 5M variants.
      const cfg = JSON.parse(await readFile(layout.siteConfigs[s]!, 'utf8')) as { limits?: Record<string, unknown> };
      cfg.limits = { ...cfg.limits, maxVariants: o.maxVariants };
      await writeFile(layout.siteConfigs[s]!, JSON.stringify(cfg, null, 2));
    }
    const n = await startNodeProcess(layout.siteConfigs[s]!);
    children.push(n.child);
    addresses[s] = n.address;
  }
  const raw = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as { sites: { id: string; address: string }[]; deadlines: { infoMs: number; queryMs: number } };
  raw.sites = raw.sites.map((s) => ({ id: s.id, address: addresses[s.id]! }));
  // The default 120 s per-site deadline is exceeded by a 1M-variant store scan on a loaded 2-core machine (measured 118 s).
  raw.deadlines = { ...raw.deadlines, queryMs: 1_800_000 };
  if (o.maxVariants !== undefined) (raw as { limits?: Record<string, unknown> }).limits = { ...(raw as { limits?: Record<string, unknown> }).limits, maxVariantKeysPerSite: o.maxVariants };
  await writeFile(layout.coordinatorConfig, JSON.stringify(raw));
  return parseCoordinatorConfig(raw, dirname(layout.coordinatorConfig));
}

export async function stopNodeProcesses(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null) return res();
    // SIGTERM, then SIGKILL after 15 s: a node process once hung in exit after a cancelled 1M-variant query.
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.once('exit', () => { clearTimeout(timer); res(); });
    c.kill('SIGTERM');
  })));
}
