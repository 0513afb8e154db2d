/**
 * BGZF (the blocked gzip of SAM/VCF, htslib's `bgzip`), written here because
 * the coordinator may not import node/ (node/pseudonymize/alignment/bgzf-sink.ts
 * is the node's). A BGZF file is a series of gzip members, each with the
 * `BC` extra field giving its compressed size, holding at most 65,280
 * input bytes (htslib's BGZF_BLOCK_SIZE, so a stored block still fits in
 * 64 KiB), ended by the fixed 28-byte empty block; `bcftools index` and
 * `tabix` need exactly this, plain gzip is refused. Any gzip reader reads it.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** Input bytes per block: htslib's BGZF_BLOCK_SIZE (0xff00). */
const BLOCK_INPUT = 0xff00;
/** A BGZF block may not exceed 64 KiB (BSIZE is 16 bits). */
const BLOCK_MAX = 0x10000;

/** Why: the end-of-file marker htslib checks for (an empty block); a file without it reads as truncated. */
export const BGZF_EOF: Buffer = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

/** Why: one member of a BGZF file, for callers that cut their own blocks (at most 65,280 bytes in). */
export function bgzfBlock(data: Uint8Array): Buffer {
  if (data.length > BLOCK_INPUT) throw new RangeError(`bgzf block: at most ${BLOCK_INPUT} bytes in, got ${data.length}`);
  let deflated = deflateRawSync(data, { level: 6 });
  // Incompressible input can grow past the 16-bit size field: store it instead (what htslib does).
  if (deflated.length + 26 > BLOCK_MAX) deflated = deflateRawSync(data, { level: constants.Z_NO_COMPRESSION });
  const out = Buffer.alloc(18 + deflated.length + 8);
  out.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0], 0);
  out.writeUInt16LE(out.length - 1, 16);
  out.set(deflated, 18);
  out.writeUInt32LE(crc32(data), 18 + deflated.length);
  out.writeUInt32LE(data.length, 22 + deflated.length);
  return out;
}

/** Cuts input into BGZF blocks every 65,280 bytes whatever the line boundaries (as bgzip does; readers and indexers handle lines across blocks). */
class BlockCutter {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: string | Uint8Array): Buffer[] {
    this.pending = Buffer.concat([this.pending, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
    const out: Buffer[] = [];
    let at = 0;
    for (; this.pending.length - at >= BLOCK_INPUT; at += BLOCK_INPUT) out.push(bgzfBlock(this.pending.subarray(at, at + BLOCK_INPUT)));
    this.pending = this.pending.subarray(at);
    return out;
  }
  end(): Buffer[] {
    return this.pending.length > 0 ? [bgzfBlock(this.pending), BGZF_EOF] : [BGZF_EOF];
  }
}

/** Why: a text stream (a VCF) as BGZF blocks as it is produced, then the EOF block: the CLI's `--out FILE.gz`. */
export async function* bgzf(chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): AsyncGenerator<Buffer> {
  const cut = new BlockCutter();
  for await (const c of chunks) yield* cut.push(c);
  yield* cut.end();
}

/** Why: the whole BGZF file in memory, for an HTTP answer already held whole (the REST VCF download). */
export function bgzfSync(chunks: Iterable<string | Uint8Array>): Buffer {
  const cut = new BlockCutter();
  const blocks: Buffer[] = [];
  for (const c of chunks) blocks.push(...cut.push(c));
  blocks.push(...cut.end());
  return Buffer.concat(blocks);
}
