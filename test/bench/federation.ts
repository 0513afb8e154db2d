/**
 * `npm run bench -- --suite federation [--quick] [--json]`
 *
 * The same allele-frequency query over every variant of a synthetic
 * dataset (1,000,000 variants; --quick 50,000) at 3 sites, each a
 * separate node process with mTLS, encrypted end to end under the
 * `default` BFV preset, and again in the plaintext measurement mode (same
 * pipeline - phase 1 union, signed envelopes, streamed variant list,
 * store counts - with counts sent unencrypted). Figures:
 * `encrypted_vs_plaintext` (median wall-time ratio; target <= 2.0),
 * `bytes_per_site` (answer bytes of one site, encrypted), `query_ms`
 * (median encrypted query). The encrypted totals are checked equal to the
 * plaintext totals.
 *
 * The 3 sites hold copies of one synthetic store of 100 samples (ingest of
 * 1M variants takes ~1 min per site; copying keeps set-up short; the
 * bench measures aggregation, not ingest).
 */
import type { ChildProcess } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { createFederation } from '../../coordinator/federation/create.js';
import type { AlleleFrequencyAnswer, Federation } from '../../coordinator/federation/types.js';
import { networkInit } from '../../coordinator/network/init.js';
import { ingest } from '../../node/store/index.js';
import { startSiteNodes, stopNodeProcesses } from './node-processes.js';
import type { BenchSuite } from './suite.js';
import { syntheticVcf } from './synthetic-vcf.js';

const SITES = ['a', 'b', 'c'];
const SAMPLES = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const suite: BenchSuite = {
  name: 'federation',
  description: 'AF query over 3 node processes (mTLS, default BFV preset): encrypted end to end vs plaintext measurement mode',
  async run({ log, quick, scratch }) {
    const variants = quick ? 50_000 : 1_000_000;
    // Full runs: ~2-3 min per 1M-variant query on the shared 2-core machine (store scans dominate), so 2 interleaved pairs.
    const repeats = quick ? 3 : 2;
    const vcf = join(scratch, 'synthetic.vcf.gz');
    let t = performance.now();
    await pipeline(syntheticVcf({ samples: SAMPLES, variants, seed: 2026, contig: '22', bgzip: true }), createWriteStream(vcf));
    const layout = await networkInit({ sites: SITES, out: join(scratch, 'net'), preset: 'default', basePort: 0 });
    await ingest(layout.siteStores.a!, { rawIds: true, vcfs: [vcf] });
    for (const s of SITES.slice(1)) await cp(layout.siteStores.a!, layout.siteStores[s]!, { recursive: true });
    log(`set-up: ${variants.toLocaleString('en')} variants x ${SAMPLES} samples per site, ingest + copies ${Math.round(performance.now() - t)} ms`);

    const children: ChildProcess[] = [];
    const federations: Federation[] = [];
    try {
      const config = await startSiteNodes(layout, SITES, children);
      const logger = pino({ level: 'warn' });
      const bytes: Record<string, number> = {};
      const encrypted = await createFederation(config, { logger, onSiteAnswer: (s, b) => { bytes[s] = b; } });
      const plaintext = await createFederation(config, { logger, measurementPlaintext: true });
      federations.push(encrypted, plaintext);

      const query = (f: Federation): Promise<AlleleFrequencyAnswer> => f.alleleFrequency({ region: '22', querier: 'bench' });
      // Warm-up: connections, and SEAL contexts in every node and the coordinator (a variant-list
      // query reaches phase 2 whatever the store holds; a region might hold no variant).
      for (const f of [plaintext, encrypted]) await f.alleleFrequency({ variants: [{ chrom: '22', pos: 1, ref: 'A', alt: 'C' }], querier: 'bench' });
      const encMs: number[] = [];
      const plainMs: number[] = [];
      let encAnswer: AlleleFrequencyAnswer | undefined;
      let plainAnswer: AlleleFrequencyAnswer | undefined;
      for (let i = 0; i < repeats; i++) {
        // Interleave the modes so background load on the shared machine hits both alike.
        t = performance.now();
        plainAnswer = await query(plaintext);
        plainMs.push(performance.now() - t);
        t = performance.now();
        encAnswer = await query(encrypted);
        encMs.push(performance.now() - t);
        log(`  run ${i + 1}: encrypted ${Math.round(encMs[i]!)} ms, plaintext ${Math.round(plainMs[i]!)} ms`);
      }
      const rows = encAnswer!.rows.length;
      let mismatches = 0;
      for (let i = 0; i < rows; i++) {
        const a = encAnswer!.rows[i]!;
        const b = plainAnswer!.rows[i]!;
        if (a.pos !== b.pos || a.ac !== b.ac || a.an !== b.an || a.nhomalt !== b.nhomalt) mismatches += 1;
      }
      if (mismatches > 0 || rows !== plainAnswer!.rows.length) throw new Error(`encrypted and plaintext totals differ in ${mismatches} rows`);
      const q = median(encMs);
      const p = median(plainMs);
      return {
        variants,
        rows,
        sites: SITES.length,
        samples_per_site: SAMPLES,
        query_ms: Math.round(q),
        plaintext_ms: Math.round(p),
        encrypted_vs_plaintext: Number((q / p).toFixed(2)),
        bytes_per_site: bytes.a ?? 0,
        ciphertexts_per_site: Math.ceil((3 * rows) / 8192),
        totals_equal_plaintext: true,
        runs: repeats,
      };
    } finally {
      for (const f of federations) await f.close();
      await stopNodeProcesses(children);
    }
  },
};
