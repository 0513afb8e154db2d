/**
 * openInput hands back a stream nobody has read yet: a caller that starts
 * reading only after other I/O (creating its output file, say) still gets
 * every byte. A 'data' listener inside openInput once put the stream in
 * flowing mode and a small file's only chunk was lost under load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInput } from '../../../node/io/open-input.js';
import { openAlignment } from '../../../node/pseudonymize/alignment/input.js';
import { FIXTURES } from '../pseudonymize/tools.js';

let dir: string;
const text = '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t10\t.\tA\tC\t.\tPASS\t.\n';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-open-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

describe('openInput', () => {
  it('loses nothing of a small plain file when reading starts after other I/O', async () => {
    const path = join(dir, 'small.vcf');
    await writeFile(path, text);
    const input = await openInput(path);
    await new Promise((r) => setTimeout(r, 100));
    expect(await readAll(input.stream)).toBe(text);
    expect(input.bytesRead()).toBe(Buffer.byteLength(text));
  });

  it('loses nothing of a small gzip file when reading starts after other I/O', async () => {
    const path = join(dir, 'small.vcf.gz');
    const gz = gzipSync(text);
    await writeFile(path, gz);
    const input = await openInput(path);
    await new Promise((r) => setTimeout(r, 100));
    expect(await readAll(input.stream)).toBe(text);
    expect(input.bytesRead()).toBe(gz.length);
  });

  it('loses nothing of a small BGZF BAM when inflating starts after other I/O', async () => {
    const path = join(FIXTURES, 'bam/htslib_range.bam');
    const now = await openAlignment(path);
    let direct = 0;
    for await (const c of now.chunks) direct += c.length;
    const later = await openAlignment(path);
    await new Promise((r) => setTimeout(r, 100));
    let delayed = 0;
    for await (const c of later.chunks) delayed += c.length;
    expect(direct).toBeGreaterThan(0);
    expect(delayed).toBe(direct);
    expect(later.bytesRead()).toBe(later.size);
  });
});
