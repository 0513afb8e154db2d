/**
 * POST /v1/queries/association and `genofed query assoc` against a
 * federation double: the body reaches the engine as the association kind's
 * request, only declared fields leave, withheld statistics travel as null,
 * and the CLI prints the PLINK-like TSV sorted as the engine sorted it.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { assocTsvLine, formatStat } from '../../../coordinator/client/assoc-command.js';
import { FakeFederation, auth, tokens, TOKEN, NOTHING_WITHHELD } from './fake-federation.js';

const CLI = join(resolve(import.meta.dirname, '../../..'), 'bin', 'genofed.js');

const ROWS = [
  { chrom: '1', pos: 10177, ref: 'A', alt: 'AC', ac_cases: 400, an_cases: 1006, ac_controls: 120, an_controls: 1008, chisq: 245.1, p: 3.1e-55, or: 4.5, or_l95: 3.6, or_u95: 5.7, p_fisher: 2.2e-56, p_trend: 1.4e-50, secret: 'x' },
  { chrom: '1', pos: 10505, ref: 'A', alt: 'T', ac_cases: '<5', an_cases: 1006, ac_controls: 0, an_controls: 1008, chisq: null, p: null, or: null, or_l95: null, or_u95: null, p_fisher: null, p_trend: null },
];

describe('the association route and command', () => {
  let fed: FakeFederation;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    fed = new FakeFederation();
    fed.runAnswers.association = { queryId: 'q-as-1', rows: ROWS, lambda: 1.02, sites: { responding: ['a', 'b', 'c'], missing: [] }, disclosure: NOTHING_WITHHELD, noise: null, remainingEpsilon: null };
    app = await buildRestApp({ federation: fed, tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => app?.close());

  it('passes cases, controls and the region to the association kind and returns declared fields only', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/queries/association', headers: auth, payload: { cases: "super_pop='EUR'", controls: "super_pop='EAS'", region: '1:1-20000' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(fed.runRequests.at(-1)).toEqual({ kind: 'association', request: { querier: 'alice', cases: "super_pop='EUR'", controls: "super_pop='EAS'", region: '1:1-20000' } });
    expect(body.rows[0]).not.toHaveProperty('secret');
    expect(body.rows[1]).toMatchObject({ ac_cases: '<5', p: null });
    expect(body.lambda).toBe(1.02);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/association', headers: auth, payload: { cases: 'a=1', region: '1:1-2' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/association', payload: { cases: 'a=1', controls: 'a=2', region: '1:1-2' } })).statusCode).toBe(401);
  });

  it('formats statistics as PLINK prints them: 4 significant digits, NA for null', () => {
    expect(formatStat(3.14159e-55)).toBe('3.142e-55');
    expect(formatStat(245.123)).toBe('245.1');
    expect(formatStat(null)).toBe('NA');
    expect(assocTsvLine(ROWS[1] as never)).toBe('1\t10505\tA\tT\t<5\t1006\t0\t1008\tNA\tNA\tNA\tNA\tNA\tNA\tNA');
  });

  it('genofed query assoc prints the TSV header and rows, and lambda on stderr', async () => {
    const r = await new Promise<{ code: number; out: string; err: string }>((done) => {
      const p = spawn(process.execPath, [CLI, 'query', 'assoc', '--coordinator', url, '--token', TOKEN, '--cases', "super_pop='EUR'", '--controls', "super_pop='EAS'", '--region', '1:1-20000']);
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { err += d; });
      p.on('close', (code) => done({ code: code ?? 1, out, err }));
    });
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac_cases\tan_cases\tac_controls\tan_controls\tchisq\tp\tor\tor_l95\tor_u95\tp_fisher\tp_trend');
    expect(lines[1]).toBe('1\t10177\tA\tAC\t400\t1006\t120\t1008\t245.1\t3.1e-55\t4.5\t3.6\t5.7\t2.2e-56\t1.4e-50');
    expect(r.err).toMatch(/genomic inflation lambda 1\.020/);
  });
});
