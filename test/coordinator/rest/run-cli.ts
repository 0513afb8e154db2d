/**
 * Runs the built CLI (`node bin/genofed.js`, dist) with `args` against a
 * test server, collecting its exit code, stdout and stderr (a helper, not a test).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const CLI = join(resolve(import.meta.dirname, '../../..'), 'bin', 'genofed.js');

export function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => done({ code: code ?? 1, out, err }));
  });
}
