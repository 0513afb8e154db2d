/**
 * Every stable error code is documented, unique across folders, maps to a
 * valid HTTP and gRPC status, and is listed in the folder README that owns it
 * (fastify checks its FST_ERR_* registry the same way).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTO_ERRORS } from '../proto/errors.js';
import { NODE_ERRORS } from '../node/errors.js';
import { COORDINATOR_ERRORS } from '../coordinator/errors.js';

const ROOT = resolve(import.meta.dirname, '..');
const registries = { proto: PROTO_ERRORS, node: NODE_ERRORS, coordinator: COORDINATOR_ERRORS } as const;

describe('error registries', () => {
  for (const [folder, registry] of Object.entries(registries)) {
    it(`${folder}/errors.ts: every code is documented and in ${folder}/README.md`, () => {
      const readme = readFileSync(resolve(ROOT, folder, 'README.md'), 'utf8');
      const entries = Object.entries(registry);
      expect(entries.length).toBeGreaterThan(0);
      for (const [code, spec] of entries) {
        expect(code).toMatch(/^GENOFED_[A-Z0-9_]+$/);
        expect(spec.doc.length).toBeGreaterThan(10);
        expect(spec.http).toBeGreaterThanOrEqual(400);
        expect(spec.http).toBeLessThan(600);
        expect(spec.grpc).toBeGreaterThan(0);
        expect(spec.grpc).toBeLessThanOrEqual(16);
        expect(readme, `${code} missing from ${folder}/README.md`).toContain(code);
      }
    });
  }

  it('a code means the same thing wherever it is defined', () => {
    const seen = new Map<string, string>();
    for (const registry of Object.values(registries)) {
      for (const [code, spec] of Object.entries(registry)) {
        const prev = seen.get(code);
        if (prev !== undefined) expect(spec.doc).toBe(prev);
        seen.set(code, spec.doc);
      }
    }
  });
});
