/**
 * The node config: validated once, errors name the bad field (never its
 * value), relative paths resolve against the config's folder, the result
 * is frozen.
 */
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../../../node/server/config.js';

const valid = {
  siteId: 'site-1', store: 'store', listen: { host: '127.0.0.1', port: 7401 },
  tls: { ca: 'ca.crt.pem', cert: 'node.crt.pem', key: 'node.key.pem' },
  coordinator: { identity: 'coordinator', signingPublicKey: 'sig.pub.pem', bfvPublicKey: 'bfv.pk' },
  crypto: { preset: 'default' },
};

describe('node config', () => {
  it('accepts a valid config, fills defaults, resolves paths and freezes it', () => {
    const c = parseNodeConfig(valid, '/srv/genofed');
    expect(c.store).toBe('/srv/genofed/store');
    expect(c.tls.key).toBe('/srv/genofed/node.key.pem');
    expect(c.limits).toEqual({ clockSkewSeconds: 30, maxQueryLifetimeSeconds: 900, maxVariants: 5_000_000 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.tls)).toBe(true);
  });

  it('without a privacy section (a pre-issue-6 config): minimum 3 participants, differencing k 5, budget 10, DP off, no masks', () => {
    const c = parseNodeConfig(valid, '/srv/genofed');
    expect(c.privacy).toEqual({ minParticipants: 3, budget: { totalEpsilon: 10 }, differencing: { k: 5 }, dp: { enabled: false, epsilonPerQuery: 1 } });
  });

  it('turns masks on with a roster and resolves the key, roster and policy paths', () => {
    const c = parseNodeConfig({ ...valid, privacy: { masks: { privateKeyFile: 'x.key.pem', roster: { 'site-1': 'roster/s1.pem', b: '/abs/b.pem' } }, policyFile: 'policy.json', dp: { enabled: true } } }, '/srv/genofed');
    expect(c.privacy.masks).toEqual({ privateKeyFile: '/srv/genofed/x.key.pem', roster: { 'site-1': '/srv/genofed/roster/s1.pem', b: '/abs/b.pem' } });
    expect(c.privacy.policyFile).toBe('/srv/genofed/policy.json');
    expect(c.privacy.dp).toEqual({ enabled: true, epsilonPerQuery: 1 });
    expect(c.privacy.minParticipants).toBe(3);
  });

  it.each([
    ['listen.port', { ...valid, listen: { host: 'h', port: 70_000 } }],
    ['crypto.preset', { ...valid, crypto: { preset: 'fast' } }],
    ['siteId', { ...valid, siteId: 'Bad Site!' }],
    ['tls.key', { ...valid, tls: { ca: 'a', cert: 'b' } }],
    ['(top level)', { ...valid, secret: '/home/patient-x/keys' }],
    ['privacy.minParticipants', { ...valid, privacy: { minParticipants: 0 } }],
    ['privacy.dp.epsilonPerQuery', { ...valid, privacy: { dp: { enabled: true, epsilonPerQuery: -1 } } }],
    ['privacy.masks.roster', { ...valid, privacy: { masks: { privateKeyFile: 'k.pem', roster: {} } } }],
  ])('names the bad field %s and not its value', (field, raw) => {
    let message = '';
    try {
      parseNodeConfig(raw, '/x');
    } catch (err) {
      expect((err as { code: string }).code).toBe('GENOFED_CONFIG');
      message = (err as Error).message;
    }
    expect(message).toContain(`'${field}'`);
    expect(message).not.toContain('patient-x');
  });
});
