/**
 * `genofed audit verify` as an operator runs it (`node bin/genofed.js`,
 * built by `npx tsc`): exit 0 on an intact log, 1 naming the first bad seq
 * for each kind of tampering, without printing entry content; and two
 * processes appending to one store at once still leave one valid chain.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../node/audit/audit-log.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin', 'genofed.js');
let base: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: base, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const SECRET_COHORT = 'super_pop=EUR and gender=female';

async function store(name: string, n: number): Promise<{ dir: string; lines: string[] }> {
  const dir = join(base, name);
  await mkdir(dir);
  const log = await AuditLog.open(dir);
  for (let i = 1; i <= n; i++) {
    await log.append({ queryId: `q-${i}`, querier: { coordinator: 'c1', researcher: 'r1' }, kind: 'cohort-count', parameters: { cohort: SECRET_COHORT, carrierCount: 0, carriersSha256: '00'.repeat(32) }, participants: ['a', 'b', 'c'], epsilonSpent: 0, decision: 'answered' });
  }
  return { dir, lines: n === 0 ? [] : (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean) };
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'genofed-audit-cli-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('genofed audit verify', () => {
  it('needs the compiled CLI', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('exits 0 on an intact log and prints the head for anchoring', async () => {
    const { dir } = await store('intact', 4);
    const r = await run([CLI, 'audit', 'verify', '--store', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/intact: 4 entries, head seq 4 sha256 [0-9a-f]{64}/);
    const j = await run([CLI, 'audit', 'verify', '--store', dir, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true, entries: 4, headSeq: 4 });
  });

  const tamperings: [string, (lines: string[]) => string, number][] = [
    ['an edited entry', (l) => `${l.map((x, i) => (i === 1 ? x.replace('"carrierCount":0', '"carrierCount":1') : x)).join('\n')}\n`, 2],
    ['reordered entries', (l) => `${[l[0], l[2], l[1], l[3]].join('\n')}\n`, 2],
    ['an entry deleted in the middle', (l) => `${[l[0], l[1], l[3]].join('\n')}\n`, 3],
    ['the last entry deleted', (l) => `${l.slice(0, 3).join('\n')}\n`, 4],
    ['a truncated last line', (l) => `${l.join('\n')}\n`.slice(0, -30), 4],
    ['garbage appended', (l) => `${l.join('\n')}\n\u0000\u0000garbage\n`, 5],
  ];
  for (const [what, tamper, seq] of tamperings) {
    it(`exits 1 naming seq ${seq} for ${what}, without printing entry content`, async () => {
      const { dir, lines } = await store(what.replaceAll(' ', '-'), 4);
      await writeFile(join(dir, 'audit.log'), tamper(lines));
      const r = await run([CLI, 'audit', 'verify', '--store', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`first bad entry seq ${seq}`);
      expect(r.stdout + r.stderr).not.toContain(SECRET_COHORT);
      const j = await run([CLI, 'audit', 'verify', '--store', dir, '--json']);
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout.trim())).toMatchObject({ ok: false, firstBadSeq: seq });
    });
  }

  it('keeps one valid chain when two processes append to the same store at once', async () => {
    const { dir } = await store('two-writers', 0);
    const writer = `
      const { AuditLog } = await import(${JSON.stringify(join(ROOT, 'dist/node/audit/audit-log.js'))});
      const log = await AuditLog.open(process.argv[1]);
      for (let i = 0; i < 25; i++) await log.append({ queryId: process.pid + '-' + i, querier: { coordinator: 'c', researcher: 'r' }, kind: 'variant-keys', parameters: { region: '22:1-2' }, participants: ['a','b','c'], epsilonSpent: 0, decision: 'answered' });
    `;
    const [a, b] = await Promise.all([run(['--input-type=module', '-e', writer, dir]), run(['--input-type=module', '-e', writer, dir])]);
    expect(a.stderr + b.stderr).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    const r = await run([CLI, 'audit', 'verify', '--store', dir, '--json']);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ ok: true, entries: 50 });
  });
});
