/**
 * Dependencies flow one way (STYLE.md, convention 2):
 * - crypto/ imports only node-seal, node built-ins and itself;
 * - node/ and coordinator/ may import crypto/ and proto/, never each other;
 * - proto/ (the shared contract) imports neither node/ nor coordinator/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FOLDERS = ['crypto', 'node', 'coordinator', 'proto'] as const;
type Folder = (typeof FOLDERS)[number];

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

/** Returns a violation message, or null when the import is allowed. */
export function checkImport(fromFolder: Folder, fromFile: string, spec: string): string | null {
  if (spec.startsWith('.')) {
    const target = relative(ROOT, resolve(dirname(fromFile), spec)).split(sep)[0] as string;
    const allowed: Record<Folder, string[]> = {
      crypto: ['crypto'],
      proto: ['proto'],
      node: ['node', 'crypto', 'proto'],
      coordinator: ['coordinator', 'crypto', 'proto'],
    };
    return allowed[fromFolder].includes(target) ? null : `${fromFolder}/ must not import ${target}/`;
  }
  if (fromFolder === 'crypto') {
    const ok = spec.startsWith('node:') || spec === 'node-seal' || spec.startsWith('node-seal/');
    return ok ? null : `crypto/ may import only node-seal and node built-ins, not '${spec}'`;
  }
  return null;
}

describe('import boundaries', () => {
  it('the checker flags each forbidden direction', () => {
    const f = (folder: Folder) => join(ROOT, folder, 'x.ts');
    expect(checkImport('crypto', f('crypto'), '../node/store.js')).toMatch(/crypto\/ must not import node/);
    expect(checkImport('crypto', f('crypto'), 'pino')).toMatch(/only node-seal/);
    expect(checkImport('node', f('node'), '../coordinator/a.js')).toMatch(/must not import coordinator/);
    expect(checkImport('coordinator', f('coordinator'), '../node/a.js')).toMatch(/must not import node/);
    expect(checkImport('proto', f('proto'), '../node/a.js')).toMatch(/must not import node/);
    expect(checkImport('node', f('node'), '../crypto/index.js')).toBeNull();
    expect(importsOf("import { a } from '../node/x.js';\nconst m = await import('../coordinator/y.js');")).toEqual(['../node/x.js', '../coordinator/y.js']);
  });

  for (const folder of FOLDERS) {
    it(`${folder}/ respects the dependency direction`, () => {
      const files = listTs(join(ROOT, folder));
      expect(files.length).toBeGreaterThan(0);
      const violations: string[] = [];
      for (const file of files) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          const v = checkImport(folder, file, spec);
          if (v) violations.push(`${relative(ROOT, file)}: ${v}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
