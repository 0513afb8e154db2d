/**
 * Stream helpers of the node service: writes that respect backpressure,
 * and waiting for the next request message with a deadline and the
 * caller's cancellation.
 */
import type { ServerDuplexStream, ServerWritableStream } from '@grpc/grpc-js';
import type * as wire from '../../proto/generated/genofed/v1/node.js';
import { NodeError } from '../errors.js';

/** Write with backpressure; rejects if the call closes (cancelled, deadline) while waiting for 'drain'. */
export async function writeMessage<T>(call: ServerDuplexStream<wire.AggregateRequest, T> | ServerWritableStream<wire.SignedQuery, T>, msg: T): Promise<void> {
  if (call.write(msg)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => { call.off('error', onErr); call.off('close', onClose); resolve(); };
    const onErr = (e: unknown): void => { call.off('drain', onDrain); call.off('close', onClose); reject(e); };
    const onClose = (): void => { call.off('drain', onDrain); call.off('error', onErr); reject(new Error('stream closed')); };
    call.once('drain', onDrain);
    call.once('error', onErr);
    call.once('close', onClose);
  });
}

/**
 * The next request message, or a refusal after `ms` (the coordinator must
 * relay within the round) or when the caller cancels (a coordinator that
 * gave up on the round: the node stops waiting at once).
 */
export async function nextWithin(call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>, it: AsyncIterator<wire.AggregateRequest>, ms: number, what: string): Promise<wire.AggregateRequest | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  try {
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new NodeError('GENOFED_SIZE_ROUND', `query refused: no ${what} within ${Math.round(ms / 1000)} s`)), ms); }),
      new Promise<never>((_, reject) => {
        onCancel = () => reject(new NodeError('GENOFED_SIZE_ROUND', `query refused: the caller cancelled before the ${what}`));
        if (call.cancelled) onCancel();
        else call.once('cancelled', onCancel);
      }),
    ]);
    return r.done ? undefined : (r.value as wire.AggregateRequest);
  } finally {
    clearTimeout(timer);
    if (onCancel) call.off('cancelled', onCancel);
  }
}

