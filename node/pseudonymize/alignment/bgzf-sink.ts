/**
 * Output sinks for rewritten alignments: BGZF (BAM, and SAM that came in
 * compressed) or plain text. The BGZF sink writes the same block layout as
 * `node/io/bgzf-writer.ts` (0xff00 input bytes per block, no FNAME, MTIME 0,
 * the EOF block at the end), but deflates on libuv's thread pool, up to
 * INFLIGHT blocks at a time: deflate is ~70% of the time of rewriting a BAM,
 * and the synchronous writer would leave the second core idle. Block
 * boundaries depend only on byte offsets, so output stays deterministic.
 */
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';
import { BGZF_BLOCK_INPUT, BGZF_EOF } from '../../io/bgzf-writer.js';

const deflateRawAsync = promisify(deflateRaw);
const INFLIGHT = 8;
/** zlib level 6, htslib's default for BAM: comparable file sizes to `samtools view -b`. */
const LEVEL = 6;

export interface ByteSink {
  /** Append bytes (copied or consumed before the returned promise resolves). */
  write(bytes: Buffer): Promise<void>;
  /** Close the current BGZF block at this offset (no-op for plain output). */
  flushBlock(): Promise<void>;
  /** Flush everything (and write the EOF block for BGZF). */
  end(): Promise<void>;
}

async function writeOut(out: Writable, buf: Buffer): Promise<void> {
  if (!out.write(buf)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { out.off('error', onError); resolve(); };
      const onError = (err: Error): void => { out.off('drain', onDrain); reject(err); };
      out.once('drain', onDrain);
      out.once('error', onError);
    });
  }
}

function frame(deflated: Buffer, crc: number, length: number): Buffer {
  const block = Buffer.alloc(18 + deflated.length + 8);
  block[0] = 0x1f; block[1] = 0x8b; block[2] = 8; block[3] = 4; // FEXTRA
  block[9] = 0xff; // OS unknown; MTIME 0
  block.writeUInt16LE(6, 10);
  block[12] = 0x42; block[13] = 0x43;
  block.writeUInt16LE(2, 14);
  block.writeUInt16LE(block.length - 1, 16);
  deflated.copy(block, 18);
  block.writeUInt32LE(crc >>> 0, 18 + deflated.length);
  block.writeUInt32LE(length, 22 + deflated.length);
  return block;
}

async function compressBlock(data: Buffer): Promise<Buffer> {
  let deflated = await deflateRawAsync(data, { level: LEVEL, strategy: constants.Z_DEFAULT_STRATEGY });
  if (deflated.length > 0xffff - 26) deflated = await deflateRawAsync(data, { level: 0 });
  return frame(deflated, crc32(data), data.length);
}

export class BgzfSink implements ByteSink {
  private buf = Buffer.allocUnsafe(BGZF_BLOCK_INPUT);
  private used = 0;
  private readonly queue: Promise<Buffer>[] = [];

  constructor(private readonly out: Writable) {}

  async write(bytes: Buffer): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, BGZF_BLOCK_INPUT - this.used);
      bytes.copy(this.buf, this.used, at, at + n);
      this.used += n;
      at += n;
      if (this.used === BGZF_BLOCK_INPUT) await this.flushBlock();
    }
  }

  async flushBlock(): Promise<void> {
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(BGZF_BLOCK_INPUT);
    this.used = 0;
    const p = compressBlock(data);
    p.catch(() => undefined);
    this.queue.push(p);
    while (this.queue.length >= INFLIGHT) await writeOut(this.out, await this.queue.shift()!);
  }

  async end(): Promise<void> {
    await this.flushBlock();
    while (this.queue.length) await writeOut(this.out, await this.queue.shift()!);
    await writeOut(this.out, BGZF_EOF);
  }
}

/** Uncompressed output (plain SAM in, plain SAM out), written in 1 MiB batches. */
export class PlainSink implements ByteSink {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly out: Writable) {}

  async write(bytes: Buffer): Promise<void> {
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
    if (this.size >= 1 << 20) await this.flushBlock();
  }

  async flushBlock(): Promise<void> {
    if (!this.size) return;
    const all = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await writeOut(this.out, all);
  }

  async end(): Promise<void> {
    await this.flushBlock();
  }
}
