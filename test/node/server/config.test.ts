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
  keys: { x25519: 'x25519.key.pem', signing: 'signing.key.pem' },
  roster: { file: 'roster.json', fingerprint: 'AB12 '.repeat(16).trim() },
  coordinator: { bfvPublicKey: 'bfv.pk' },
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

  it('without a privacy section: cohorts under 5 refused, a roster of at least 3, one membership change per 24 h, differencing k 5, budget 10, DP off', () => {
    const c = parseNodeConfig(valid, '/srv/genofed');
    expect(c.privacy).toEqual({ minCohortSize: 5, roster: { minSites: 3, minMembershipIntervalHours: 24 }, budget: { totalEpsilon: 10 }, differencing: { k: 5 }, dp: { enabled: false, epsilonPerQuery: 1 } });
  });

  it('resolves the key, roster and policy paths and normalizes the confirmed roster fingerprint', () => {
    const c = parseNodeConfig({ ...valid, privacy: { policyFile: 'policy.json', dp: { enabled: true } } }, '/srv/genofed');
    expect(c.keys).toEqual({ x25519: '/srv/genofed/x25519.key.pem', signing: '/srv/genofed/signing.key.pem' });
    expect(c.roster).toEqual({ file: '/srv/genofed/roster.json', fingerprint: 'ab12'.repeat(16) });
    expect(c.privacy.policyFile).toBe('/srv/genofed/policy.json');
    expect(c.privacy.dp).toEqual({ enabled: true, epsilonPerQuery: 1 });
  });

  it('a config without a roster or keys is refused (masks are not optional), and the replaced fields say what replaced them', () => {
    const { roster: _r, ...noRoster } = valid;
    expect(() => parseNodeConfig(noRoster, '/x')).toThrow(/field 'roster'/);
    const { keys: _k, ...noKeys } = valid;
    expect(() => parseNodeConfig(noKeys, '/x')).toThrow(/field 'keys'/);
    expect(() => parseNodeConfig({ ...valid, x25519: { privateKey: 'a', publicKey: 'b' } }, '/x')).toThrow(/replaced .* by `keys` and `roster`/);
    expect(() => parseNodeConfig({ ...valid, privacy: { masks: { privateKeyFile: 'k', roster: { a: 'b' } } } }, '/x')).toThrow(/unknown field\(s\) masks/);
  });

  it.each([
    ['listen.port', { ...valid, listen: { host: 'h', port: 70_000 } }],
    ['crypto.preset', { ...valid, crypto: { preset: 'fast' } }],
    ['siteId', { ...valid, siteId: 'Bad Site!' }],
    ['tls.key', { ...valid, tls: { ca: 'a', cert: 'b' } }],
    ['(top level)', { ...valid, secret: '/home/patient-x/keys' }],
    ['privacy.minCohortSize', { ...valid, privacy: { minCohortSize: 0 } }],
    ['privacy.roster.minSites', { ...valid, privacy: { roster: { minSites: 2 } } }],
    ['privacy.dp.epsilonPerQuery', { ...valid, privacy: { dp: { enabled: true, epsilonPerQuery: -1 } } }],
    ['roster.fingerprint', { ...valid, roster: { file: 'r.json', fingerprint: 'not-hex' } }],
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
