/**
 * The querier's remaining DP budget, end to end: three real nodes with DP
 * on (epsilon 1 per query) and different budgets - site a 10, site b 7,
 * site c 10 with a cap of 6 per researcher - the engine, the REST app
 * (JSON, NDJSON summary, TSV header) and the compiled CLI (stderr). Each
 * node signs what the querier has left into its answer header; the answer
 * reports the smallest over the sites. Expected values are this file's
 * arithmetic, and each answer is checked against the sites' privacy
 * ledgers read as plain JSON lines (not through the node's code).
 * Needs the build (the CLI runs dist/).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Federation } from '../../../coordinator/federation/types.js';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { startConsortium, type Consortium } from '../federation/consortium.js';
import { runCli } from './run-cli.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const VCF = join(ROOT, 'test', 'fixtures', 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const SITES = ['a', 'b', 'c'];
/** Per site: the coordinator's total and the per-researcher cap beneath it. */
const BUDGETS: Record<string, { total: number; perResearcher: number }> = { a: { total: 10, perResearcher: 10 }, b: { total: 7, perResearcher: 7 }, c: { total: 10, perResearcher: 6 } };
const ALICE = 'dp-budget-token-alice-0123456789';
const BOB = 'dp-budget-token-bob-0123456789ab';
const V = { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' };

interface Debit { op: string; coordinator: string; researcher: string; micro: number }

/** What `researcher` has left at `site`, from the site's ledger file alone: min(total - all debits, cap - the researcher's). */
async function ledgerRemaining(c: Consortium, site: string, researcher: string): Promise<number> {
  const lines = (await readFile(join(c.layout.siteStores[site]!, 'privacy-ledger.jsonl'), 'utf8')).trimEnd().split('\n').slice(1);
  const debits = lines.flatMap((l) => (JSON.parse(l) as { ops: Debit[] }).ops).filter((op) => op.op === 'debit');
  const all = debits.reduce((s, d) => s + d.micro, 0);
  const own = debits.filter((d) => d.researcher === researcher).reduce((s, d) => s + d.micro, 0);
  const b = BUDGETS[site]!;
  return Math.min(b.total * 1e6 - all, b.perResearcher * 1e6 - own) / 1e6;
}

describe('the remaining DP budget reported to the querier (3 real nodes, DP on, different budgets per site)', () => {
  let c: Consortium;
  let f: Federation;
  let app: FastifyInstance;
  let url: string;
  let variantsFile: string;

  const post = (token: string, path: string, body: unknown, accept?: string): Promise<Response> =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: JSON.stringify(body) });
  /** The smallest remainder over the sites' ledgers: what the answer must say. */
  const fromLedgers = async (researcher: string): Promise<number> => Math.min(...(await Promise.all(SITES.map((s) => ledgerRemaining(c, s, researcher)))));

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    c = await startConsortium({
      sites: SITES, vcfs: { a: [VCF], b: [VCF], c: [VCF] }, privacy: { dp: { enabled: true, epsilonPerQuery: 1 } },
      nodeConfig: (site, cfg) => ({ ...cfg, privacy: { ...cfg.privacy, budget: { totalEpsilon: BUDGETS[site]!.total, perResearcherEpsilon: BUDGETS[site]!.perResearcher } } }),
    });
    f = await c.federationWith({ dpEpsilon: 1, disclosure: { k: 1 } });
    app = await buildRestApp({ federation: f, tokens: new Map([[ALICE, 'alice'], [BOB, 'bob']]) });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    variantsFile = join(c.dir, 'variants.txt');
    await writeFile(variantsFile, '1 10177 A AC\n');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await c?.close();
  });

  it('falls by the query\'s epsilon per query, is the smallest over the sites for this querier, and every front end carries it', async () => {
    // Alice's binding limit is site c's cap of 6 per researcher: 6 - n after her n-th query.
    const engine = await f.cohortCount({ cohort: '', querier: 'alice' });
    expect(engine.noise).not.toBeNull();
    expect(engine.remainingEpsilon).toBe(5);
    expect(await ledgerRemaining(c, 'a', 'alice')).toBe(9);
    expect(await ledgerRemaining(c, 'b', 'alice')).toBe(6);
    expect(await ledgerRemaining(c, 'c', 'alice')).toBe(5);

    const json = await post(ALICE, '/v1/queries/allele-frequency', { variants: [V] });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { remainingEpsilon: number }).remainingEpsilon).toBe(4);
    expect(await fromLedgers('alice')).toBe(4);

    const ndjson = await post(ALICE, '/v1/queries/allele-frequency', { variants: [V] }, 'application/x-ndjson');
    const lines = (await ndjson.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; remainingEpsilon?: number });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', remainingEpsilon: 3 });
    expect(await fromLedgers('alice')).toBe(3);

    const tsv = await post(ALICE, '/v1/queries/allele-frequency', { variants: [V] }, 'text/tab-separated-values');
    expect(tsv.status).toBe(200);
    await tsv.text();
    expect(JSON.parse(tsv.headers.get('x-genofed-remaining-epsilon')!)).toBe(2);
    expect(await fromLedgers('alice')).toBe(2);

    // The CLI says it on stderr with the disclosure note; stdout stays the table.
    const cli = await runCli(['query', 'af', '--coordinator', url, '--token', ALICE, '--variants', variantsFile]);
    expect(cli.code, cli.err).toBe(0);
    expect(cli.err).toMatch(/^genofed: (.*; )?DP noise on every count: Skellam mu=\S+, sd=\S+; privacy budget left: epsilon 1 \(the smallest over the sites\)$/m);
    expect(cli.out).not.toMatch(/budget/);
    expect(await fromLedgers('alice')).toBe(1);

    // Bob has his own cap at c but shares the coordinator's totals: site b (7 - 6 debits) now binds.
    const bob = await post(BOB, '/v1/queries/allele-frequency', { variants: [V] });
    expect(bob.status).toBe(200);
    expect(((await bob.json()) as { remainingEpsilon: number }).remainingEpsilon).toBe(1);
    expect(await ledgerRemaining(c, 'b', 'bob')).toBe(1);
    expect(await ledgerRemaining(c, 'c', 'bob')).toBe(4);
    expect(await fromLedgers('bob')).toBe(1);

    const last = await f.cohortCount({ cohort: '', querier: 'alice' });
    expect(last.remainingEpsilon).toBe(0);

    // Nothing left at b (and at c for alice): the network refuses, naming the node's code.
    const refused = await post(BOB, '/v1/queries/allele-frequency', { variants: [V] });
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/GENOFED_BUDGET_EXHAUSTED/);
  });
});
