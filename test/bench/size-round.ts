/**
 * `npm run bench -- --suite size-round [--quick] [--json]`
 *
 * The cost of the round issue 9 added before every counted answer: each
 * node masks, boxes and signs its population sizes (n - 1 X25519 + HKDF +
 * AES-GCM boxes, one Ed25519 signature), the coordinator relays all n
 * commitments to every node, and each node verifies n signatures and
 * opens n - 1 boxes. Measured at 3 and 10 sites (in-process nodes with
 * mTLS on loopback, `default` BFV preset, 100 synthetic samples x 1,000
 * variants per site):
 *
 * - `size_round_cpu_ms_N`: one node's commit + verify of a round of N
 *   sites (pure CPU, median of 50);
 * - `cohort_query_ms_N`: a whole cohort-count query through the engine
 *   (admission, the round, one ciphertext per site, sum, decrypt): the
 *   round is most of it;
 * - `af_query_ms_N`: an allele-frequency query over a 1,000-variant list,
 *   for scale.
 */
import { createWriteStream } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { parseCoordinatorConfig } from '../../coordinator/config.js';
import { createFederation } from '../../coordinator/federation/create.js';
import { networkInit } from '../../coordinator/network/init.js';
import { commitSizes, networkSizes, type SizeRoundContext } from '../../node/privacy/size-round.js';
import { loadNodeConfig } from '../../node/server/config.js';
import { startNode, type RunningNode } from '../../node/server/serve.js';
import { ingest } from '../../node/store/index.js';
import { EMPTY_SCHEMA } from '../../proto/phenotype-schema.js';
import { publicKeyBase64, ROSTER_FORMAT, rosterFingerprint, type Roster } from '../../proto/roster.js';
import type { BenchSuite } from './suite.js';
import { syntheticVcf } from './synthetic-vcf.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One node's CPU for a round of n sites: commit, then verify the other n - 1 commitments (built here). */
function roundCpuMs(n: number, repeats: number): number {
  const ids = Array.from({ length: n }, (_, i) => `site-${String(i).padStart(2, '0')}`);
  const keys = ids.map(() => ({ x: generateKeyPairSync('x25519'), s: generateKeyPairSync('ed25519') }));
  const roster: Roster = {
    format: ROSTER_FORMAT, version: 1, consortium: 'bench', epoch: 1, previous: null, issuedAt: new Date().toISOString(),
    coordinator: { id: 'coordinator', signingKey: publicKeyBase64(generateKeyPairSync('ed25519').publicKey), bfvPublicKeySha256: '0'.repeat(64), preset: 'default' },
    sites: ids.map((id, i) => ({ id, x25519: publicKeyBase64(keys[i]!.x.publicKey), signingKey: publicKeyBase64(keys[i]!.s.publicKey) })), schema: EMPTY_SCHEMA,
  };
  const fp = rosterFingerprint(roster);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const queryId = randomUUID();
    const envelope = new Uint8Array(200).fill(r);
    const ctx = (i: number): SizeRoundContext => ({ selfId: ids[i]!, selfX25519: keys[i]!.x.privateKey, selfSigning: keys[i]!.s.privateKey, roster, rosterFingerprint: fp, queryId, envelope });
    const others = ids.map((_, i) => (i === 0 ? undefined : commitSizes(ctx(i), [100 + i, 3])));
    const t = performance.now();
    const mine = commitSizes(ctx(0), [100, 3]);
    const totals = networkSizes(ctx(0), mine, [mine.commitment, ...others.slice(1).map((o) => o!.commitment)]);
    times.push(performance.now() - t);
    if (totals[0] !== ids.reduce((s, _, i) => s + 100 + i, 0)) throw new Error('size round totals are wrong');
  }
  return median(times);
}

async function network(scratch: string, n: number, vcf: string, repeats: number, log: (l: string) => void): Promise<{ cohort: number; af: number }> {
  const sites = Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const layout = await networkInit({ sites, out: join(scratch, `net-${n}`), preset: 'default', basePort: 0 });
  await ingest(layout.siteStores[sites[0]!]!, { vcfs: [vcf], rawIds: true });
  for (const s of sites.slice(1)) await cp(layout.siteStores[sites[0]!]!, layout.siteStores[s]!, { recursive: true });
  const logger = pino({ level: 'warn' });
  const nodes: RunningNode[] = [];
  try {
    const addresses: Record<string, string> = {};
    for (const s of sites) {
      const node = await startNode(await loadNodeConfig(layout.siteConfigs[s]!), { logger });
      nodes.push(node);
      addresses[s] = `127.0.0.1:${node.port}`;
    }
    const raw = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as { sites: { id: string }[] };
    const config = parseCoordinatorConfig({ ...raw, sites: raw.sites.map((s) => ({ id: s.id, address: addresses[s.id]! })) }, dirname(layout.coordinatorConfig));
    const fed = await createFederation(config, { logger });
    try {
      const list = Array.from({ length: 1000 }, (_, i) => ({ chrom: '22', pos: 16_000_000 + i, ref: 'A', alt: 'C' }));
      await fed.cohortCount({ cohort: '', querier: 'bench' });
      await fed.alleleFrequency({ variants: list, querier: 'bench' });
      const cohort: number[] = [];
      const af: number[] = [];
      for (let r = 0; r < repeats; r++) {
        let t = performance.now();
        await fed.cohortCount({ cohort: '', querier: 'bench' });
        cohort.push(performance.now() - t);
        t = performance.now();
        await fed.alleleFrequency({ variants: list, querier: 'bench' });
        af.push(performance.now() - t);
      }
      log(`  ${n} sites: cohort count ${Math.round(median(cohort))} ms, AF over 1,000 variants ${Math.round(median(af))} ms (median of ${repeats})`);
      return { cohort: median(cohort), af: median(af) };
    } finally {
      await fed.close();
    }
  } finally {
    for (const node of nodes) await node.close(0);
  }
}

export const suite: BenchSuite = {
  name: 'size-round',
  description: 'the size round before every counted answer (issue 9): per-node CPU and whole-query latency at 3 and 10 sites',
  async run({ log, quick, scratch }) {
    const repeats = quick ? 5 : 15;
    const cpu3 = roundCpuMs(3, 50);
    const cpu10 = roundCpuMs(10, 50);
    log(`  one node's round CPU: ${cpu3.toFixed(2)} ms at 3 sites, ${cpu10.toFixed(2)} ms at 10 sites`);
    const vcf = join(scratch, 'synthetic.vcf.gz');
    await pipeline(syntheticVcf({ samples: 100, variants: 1000, seed: 9, contig: '22', bgzip: true }), createWriteStream(vcf));
    const three = await network(scratch, 3, vcf, repeats, log);
    const ten = await network(scratch, 10, vcf, repeats, log);
    return {
      size_round_cpu_ms_3: Number(cpu3.toFixed(2)),
      size_round_cpu_ms_10: Number(cpu10.toFixed(2)),
      cohort_query_ms_3: Math.round(three.cohort),
      cohort_query_ms_10: Math.round(ten.cohort),
      af_query_ms_3: Math.round(three.af),
      af_query_ms_10: Math.round(ten.af),
      repeats,
    };
  },
};
