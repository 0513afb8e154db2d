/**
 * Output sinks for rewritten alignments: BGZF (BAM, and SAM that came in
 * compressed) or plain text.
 *
 * The BGZF sink writes the same block layout as `node/io/bgzf-writer.ts`
 * (0xff00 input bytes per block, no FNAME, MTIME 0, the EOF block at the
 * end) but deflates in worker threads. Deflate is most of the cost of
 * rewriting a BAM: zlib level 6 took 8.5 s of a 10.5 s single-threaded run
 * on a 114 MB (uncompressed) BAM, where samtools, with libdeflate, took
 * 4.3 s for the whole job; zlib's own async API paid more in per-call
 * overhead (1.3 s main-thread dispatch, 1.2 s GC) than it gained. Batches of
 * 16 blocks (~1 MiB) go to the workers as transferred ArrayBuffers and come
 * back framed, and are written in order. Block boundaries depend only on
 * byte offsets, so the output is deterministic whatever the worker count.
 */
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BGZF_BLOCK_INPUT, BGZF_EOF } from '../../io/bgzf-writer.js';

/** zlib level 6, htslib's default for BAM: file sizes comparable to `samtools view -b`. */
const LEVEL = 6;
/** Blocks per message to a worker: ~1 MiB amortizes the postMessage round trip (~50 us). */
const BLOCKS_PER_BATCH = 16;

/** Where rewritten bytes go: BGZF or plain, so the rewriters need not know. */
export interface ByteSink {
  /** Append bytes (copied before the returned promise resolves). */
  write(bytes: Buffer): Promise<void>;
  /** Close the current BGZF block at this offset (no-op for plain output). */
  flushBlock(): Promise<void>;
  /** Flush everything (and write the EOF block for BGZF). */
  end(): Promise<void>;
  /** Release resources (workers); safe to call more than once, also after an error. */
  close(): Promise<void>;
}

/** Write with backpressure: wait for 'drain' instead of buffering a whole BAM in memory. */
export async function writeOut(out: Writable, buf: Uint8Array): Promise<void> {
  if (!out.write(buf)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { out.off('error', onError); resolve(); };
      const onError = (err: Error): void => { out.off('drain', onDrain); reject(err); };
      out.once('drain', onDrain);
      out.once('error', onError);
    });
  }
}

/**
 * The worker: CommonJS source run with `eval: true`, so it needs no file
 * of its own (works the same from dist/ and from vitest's TS sources).
 * Frames each block as bgzfBlock() in node/io/bgzf-writer.ts does.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { deflateRawSync, crc32, constants } = require('node:zlib');
parentPort.on('message', ({ id, buf, lengths, level }) => {
  const data = Buffer.from(buf);
  const blocks = [];
  let at = 0;
  let total = 0;
  for (const len of lengths) {
    const d = data.subarray(at, at + len);
    at += len;
    let z = deflateRawSync(d, { level, strategy: constants.Z_DEFAULT_STRATEGY });
    if (z.length > 0xffff - 26) z = deflateRawSync(d, { level: 0 });
    const b = Buffer.alloc(26 + z.length);
    b[0] = 0x1f; b[1] = 0x8b; b[2] = 8; b[3] = 4; b[9] = 0xff;
    b.writeUInt16LE(6, 10); b[12] = 0x42; b[13] = 0x43; b.writeUInt16LE(2, 14);
    b.writeUInt16LE(b.length - 1, 16);
    z.copy(b, 18);
    b.writeUInt32LE(crc32(d) >>> 0, 18 + z.length);
    b.writeUInt32LE(len, 22 + z.length);
    blocks.push(b);
    total += b.length;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const b of blocks) { out.set(b, p); p += b.length; }
  parentPort.postMessage({ id, buf: out.buffer }, [out.buffer]);
});
`;

class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private failure: unknown = null;
  private closing = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on('message', (m: { id: number; buf: ArrayBuffer }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(Buffer.from(m.buf));
      });
      w.on('error', (err) => this.fail(err));
      // A worker that dies without an 'error' (killed, out of memory) must not leave a write hanging.
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`BGZF deflate worker exited (code ${code})`));
      });
      this.workers.push(w);
    }
  }

  private fail(err: unknown): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  compress(data: Uint8Array, lengths: number[]): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const w = this.workers[id % this.workers.length]!;
    const result = new Promise<Buffer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    w.postMessage({ id, buf: data.buffer, lengths, level: LEVEL }, [data.buffer as ArrayBuffer]);
    return result;
  }

  get size(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}

/** Worker count: the machine's cores, capped at 4 (beyond that the main thread's rewriting is the bottleneck). */
export function defaultDeflateWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** BGZF output: 0xff00-byte blocks deflated by the worker pool, written in order, EOF block at the end. */
export class BgzfSink implements ByteSink {
  private batch = new Uint8Array(BGZF_BLOCK_INPUT * BLOCKS_PER_BATCH);
  private used = 0;
  private lengths: number[] = [];
  private blockStart = 0;
  private readonly queue: Promise<Buffer>[] = [];
  private readonly pool: DeflatePool;

  constructor(private readonly out: Writable, workers = defaultDeflateWorkers()) {
    this.pool = new DeflatePool(workers);
  }

  async write(bytes: Buffer): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const room = this.blockStart + BGZF_BLOCK_INPUT - this.used;
      const n = Math.min(bytes.length - at, room);
      this.batch.set(bytes.subarray(at, at + n), this.used);
      this.used += n;
      at += n;
      if (this.used - this.blockStart === BGZF_BLOCK_INPUT) await this.closeBlock();
    }
  }

  private async closeBlock(): Promise<void> {
    const len = this.used - this.blockStart;
    if (len === 0) return;
    this.lengths.push(len);
    this.blockStart = this.used;
    if (this.lengths.length === BLOCKS_PER_BATCH) await this.sendBatch();
  }

  private async sendBatch(): Promise<void> {
    if (this.lengths.length === 0) return;
    const data = this.used === this.batch.length ? this.batch : this.batch.slice(0, this.used);
    const p = this.pool.compress(data, this.lengths);
    p.catch(() => undefined); // awaited in order below
    this.queue.push(p);
    this.batch = new Uint8Array(BGZF_BLOCK_INPUT * BLOCKS_PER_BATCH);
    this.used = 0;
    this.blockStart = 0;
    this.lengths = [];
    // Two batches per worker in flight keeps them busy while bounding memory (~2 MiB each).
    while (this.queue.length >= 2 * this.pool.size) await writeOut(this.out, await this.queue.shift()!);
  }

  async flushBlock(): Promise<void> {
    await this.closeBlock();
  }

  async end(): Promise<void> {
    await this.closeBlock();
    await this.sendBatch();
    while (this.queue.length) await writeOut(this.out, await this.queue.shift()!);
    await writeOut(this.out, BGZF_EOF);
    await this.close();
  }

  async close(): Promise<void> {
    await this.pool.close();
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

  async close(): Promise<void> {}
}
