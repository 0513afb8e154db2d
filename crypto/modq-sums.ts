/**
 * Running sums for the presets' coefficient layout (one prime q < 2^60,
 * coefficients packed in 60 bits) in the WebAssembly kernel of
 * sum-kernel.ts: each open sum is a slot of 64-bit integers in the kernel's
 * memory, kept reduced modulo q after every addition (exact for any number
 * of parties; 8 bytes per coefficient, 128 KB per chunk at N=8192). Slots of
 * taken sums are reused; the memory goes with the aggregator.
 */
import { unpackScratch, unpackWords, type CoeffLayout } from './coeff-packing.js';
import { CryptoError } from './errors.js';
import { UNROLL, WASM_PAGE, instantiateSumKernel, type SumKernel } from './sum-kernel.js';
import type { SumStore } from './aggregator.js';

export function fitsModqKernel(layout: CoeffLayout): boolean {
  return layout.bits === 60 && layout.moduli.length === 1 && layout.coeffCount % (2 * UNROLL) === 0;
}

const align = (n: number): number => Math.ceil(n / 64) * 64;

export class ModqSums implements SumStore<number> {
  private readonly layout: CoeffLayout;
  private readonly kernel: SumKernel;
  private readonly q: bigint;
  /** Staging for an incoming payload and for a packed sum (+16 bytes: pack writes one byte past). */
  private readonly input = 0;
  private readonly output: number;
  private readonly slotBase: number;
  private readonly slotBytes: number;
  private readonly freeSlots: number[] = [];
  private slots = 0;
  private bytes: Uint8Array;

  constructor(layout: CoeffLayout) {
    if (!fitsModqKernel(layout)) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'layout does not fit the mod-q kernel');
    this.layout = layout;
    this.q = layout.moduli[0]!;
    this.kernel = instantiateSumKernel();
    this.output = align(layout.packedBytes + 16);
    this.slotBase = this.output + align(layout.packedBytes + 16);
    this.slotBytes = align(layout.coeffCount * 8);
    this.bytes = this.reserve(this.slotBase);
  }

  /** Grow the kernel's memory to `size` bytes; a view of all of it. */
  private reserve(size: number): Uint8Array {
    const have = this.kernel.memory.buffer.byteLength;
    try {
      if (size > have) this.kernel.memory.grow(Math.ceil((size - have) / WASM_PAGE));
    } catch (err) {
      // WebAssembly memory tops out at 4 GB: ~32,000 chunks open at once at N=8192.
      throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `cannot hold ${this.slots + 1} open chunk sums in the sum kernel's memory`, { cause: err });
    }
    return new Uint8Array(this.kernel.memory.buffer);
  }

  /** A slot's byte offset. */
  open(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const offset = this.slotBase + this.slots * this.slotBytes;
    this.bytes = this.reserve(offset + this.slotBytes);
    this.slots++;
    return offset;
  }

  add(slot: number, payload: Uint8Array, first: boolean): void {
    const n = this.layout.coeffCount;
    if (payload.byteLength !== this.layout.packedBytes) {
      throw new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext data is ${payload.byteLength} bytes; ${this.layout.packedBytes} expected`);
    }
    this.bytes.set(payload, this.input);
    if ((first ? this.kernel.set(this.input, slot, n, this.q) : this.kernel.add(this.input, slot, n, this.q)) === 0) return;
    // A coefficient is not below q: take the whole payload back out (a first add leaves nothing to undo).
    if (!first) this.kernel.undo(this.input, slot, n, this.q);
    unpackWords(this.layout, payload, unpackScratch(this.layout)); // throws, naming the first such coefficient
    throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'the sum kernel and the unpacking disagree on a coefficient');
  }

  write(slot: number, out: Uint8Array): void {
    this.kernel.pack(slot, this.output, this.layout.coeffCount);
    out.set(this.bytes.subarray(this.output, this.output + this.layout.packedBytes));
  }

  free(slot: number): void {
    this.freeSlots.push(slot);
  }
}
