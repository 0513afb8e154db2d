/**
 * Whether an external tool (bcftools, samtools, tabix, openssl, plink1.9) is
 * on PATH. Differential tests skip only when it is absent, and their guard
 * tests fail in CI when it is; every test folder uses this one check.
 */
import { spawnSync } from 'node:child_process';

export function has(tool: string): boolean {
  // `command -v` finds the tool without running it (openssl has no --version);
  // the name is passed as an argument, never interpolated into the script.
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;
}
