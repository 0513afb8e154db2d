/**
 * THREAT-MODEL.md names, for every claim, the test that fails when the
 * claim breaks. This keeps the names true: every test file it cites
 * exists, and every quoted test name (`file` > "name") is a test of that
 * file (or of the attack suite, for rows that say "attack suite").
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const text = readFileSync(resolve(ROOT, 'THREAT-MODEL.md'), 'utf8');
const ATTACK_SUITE = 'test/node/privacy/attacks.test.ts';

/** Short names the document uses for files it cited in full before. */
function resolveCited(name: string): string | undefined {
  if (name.startsWith('test/')) return name;
  const all = [...text.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]!);
  return all.find((f) => f.endsWith(`/${name}`));
}

/** Each table row's (file, quoted names) pairs: `file` > "a", "b"; or attack suite > "a". */
function citations(): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  for (const line of text.split('\n').filter((l) => l.startsWith('|'))) {
    const cell = line.split('|').slice(-2, -1)[0] ?? '';
    const re = /(?:`([^`]+\.test\.ts)`|attack suite) > ((?:"[^"]+"(?:, )?)+)/g;
    for (const m of cell.matchAll(re)) {
      const file = m[1] ? resolveCited(m[1]) : ATTACK_SUITE;
      for (const q of m[2]!.matchAll(/"([^"]+)"/g)) out.push({ file: file ?? m[1]!, name: q[1]! });
    }
  }
  return out;
}

describe('THREAT-MODEL.md', () => {
  it('cites only test files that exist', () => {
    const files = new Set([...text.matchAll(/`((?:test\/)?[\w./-]+\.test\.ts)`/g)].map((m) => resolveCited(m[1]!) ?? m[1]!));
    expect(files.size).toBeGreaterThan(10);
    for (const f of files) expect(existsSync(resolve(ROOT, f)), f).toBe(true);
  });

  it('every quoted test name is a test in the file it is cited from', () => {
    const cited = citations();
    expect(cited.length).toBeGreaterThan(30);
    for (const { file, name } of cited) {
      const source = existsSync(resolve(ROOT, file)) ? readFileSync(resolve(ROOT, file), 'utf8') : '';
      // Test names are string literals; quotes inside them are escaped in the source.
      const variants = [name, name.replaceAll("'", "\\'")];
      expect(variants.some((v) => source.includes(v)), `${file} > "${name}"`).toBe(true);
    }
  });
});
