/**
 * coordinator/stats/ imports only node built-ins, npm packages and its own
 * files (its README), so the statistics can be tested and reused alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../../../coordinator/stats');
const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

describe('coordinator/stats import boundary', () => {
  it('every module imports only node built-ins, npm packages or a sibling in coordinator/stats/', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(join(DIR, f), 'utf8').matchAll(IMPORT_RE)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.') && !/^\.\/[^/]+\.js$/.test(spec)) bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
