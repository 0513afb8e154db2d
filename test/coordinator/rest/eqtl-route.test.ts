/**
 * POST /v1/queries/eqtl and `genofed query eqtl` against a federation
 * double: the body reaches the federation as an eQTL request (default
 * window 1 Mb), only declared fields leave, and the CLI finds the gene in
 * a GTF, BED or TSV annotation (or takes --gene-region), sends only its
 * coordinates, and prints `chrom pos ref alt n af slope se t p note`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGene } from '../../../coordinator/client/gene-annotation.js';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { runCli } from './run-cli.js';
import { FakeFederation, auth, tokens, TOKEN, NOTHING_WITHHELD } from './fake-federation.js';


const ROWS = [
  { chrom: '10', pos: 6100000, ref: 'A', alt: 'G', n: 120, af: 0.3625, slope: -0.4653204847769772, se: 0.0488, t: -9.53, p: 2.8e-16, note: null, secret: 'x' },
  { chrom: '10', pos: 6100100, ref: 'C', alt: 'T', n: 120, af: 0.01, slope: null, se: null, t: null, p: null, note: 'withheld' },
];

const run = runCli;

describe('gene annotations', () => {
  it('finds a gene in a GTF (gene records, gene_id or gene_name, version ignored), a BED (0-based start) and a gene/chrom/start/end TSV', () => {
    const gtf = [
      '#!genome-build GRCh38',
      'chr10\tHAVANA\tgene\t6010689\t6062367\t.\t-\t.\tgene_id "ENSG00000134460.19"; gene_type "protein_coding"; gene_name "IL2RA";',
      'chr10\tHAVANA\texon\t6010689\t6011000\t.\t-\t.\tgene_id "ENSG00000134460.19"; gene_name "IL2RA";',
    ].join('\n');
    expect(findGene(gtf, 'IL2RA')).toEqual({ chrom: 'chr10', start: 6010689, end: 6062367 });
    expect(findGene(gtf, 'ENSG00000134460')).toEqual({ chrom: 'chr10', start: 6010689, end: 6062367 });
    expect(findGene('chr10\t6010688\t6062367\tIL2RA\t0\t-\n', 'IL2RA')).toEqual({ chrom: 'chr10', start: 6010689, end: 6062367 });
    expect(findGene('gene\tchrom\tstart\tend\nSYN00001\t10\t100\t200\n', 'SYN00001')).toEqual({ chrom: '10', start: 100, end: 200 });
    expect(findGene('gene\tchrom\tstart\tend\nSYN00001\t10\t100\t200\n', 'SYN00002')).toBeNull();
  });
});

describe('the eQTL route and command', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-eqtl-route-'));
    fed = new FakeFederation();
    fed.eqtlAnswer = {
      queryId: 'q-eqtl-1', gene: 'IL2RA', region: '10:5010689-7062367', values: 'counts', n: 120, design: ['(Intercept)', 'dosage', 'sexmale'], rows: ROWS as never,
      dp: null, sites: { responding: ['a', 'b', 'c', 'd'], missing: [] }, disclosure: NOTHING_WITHHELD, noise: null, remainingEpsilon: null,
    };
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes gene, coordinates, window (default 1 Mb), cohort and covariates on, and returns declared fields only', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/eqtl', headers: auth, payload: { gene: 'IL2RA', chrom: '10', start: 6010689, end: 6062367, covariates: ['sex'] } });
    expect(res.statusCode).toBe(200);
    expect(fed.eqtlRequests.at(-1)).toEqual({ querier: 'alice', gene: 'IL2RA', chrom: '10', start: 6010689, end: 6062367, window: 1_000_000, covariates: ['sex'] });
    const body = res.json();
    expect(body.rows[0]).not.toHaveProperty('secret');
    expect(body.rows[1]).toMatchObject({ note: 'withheld', p: null });
    expect((await app.inject({ method: 'POST', url: '/v1/queries/eqtl', headers: auth, payload: { gene: 'IL2RA', chrom: '10', start: 0, end: 5 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/eqtl', headers: auth, payload: { gene: 'IL2RA', chrom: '10', start: 1, end: 5, window: 50_000_000 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/eqtl', payload: { gene: 'IL2RA', chrom: '10', start: 1, end: 5 } })).statusCode).toBe(401);
  });

  it('genofed query eqtl reads the gene from a gzipped GTF, sends its coordinates, and prints the TSV with NA for withheld statistics', async () => {
    await writeFile(join(dir, 'genes.gtf.gz'), gzipSync('10\tx\tgene\t6010689\t6062367\t.\t-\t.\tgene_id "ENSG00000134460.19"; gene_name "IL2RA";\n'));
    const r = await run(['query', 'eqtl', '--coordinator', url, '--token', TOKEN, '--gene', 'IL2RA', '--annotation', join(dir, 'genes.gtf.gz'), '--window', '500000', '--covariates', 'sex']);
    expect(r.code, r.err).toBe(0);
    expect(fed.eqtlRequests.at(-1)).toEqual({ querier: 'alice', gene: 'IL2RA', chrom: '10', start: 6010689, end: 6062367, window: 500_000, covariates: ['sex'] });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tn\taf\tslope\tse\tt\tp\tnote');
    expect(lines[1]).toBe('10\t6100000\tA\tG\t120\t0.3625\t-0.4653204847769772\t0.0488\t-9.53\t2.8e-16\t');
    expect(lines[2]).toBe('10\t6100100\tC\tT\t120\t0.01\tNA\tNA\tNA\tNA\twithheld');
    expect(r.err).toMatch(/IL2RA in 10:5010689-7062367: 2 variants, 1 tested, 1 withheld by the nodes; n = 120/);
  });

  it('without --annotation or --gene-region, or with a gene the annotation lacks, nothing is asked', async () => {
    const before = fed.eqtlRequests.length;
    const r1 = await run(['query', 'eqtl', '--coordinator', url, '--token', TOKEN, '--gene', 'IL2RA']);
    expect(r1.code).not.toBe(0);
    expect(r1.err).toMatch(/exactly one of --annotation/);
    await writeFile(join(dir, 'genes.tsv'), 'gene\tchrom\tstart\tend\nSYN00001\t10\t100\t200\n');
    const r2 = await run(['query', 'eqtl', '--coordinator', url, '--token', TOKEN, '--gene', 'IL2RA', '--annotation', join(dir, 'genes.tsv')]);
    expect(r2.code).not.toBe(0);
    expect(r2.err).toMatch(/genes\.tsv has no gene IL2RA/);
    const r3 = await run(['query', 'eqtl', '--coordinator', url, '--token', TOKEN, '--gene', 'IL2RA', '--gene-region', '10:6010689-6062367', '--format', 'json']);
    expect(r3.code, r3.err).toBe(0);
    expect(JSON.parse(r3.out).gene).toBe('IL2RA');
    expect(fed.eqtlRequests.length).toBe(before + 1);
  });
});
