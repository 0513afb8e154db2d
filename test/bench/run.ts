/**
 * `npm run bench [-- --suite NAME[,NAME] [--json] [--quick | --full]]`
 *
 * Runs benchmark suites that print figures with ratios measured in the same
 * run (against bcftools, samtools or a plaintext computation). With --json,
 * the last line of stdout is one JSON object: the suite's figures when one
 * suite ran, otherwise `{ suiteName: figures, ... }`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchSuite } from './suite.js';

const SUITES: Record<string, () => Promise<{ suite: BenchSuite }>> = {
  federation: () => import('./federation.js'),
  assoc: () => import('./assoc.js'),
  expr: () => import('./expr.js'),
  vcf: () => import('./vcf.js'),
  crypto: () => import('./crypto.js'),
  'pseudonymize-bam': () => import('./pseudonymize-bam.js'),
  pseudonymize: () => import('./pseudonymize.js'),
  store: () => import('./store.js'),
  'store-scale': () => import('./store.js').then((m) => ({ suite: m.scaleSuite })),
  privacy: () => import('./privacy.js'),
  'size-round': () => import('./size-round.js'),
  ledger: () => import('./ledger.js'),
};

const { values } = parseArgs({
  options: {
    suite: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
  },
});

const names = (values.suite ?? Object.keys(SUITES)).flatMap((s) => s.split(',')).filter(Boolean);
for (const n of names) {
  if (!SUITES[n]) {
    process.stderr.write(`bench: unknown suite '${n}'; known: ${Object.keys(SUITES).join(', ')}\n`);
    process.exit(2);
  }
}

const log = (line: string): void => {
  (values.json ? process.stderr : process.stdout).write(`${line}\n`);
};

const results: Record<string, Record<string, unknown>> = {};
for (const name of names) {
  const { suite } = await SUITES[name]!();
  const scratch = await mkdtemp(join(tmpdir(), `genofed-bench-${name}-`));
  log(`== ${name}: ${suite.description}`);
  try {
    results[name] = await suite.run({ log, quick: values.quick ?? false, full: values.full ?? false, scratch });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(results[name]!)) {
    if (typeof v !== 'object') log(`  ${k}: ${String(v)}`);
  }
}

if (values.json) {
  const only = names.length === 1 ? results[names[0]!] : results;
  process.stdout.write(`${JSON.stringify(only)}\n`);
}
