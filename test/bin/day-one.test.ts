/**
 * What a new user meets first, through the compiled `genofed` command
 * (`npx tsc -p tsconfig.json` first): a wrong flag prints one error line and
 * where the command's help is, not the whole help; `key generate` names the
 * key file as given; a missing store or input names the path the operator
 * typed (on their own terminal only: messages, logs and responses keep
 * basenames, proto/operator-path.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeError } from '../../node/errors.js';
import { operatorPath, withOperatorPath } from '../../proto/operator-path.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'genofed.js');

describe('genofed on day one (compiled CLI)', () => {
  let dir: string;
  const genofed = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-day-one-'));
    await mkdir(join(dir, 'keys'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is built (the tests below run dist/bin/genofed.js)', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('a wrong flag prints one error line and the command\'s help pointer, exit 2, at every depth', async () => {
    for (const [args, line, hint] of [
      [['query', 'af', '--bogus'], "error: unknown option '--bogus'", '(see genofed query af --help)'],
      [['node', 'serve'], "error: required option '--config <file>' not specified", '(see genofed node serve --help)'],
      [['nosuch'], "error: unknown command 'nosuch'", '(see genofed --help)'],
    ] as const) {
      const r = await genofed([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(`${line}\n${hint}\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('key generate names the key file as given, folder included', async () => {
    const r = await genofed(['key', 'generate', '--out', 'keys/site.key']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^key gk-[0-9a-f]{16} version 1 written to keys\/site\.key \(mode 0600\); keep it at the site/);
  });

  it('GENOFED_STORE_NOT_FOUND and a missing input name the path as typed on the operator\'s terminal', async () => {
    const store = await genofed(['node', 'query', 'af', '--store', 'stores/none', '--region', '1']);
    expect(store.code).toBe(1);
    expect(store.stderr).toBe('genofed: GENOFED_STORE_NOT_FOUND: store folder has no genofed store (stores/none)\n');
    const audit = await genofed(['audit', 'verify', '--store', 'stores/gone']);
    expect(audit.stderr).toBe('genofed: GENOFED_STORE_NOT_FOUND: store folder does not exist (stores/gone)\n');
    const key = await genofed(['pseudonymize', 'vcf', '--in', 'in/x.vcf.gz', '--out', 'o.vcf.gz', '--key-file', 'keys/other.key']);
    expect(key.stderr).toBe('genofed: GENOFED_INPUT_NOT_FOUND: other.key: cannot open key file (keys/other.key)\n');
  });

  it('the path rides beside the message, invisible to JSON and log serializers (so gRPC, REST and logs never carry it)', () => {
    const err = withOperatorPath(new NodeError('GENOFED_STORE_NOT_FOUND', 'store folder has no genofed store'), '/hospital/secret/store');
    expect(operatorPath(err)).toBe('/hospital/secret/store');
    expect(err.message).not.toContain('/hospital');
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('/hospital');
    const enumerable: string[] = [];
    for (const k in err) enumerable.push(k);
    expect(enumerable.join(' ')).not.toMatch(/path/i);
    expect(Object.keys(err).join(' ')).not.toMatch(/path/i);
  });
});
