/**
 * `genofed query af|cohort` as a researcher runs it: the compiled CLI in a
 * child process against a listening REST app (with a scripted Federation:
 * this tests the CLI and the HTTP edge, the engine is tested elsewhere).
 * Needs the build (`npm test` runs tsc first).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { GenofedError, GrpcStatus } from '../../../proto/errors.js';
import { FakeFederation, TOKEN, tokens } from '../rest/fake-federation.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin', 'genofed.js');

/** A loopback port nothing listens on: bind an ephemeral one, then close it. */
function closedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => done(port));
    });
  });
}

interface Run { code: number; stdout: string; stderr: string }

function genofed(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, GENOFED_TOKEN: '', GENOFED_COORDINATOR: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('genofed query (CLI against a listening REST API)', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    fed = new FakeFederation();
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'genofed-query-cli-'));
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('query af --region prints a clean TSV on stdout and the responding sites on stderr', async () => {
    const r = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:10000-20000', '--cohort', 'super_pop=EUR']);
    expect(r.stderr).toMatch(/responding sites: a,b,c/);
    expect(r.code).toBe(0);
    // A withheld AC keeps its column, released as '<5' with AF '.'; the note goes to stderr.
    expect(r.stdout).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt\n1\t10177\tA\tAC\t2130\t5008\t0.425319\t570\n1\t10235\tT\tTA\t0\t0\t.\t0\n1\t10352\tT\tTA\t<5\t5008\t.\t0\n');
    expect(r.stderr).toMatch(/disclosure control \(k=5, suppress\): ac-below-k suppressed in 1 row\(s\)/);
    expect(fed.afRequests.at(-1)).toEqual({ querier: 'alice', region: '1:10000-20000', cohort: 'super_pop=EUR' });
  });

  it('query af --variants FILE sends the parsed variants; the token may come from GENOFED_TOKEN; --format json includes sites', async () => {
    const file = join(dir, 'variants.txt');
    await writeFile(file, '# my variants\n1 10177 A AC\n\nchr22-16050075-a-g\n1:10235:T:TA\n');
    const r = await genofed(['query', 'af', '--coordinator', url, '--variants', file, '--format', 'json'], { GENOFED_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.sites.responding).toEqual(['a', 'b', 'c']);
    expect(body.rows).toHaveLength(3);
    expect(body.rows[2]).toMatchObject({ ac: '<5', af: null });
    expect(body.disclosure).toEqual({ policy: { k: 5, smallCounts: 'suppress', roundTo: 5 }, rowsAffected: 1, rules: [expect.objectContaining({ rule: 'ac-below-k', action: 'suppressed', rows: 1 })] });
    expect(body.noise).toBeNull();
    expect(fed.afRequests.at(-1)?.variants).toEqual([
      { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' },
      { chrom: 'chr22', pos: 16050075, ref: 'A', alt: 'G' },
      { chrom: '1', pos: 10235, ref: 'T', alt: 'TA' },
    ]);
  });

  it('a malformed variants file is refused before any request, naming the file and line but not the content', async () => {
    const file = join(dir, 'bad-variants.txt');
    await writeFile(file, '1 10177 A AC\nHG00096 0|1\n');
    const before = fed.afRequests.length;
    const r = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--variants', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^genofed: GENOFED_BAD_VARIANT: bad-variants\.txt line 2: /);
    expect(r.stderr).not.toContain('HG00096');
    expect(fed.afRequests.length).toBe(before);
  });

  it('a malformed region or cohort expression is refused locally, before any request', async () => {
    const before = fed.afRequests.length + fed.cohortRequests.length;
    const r1 = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:500-100']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^genofed: GENOFED_BAD_REGION: region '1:500-100': END is before START/);
    const r2 = await genofed(['query', 'cohort', '--coordinator', url, '--token', TOKEN, '--cohort', 'super_pop = and']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^genofed: GENOFED_BAD_COHORT: cohort expression column/);
    expect(fed.afRequests.length + fed.cohortRequests.length).toBe(before);
  });

  it('none, or more than one, of --region, --regions-file and --variants is a usage error (exit 2)', async () => {
    const r = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GENOFED_USAGE: give exactly one of --region, --regions-file and --variants/);
  });

  it('an API error is printed as genofed: <code>: <message> with a non-zero exit', async () => {
    fed.failWith = new GenofedError('GENOFED_SITE_UNAVAILABLE', { http: 503, grpc: GrpcStatus.UNAVAILABLE, doc: 'test' }, 'site c did not answer within 120000 ms');
    try {
      const r = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:1-5']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('genofed: GENOFED_SITE_UNAVAILABLE: site c did not answer within 120000 ms\n');
    } finally {
      fed.failWith = null;
    }
  });

  it('a wrong token is refused by the API and reported as GENOFED_UNAUTHORIZED', async () => {
    const r = await genofed(['query', 'cohort', '--coordinator', url, '--token', 'not-a-known-token-000000000', '--cohort', 'gender=female']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^genofed: GENOFED_UNAUTHORIZED: /);
  });

  it('an unreachable coordinator is reported as GENOFED_API_UNREACHABLE naming only host and port', async () => {
    const port = await closedPort();
    const r = await genofed(['query', 'cohort', '--coordinator', `http://127.0.0.1:${port}`, '--token', TOKEN, '--cohort', 'gender=female']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`genofed: GENOFED_API_UNREACHABLE: coordinator 127.0.0.1:${port}: connection refused\n`);
  });

  it('query cohort prints the count, sends carriers given as keys, and lists the responding sites on stderr', async () => {
    const r = await genofed(['query', 'cohort', '--coordinator', url, '--token', TOKEN, '--cohort', 'super_pop=EUR and gender=female', '--carriers-of', '1-10177-A-AC,22-16050075-A-G']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('263\n');
    expect(r.stderr).toMatch(/responding sites: a,b,c\n/);
    expect(fed.cohortRequests.at(-1)).toEqual({
      querier: 'alice',
      cohort: 'super_pop=EUR and gender=female',
      carriersOf: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }, { chrom: '22', pos: 16050075, ref: 'A', alt: 'G' }],
    });
  });

  it('query schema prints the columns, their values or bins, and the grammar; --by sends strata and the TSV leads with them', async () => {
    const r = await genofed(['query', 'schema', '--coordinator', url, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# consortium phenotype schema [0-9a-f]{64}\nsuper_pop\tcategorical\tvalues: AFR, AMR, EAS, EUR, SAS\nage\tinteger\tbins \(compare with >= \/ < at an edge\): 0, 20, 40, 60, 80, 120\n# grammar\n/);
    fed.afAnswer = { ...fed.afAnswer, rows: [{ strata: { super_pop: 'all' }, chrom: '1', pos: 5, ref: 'A', alt: 'C', ac: 10, an: 20, af: 0.5, nhomalt: 0, faf95: 0.27127028485456461 }, { strata: { super_pop: 'EUR' }, chrom: '1', pos: 5, ref: 'A', alt: 'C', ac: 6, an: 10, af: 0.6, nhomalt: 0, faf95: 0.26130147441963208 }] };
    const s = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:1-10', '--by', 'super_pop']);
    expect(s.code).toBe(0);
    expect(s.stdout).toBe('super_pop\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt\tfaf95\nall\t1\t5\tA\tC\t10\t20\t0.5\t0\t0.27127\nEUR\t1\t5\tA\tC\t6\t10\t0.6\t0\t0.261301\n');
    expect(fed.afRequests.at(-1)).toMatchObject({ by: ['super_pop'] });
  });

  it('query af --by --format wide: one line per variant, AC_<cell> columns for every schema cell ("." for cells without rows), then grpmax and faf95_max', async () => {
    fed.afAnswer = {
      ...fed.afAnswer,
      rows: [
        { strata: { super_pop: 'all' }, chrom: '1', pos: 5, ref: 'A', alt: 'C', ac: 10, an: 20, af: 0.5, nhomalt: 0, faf95: 0.27127028485456461 },
        { strata: { super_pop: 'EUR' }, chrom: '1', pos: 5, ref: 'A', alt: 'C', ac: 6, an: 10, af: 0.6, nhomalt: '<5', faf95: 0.26130147441963208 },
      ],
      groupMaxima: { column: 'super_pop', exclude: ['fin'], rows: [{ chrom: '1', pos: 5, ref: 'A', alt: 'C', grpmax: { group: 'EUR', ac: 6, an: 10, af: 0.6, nhomalt: null }, faf95_max: { group: 'EUR', faf95: 0.26130147441963208 } }] },
    };
    const s = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:1-10', '--by', 'super_pop', '--format', 'wide', '--grpmax-exclude', 'fin']);
    expect(s.stderr).toContain('query q-af-1: 2 rows');
    expect(s.code).toBe(0);
    const cell = (c: string): string[] => ['AC', 'AN', 'AF', 'nhomalt', 'faf95'].map((f) => `${f}_${c}`);
    const header = ['chrom', 'pos', 'ref', 'alt', 'AC', 'AN', 'AF', 'nhomalt', 'faf95', ...['AFR', 'AMR', 'EAS', 'EUR', 'SAS'].flatMap(cell), 'grpmax', 'AC_grpmax', 'AN_grpmax', 'AF_grpmax', 'nhomalt_grpmax', 'faf95_max', 'faf95_max_grp'];
    const dots = ['.', '.', '.', '.', '.'];
    const line = ['1', '5', 'A', 'C', '10', '20', '0.5', '0', '0.27127', ...dots, ...dots, ...dots, '6', '10', '0.6', '<5', '0.261301', ...dots, 'EUR', '6', '10', '0.6', '.', '0.261301', 'EUR'];
    expect(s.stdout).toBe(`${header.join('\t')}\n${line.join('\t')}\n`);
    expect(fed.afRequests.at(-1)).toMatchObject({ by: ['super_pop'], grpmaxExclude: ['fin'] });
    const bad = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '1:1-10', '--format', 'wide']);
    expect([bad.code, bad.stderr]).toEqual([2, 'genofed: GENOFED_USAGE: --format wide needs --by\n']);
  });

  it('query af --region takes bcftools region lists (a whole contig, comma-separated, merged) and refuses a malformed one before asking the coordinator', async () => {
    const before = fed.afRequests.length;
    const bad = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '2:abc-def']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("genofed: GENOFED_BAD_REGION: region '2:abc-def': 'abc-def' after ':' is not POS, START-END or START- (a contig name containing ':' is written in braces, {name})\n");
    expect(fed.afRequests.length).toBe(before);
    expect((await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '12'])).code).toBe(0);
    expect(fed.afRequests.at(-1)).toMatchObject({ region: '12' });
    expect((await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', 'chr12:5-10,chr12:8-20,X:1,000,000-'])).code).toBe(0);
    expect(fed.afRequests.at(-1)).toMatchObject({ region: 'chr12:5-20,X:1000000-' });
    const both = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--region', '12', '--regions-file', 'x.bed']);
    expect([both.code, both.stderr]).toEqual([2, 'genofed: GENOFED_USAGE: give exactly one of --region, --regions-file and --variants\n']);
  });

  it('query af --variants takes rs id lines (sent as ids, resolved by the sites), adds the exists column, and names ids no site holds on stderr', async () => {
    const file = join(dir, 'rs.txt');
    await writeFile(file, 'RS62636497\n1-10177-A-AC\nrs999\n');
    fed.afAnswer = { ...fed.afAnswer, rows: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac: 2130, an: 5008, af: 2130 / 5008, nhomalt: 570, faf95: 0.41027547791971697, exists: true }], unresolved: ['rs999'] };
    const r = await genofed(['query', 'af', '--coordinator', url, '--token', TOKEN, '--variants', file]);
    expect(r.code).toBe(0);
    expect(fed.afRequests.at(-1)!.variants).toEqual([{ rsId: 'rs62636497' }, { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }, { rsId: 'rs999' }]);
    expect(r.stdout).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt\texists\n1\t10177\tA\tAC\t2130\t5008\t0.425319\t570\ttrue\n');
    expect(r.stderr).toContain('genofed: 1 rs id(s) held by no site (no rows): rs999\n');
  });

  it('query cohort --format json prints the whole answer', async () => {
    const r = await genofed(['query', 'cohort', '--coordinator', url, '--token', TOKEN, '--cohort', 'gender=male', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ...fed.cohortAnswer, remainingEpsilon: null });
  });
});
