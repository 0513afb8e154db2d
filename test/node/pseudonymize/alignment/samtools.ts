/** Test helpers: samtools presence, running it, the alignment fixtures, a fixed site key. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { keyIdOf, type SiteKey } from '../../../../node/pseudonymize/site-key.js';
import { has } from '../../../tool-available.js';

export const FIXTURES = resolve(import.meta.dirname, '../../../fixtures');

export { has };
export const HAS_SAMTOOLS = has('samtools');

/** samtools' stdout; throws on a non-zero exit. */
export function samtools(...args: string[]): string {
  return execFileSync('samtools', args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

/** Exit status of `samtools quickcheck`. */
export function quickcheck(path: string): boolean {
  return spawnSync('samtools', ['quickcheck', path], { stdio: 'ignore' }).status === 0;
}

export interface Fixture { name: string; path: string; format: 'sam' | 'bam' }

/** Every SAM and BAM fixture (CRAMs and indexes excluded). */
export function alignmentFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const dir of ['bam', 'sam']) {
    for (const name of readdirSync(join(FIXTURES, dir)).sort()) {
      if (name.endsWith('.bam')) out.push({ name, path: join(FIXTURES, dir, name), format: 'bam' });
      else if (name.endsWith('.sam') || name.endsWith('.sam.gz')) out.push({ name, path: join(FIXTURES, dir, name), format: 'sam' });
    }
  }
  return out;
}

/** A deterministic test key (never a real site key). */
export function testKey(seed = 1, version = 1): SiteKey {
  const secret = new Uint8Array(32).map((_, i) => (i * 31 + seed * 7) & 0xff);
  return { keyId: keyIdOf(secret), version, secret };
}

/** Does samtools read the file at all? (samtools_ex1.sam.gz has reads on contigs but no @SQ: it does not.) */
export function samtoolsReads(path: string): boolean {
  return spawnSync('samtools', ['view', '-c', path], { stdio: 'ignore' }).status === 0;
}

/**
 * The file as SAM text with its header: `samtools view -h --no-PG` when
 * samtools reads it, else (SAM that samtools refuses) the decompressed text itself.
 */
export function samText(path: string): string {
  if (samtoolsReads(path)) return samtools('view', '-h', '--no-PG', path);
  const raw = readFileSync(path);
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
}
