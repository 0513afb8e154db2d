/**
 * Worker-thread body of EncryptorPool: its own node-seal instance, context
 * and encryptor (SEAL objects cannot cross threads), encrypting one chunk
 * per message and transferring the envelope back without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createBfv } from './bfv.js';
import { CryptoError } from './errors.js';
import { defineParams, type BfvParamsLiteral } from './params.js';
import type { Counts, SlotMask } from './slot-values.js';

export interface WorkerInit {
  readonly params: BfvParamsLiteral;
  readonly publicKey: Uint8Array;
}

export interface ChunkJob {
  readonly id: number;
  readonly values: Counts;
  readonly mask?: SlotMask;
  readonly bound: number | bigint;
  readonly parties: number;
}

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: 'failed'; readonly id: number; readonly code: string; readonly message: string };

const port = parentPort;
if (port) {
  const init = workerData as WorkerInit;
  try {
    const bfv = await createBfv(defineParams(init.params));
    const encryptor = bfv.encryptor(init.publicKey);
    port.on('message', (job: ChunkJob) => {
      try {
        const bytes = encryptor.encryptChunk(job.values, { bound: job.bound, parties: job.parties, ...(job.mask ? { mask: job.mask } : {}) });
        port.postMessage({ type: 'done', id: job.id, bytes } satisfies WorkerReply, [bytes.buffer as ArrayBuffer]);
      } catch (err) {
        const code = err instanceof CryptoError ? err.code : 'GENOFED_CRYPTO_INTERNAL';
        const message = err instanceof Error ? err.message : 'encryption failed';
        port.postMessage({ type: 'failed', id: job.id, code, message } satisfies WorkerReply);
      }
    });
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
  } catch (err) {
    const code = err instanceof CryptoError ? err.code : 'GENOFED_CRYPTO_INTERNAL';
    port.postMessage({ type: 'failed', id: -1, code, message: err instanceof Error ? err.message : 'worker start failed' } satisfies WorkerReply);
  }
}
