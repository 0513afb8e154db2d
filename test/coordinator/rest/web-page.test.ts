/**
 * The web page's routes on the REST app (`inject()`): the page and its
 * built assets are public, the API beside them still needs the token, the
 * routes are in the OpenAPI document, and an asset name cannot leave the
 * page's folder. (The page itself is tested in Chromium: test/coordinator/web/.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { FakeFederation, tokens } from './fake-federation.js';

describe('the web page routes', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-web-routes-'));
    await mkdir(join(dir, 'web', 'assets'), { recursive: true });
    await writeFile(join(dir, 'web', 'index.html'), '<!doctype html><title>genofed</title>');
    await writeFile(join(dir, 'web', 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside the page folder');
    app = await buildRestApp({ federation: new FakeFederation(), tokens, web: join(dir, 'web') });
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page and its assets without a token, and redirects / to /ui/', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/ui/');
    const page = await app.inject({ method: 'GET', url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('public, max-age=0');
    expect(page.body).toContain('<title>genofed</title>');
    const asset = await app.inject({ method: 'GET', url: '/ui/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
  });

  it('keeps the API behind the bearer token next to the public page', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/schema' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', payload: { region: '1:1-2' } })).statusCode).toBe(401);
  });

  it('never serves a file outside the page folder, nor an asset that does not exist', async () => {
    for (const url of ['/ui/assets/..%2F..%2Fsecret.txt', '/ui/assets/..%2Fsecret.txt', '/ui/assets/.hidden', '/ui/../secret.txt', '/ui/assets/missing.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toContain('outside the page folder');
    }
  });

  it('documents the page routes in the OpenAPI document, and leaves them out when no page is configured', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/ui/'].get.responses['200']).toBeDefined();
    expect(doc.paths['/ui/assets/{file}'].get.parameters[0].name).toBe('file');
    const bare = await buildRestApp({ federation: new FakeFederation(), tokens, web: false });
    try {
      // An unknown route is denied like any other (401 before 404: deny by default).
      expect((await bare.inject({ method: 'GET', url: '/ui/' })).statusCode).toBe(401);
      expect((await bare.inject({ method: 'GET', url: '/ui/' })).body).not.toContain('<title>');
    } finally {
      await bare.close();
    }
  });
});
