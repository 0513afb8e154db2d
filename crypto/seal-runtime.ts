/**
 * Loads node-seal's WebAssembly once per thread (the module is ~1.3 MB and
 * takes ~100 ms to instantiate) and hands out the same instance. The
 * "throws" build is used: it refuses transparent ciphertexts.
 */
import SEAL from 'node-seal';
import type { MainModule } from 'node-seal';
import { wrapSeal } from './errors.js';

export type Seal = MainModule;

let loading: Promise<Seal> | undefined;

/** The thread's node-seal instance. */
export function loadSeal(): Promise<Seal> {
  loading ??= SEAL().catch((err: unknown) => {
    loading = undefined;
    throw wrapSeal('GENOFED_CRYPTO_INTERNAL', 'cannot load node-seal WebAssembly', err);
  });
  return loading;
}
