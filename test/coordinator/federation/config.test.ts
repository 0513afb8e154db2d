/**
 * The coordinator config: defaults, path resolution, frozen, and errors
 * that name the bad field.
 */
import { describe, expect, it } from 'vitest';
import { parseCoordinatorConfig } from '../../../coordinator/config.js';

const valid = {
  identity: 'coordinator', listen: { host: '127.0.0.1', port: 7400 },
  tls: { ca: 'ca.crt.pem', cert: 'c.crt.pem', key: 'c.key.pem' }, signingKey: 'signing.key.pem',
  bfv: { preset: 'test', publicKey: 'bfv.pk', secretKey: 'bfv.sk' }, roster: 'roster.json',
  sites: [{ id: 'a', address: '127.0.0.1:7401' }, { id: 'b', address: 'node-b.example.org:7402' }],
  tokensFile: 'tokens.json',
};

describe('coordinator config', () => {
  it('accepts a valid config with default deadlines and resolves the roster path', () => {
    const c = parseCoordinatorConfig(valid, '/etc/genofed');
    expect(c.deadlines).toEqual({ infoMs: 5_000, queryMs: 120_000 });
    expect(c.roster).toBe('/etc/genofed/roster.json');
    expect(c.bfv.secretKey).toBe('/etc/genofed/bfv.sk');
    expect(Object.isFrozen(c.sites[0])).toBe(true);
  });

  it('has resource limits with defaults (8 MiB bodies, 60 requests a minute per token, 5M variant keys per site), each overridable', () => {
    expect(parseCoordinatorConfig(valid, '/etc/genofed').limits).toEqual({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 60, maxVariantKeysPerSite: 5_000_000 });
    expect(parseCoordinatorConfig({ ...valid, limits: { queriesPerMinutePerToken: 10 } }, '/etc/genofed').limits).toEqual({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 10, maxVariantKeysPerSite: 5_000_000 });
  });

  it.each([
    ['limits.maxBodyBytes', { ...valid, limits: { maxBodyBytes: 10 } }],
    ['limits.queriesPerMinutePerToken', { ...valid, limits: { queriesPerMinutePerToken: 0 } }],
    ['limits', { ...valid, limits: { maxVariantKeys: 5 } }],
    ['sites', { ...valid, sites: [valid.sites[0], valid.sites[0]] }],
    ['sites.1.address', { ...valid, sites: [valid.sites[0], { id: 'b', address: 'no-port' }] }],
    ['minSites', { ...valid, minSites: 3 }],
    ['roster', { ...valid, roster: '' }],
    ['bfv.preset', { ...valid, bfv: { ...valid.bfv, preset: 'plaintext' } }],
  ])('names the bad field %s', (field, raw) => {
    expect(() => parseCoordinatorConfig(raw, '/x')).toThrow(expect.objectContaining({ code: 'GENOFED_CONFIG', message: expect.stringContaining(`'${field}'`) }));
  });
});
