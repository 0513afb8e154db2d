/**
 * Encryption on worker threads, each with its own SEAL instance. Public-key
 * encryption is CPU-bound WASM (~1.7 ms CPU per 8,192 counts); two workers
 * encrypted 1.95-2.0x faster than one thread (DESIGN.md; `npm run bench --
 * --suite crypto` reports this run's figure). Results come back in input
 * order whatever worker finished first.
 *
 * The worker script: compiled JS runs `encrypt-worker.js` next to this file;
 * under vitest (TypeScript sources) the compiled `dist/crypto/encrypt-worker.js`
 * is used, which `npm test` builds first with tsc.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CryptoError, type CryptoErrorCode, CRYPTO_ERRORS } from './errors.js';
import { checkSumBound } from './overflow-guard.js';
import type { BfvParams } from './params.js';
import type { ChunkJob, WorkerInit, WorkerReply } from './encrypt-worker.js';
import type { EncryptOptions } from './encryptor.js';
import type { Counts, SlotMask } from './slot-values.js';

export interface PoolEncryptOptions extends EncryptOptions {
  /** The mask of each chunk (index = chunk index); undefined entries mean no mask. */
  readonly masks?: readonly (SlotMask | undefined)[];
}

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../dist/crypto/encrypt-worker.js', here) : new URL('./encrypt-worker.js', here);
}

interface Pending {
  resolve(bytes: Uint8Array): void;
  reject(err: CryptoError): void;
}

