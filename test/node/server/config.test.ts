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

  it.each([
    ['listen.port', { ...valid, listen: { host: 'h', port: 70_000 } }],
    ['crypto.preset', { ...valid, crypto: { preset: 'fast' } }],
    ['siteId', { ...valid, siteId: 'Bad Site!' }],
    ['tls.key', { ...valid, tls: { ca: 'a', cert: 'b' } }],
    ['(top level)', { ...valid, secret: '/home/patient-x/keys' }],
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
