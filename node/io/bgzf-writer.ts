/**
 * BGZF writer (SAM/BAM spec section 4.1): gzip members of at most 64 KiB of
 * input, each with the 'BC' extra subfield holding the block size, followed
 * by the 28-byte empty EOF block. No FNAME and MTIME 0, so no input name or
 * date is carried into outputs, and the same input gives the same bytes.
 * htslib's tabix, `bcftools index` and `samtools index` need exactly this.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crc32, deflateRawSync, constants } from 'node:zlib';

/** htslib uses 0xff00 uncompressed bytes per block so that incompressible data still fits in 64 KiB. */
export const BGZF_BLOCK_INPUT = 0xff00;

/** The EOF marker block every BGZF file ends with. */
export const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

export function bgzfBlock(data: Buffer, level = 6): Buffer {
  let deflated = deflateRawSync(data, { level, strategy: constants.Z_DEFAULT_STRATEGY });
  if (deflated.length > 0xffff - 26) {
    // Incompressible: store it (level 0 never exceeds input + a few bytes).
    deflated = deflateRawSync(data, { level: 0 });
  }
  const block = Buffer.alloc(18 + deflated.length + 8);
  block[0] = 0x1f; block[1] = 0x8b; block[2] = 8; block[3] = 4; // FEXTRA
  // MTIME (4 bytes) = 0, XFL = 0
  block[9] = 0xff; // OS unknown
  block.writeUInt16LE(6, 10); // XLEN
  block[12] = 0x42; block[13] = 0x43; // 'B' 'C'
  block.writeUInt16LE(2, 14); // SLEN
  block.writeUInt16LE(block.length - 1, 16); // BSIZE = total block size - 1
  deflated.copy(block, 18);
  block.writeUInt32LE(crc32(data) >>> 0, 18 + deflated.length);
  block.writeUInt32LE(data.length, 18 + deflated.length + 4);
  return block;
}

/** A Transform: bytes in, BGZF blocks out, EOF block on end. */
export class BgzfWriter extends Transform {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private readonly level: number;

  constructor(options: { level?: number } = {}) {
    super();
    this.level = options.level ?? 6;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength >= BGZF_BLOCK_INPUT) {
      const all = Buffer.concat(this.pending, this.pendingLength);
      let offset = 0;
      while (all.length - offset >= BGZF_BLOCK_INPUT) {
        this.push(bgzfBlock(all.subarray(offset, offset + BGZF_BLOCK_INPUT), this.level));
        offset += BGZF_BLOCK_INPUT;
      }
      const rest = all.subarray(offset);
      this.pending = rest.length ? [Buffer.from(rest)] : [];
      this.pendingLength = rest.length;
    }
    callback();
  }

  /** Close the current block early (e.g. at a BAM header/record boundary). */
  flushBlock(): void {
    if (this.pendingLength > 0) {
      this.push(bgzfBlock(Buffer.concat(this.pending, this.pendingLength), this.level));
      this.pending = [];
      this.pendingLength = 0;
    }
  }

  override _flush(callback: TransformCallback): void {
    this.flushBlock();
    this.push(BGZF_EOF);
    callback();
  }
}