export class EncryptorPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private nextId = 0;
  private closed = false;
  private failure: CryptoError | undefined;

  private constructor(readonly params: BfvParams, workers: Worker[]) {
    this.workers = workers;
    this.load = workers.map(() => 0);
    workers.forEach((w, i) => {
      w.on('message', (reply: WorkerReply) => this.onReply(i, reply));
      w.on('error', (err) => this.fail(new CryptoError('GENOFED_CRYPTO_WORKER', `encryption worker ${i} failed`, { cause: err })));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new CryptoError('GENOFED_CRYPTO_WORKER', `encryption worker ${i} exited with code ${code}`));
      });
    });
  }

  /** Start `workers` threads (default: available cores, at least 1) and wait until each has its SEAL context. */
  static async create(params: BfvParams, publicKey: Uint8Array, workers = Math.max(1, availableParallelism())): Promise<EncryptorPool> {
    if (!Number.isInteger(workers) || workers < 1) throw new CryptoError('GENOFED_CRYPTO_INPUT', 'workers must be a positive integer');
    const init: WorkerInit = {
      params: { name: params.name, polyModulusDegree: params.polyModulusDegree, coeffModulus: [...params.coeffModulus], plainModulus: params.plainModulus, maxParties: params.maxParties },
      publicKey,
    };
    const file = fileURLToPath(workerUrl());
    if (!existsSync(file)) {
      throw new CryptoError('GENOFED_CRYPTO_WORKER', 'the compiled encryption worker (dist/crypto/encrypt-worker.js) is missing; build with tsc first (npm test does)');
    }
    const started = Array.from({ length: workers }, () => new Worker(file, { workerData: init }));
    try {
      await Promise.all(
        started.map(
          (w, i) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (reply: WorkerReply): void => {
                w.off('error', onError);
                if (reply.type === 'ready') resolve();
                else if (reply.type === 'failed') reject(workerError(reply.code, `encryption worker ${i} could not start: ${reply.message}`));
              };
              const onError = (err: unknown): void => {
                w.off('message', onMessage);
                reject(new CryptoError('GENOFED_CRYPTO_WORKER', `encryption worker ${i} could not start`, { cause: err }));
              };
              w.once('message', onMessage);
              w.once('error', onError);
            }),
        ),
      );
    } catch (err) {
      await Promise.all(started.map((w) => w.terminate()));
      throw err;
    }
    return new EncryptorPool(params, started);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Encrypt a vector of any length; resolves to its ciphertexts in chunk order. */
  async encryptVector(values: Counts, opts: PoolEncryptOptions): Promise<Uint8Array[]> {
    this.assertOpen();
    checkSumBound(this.params, opts.bound, opts.parties); // fail fast, before any thread works
    const slots = this.params.slotCount;
    const chunks = Math.max(1, Math.ceil(values.length / slots));
    const jobs: Promise<Uint8Array>[] = [];
    for (let c = 0; c < chunks; c++) {
      const start = c * slots;
      const end = Math.min(values.length, start + slots);
      jobs.push(this.submit(sliceCounts(values, start, end), opts.masks?.[c], opts.bound, opts.parties));
    }
    return Promise.all(jobs);
  }

  /**
   * Encrypt a vector of any length as a stream in chunk order, keeping at
   * most 2 chunks per worker in flight (memory stays bounded for long
   * vectors; ~123 KB per chunk). Masks are asked for in order, on demand.
   */
  async *encryptStream(values: Counts, opts: EncryptOptions & { readonly mask?: (chunkIndex: number) => SlotMask | undefined }): AsyncGenerator<Uint8Array> {
    this.assertOpen();
    checkSumBound(this.params, opts.bound, opts.parties);
    const slots = this.params.slotCount;
    const chunks = Math.max(1, Math.ceil(values.length / slots));
    const window = 2 * this.workers.length;
    const inflight: Promise<Uint8Array>[] = [];
    let next = 0;
    const launch = (): void => {
      const c = next++;
      const start = c * slots;
      const p = this.submit(sliceCounts(values, start, Math.min(values.length, start + slots)), opts.mask?.(c), opts.bound, opts.parties);
      p.catch(() => undefined); // handled when awaited; never an unhandled rejection if the consumer stops early
      inflight.push(p);
    };
    while (next < chunks && inflight.length < window) launch();
    while (inflight.length > 0) {
      const bytes = await inflight.shift()!;
      if (next < chunks) launch();
      yield bytes;
    }
  }

  private submit(values: Uint32Array | Float64Array | BigUint64Array, mask: SlotMask | undefined, bound: number | bigint, parties: number): Promise<Uint8Array> {
    this.assertOpen();
    const id = this.nextId++;
    // least-loaded worker: chunks cost the same, so this is round-robin with catch-up
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    this.load[w]!++;
    const maskCopy = mask ? mask.slice() : undefined; // transferred: never detach the caller's buffer
    const job: ChunkJob = { id, values, bound, parties, ...(maskCopy ? { mask: maskCopy } : {}) };
    const transfer = maskCopy ? [values.buffer as ArrayBuffer, maskCopy.buffer as ArrayBuffer] : [values.buffer as ArrayBuffer];
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[w]!.postMessage(job, transfer);
    });
  }

  private onReply(worker: number, reply: WorkerReply): void {
    if (reply.type === 'ready') return;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    this.load[worker]!--;
    if (reply.type === 'done') p.resolve(reply.bytes);
    else p.reject(workerError(reply.code, reply.message));
  }

  private fail(err: CryptoError): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    void this.close();
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the encryptor pool was closed');
  }

  /** Stop the workers; pending encryptions are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new CryptoError('GENOFED_CRYPTO_DISPOSED', 'the encryptor pool was closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function workerError(code: string, message: string): CryptoError {
  const known = Object.hasOwn(CRYPTO_ERRORS, code) ? (code as CryptoErrorCode) : 'GENOFED_CRYPTO_WORKER';
  return new CryptoError(known, message);
}

/** A copy of values[start, end) in a transferable typed array. */
function sliceCounts(values: Counts, start: number, end: number): Uint32Array | Float64Array | BigUint64Array {
  if (values instanceof BigUint64Array || values instanceof Uint32Array || values instanceof Float64Array) return values.slice(start, end);
  const out = new Float64Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = values[i]!;
  return out;
}
