/**
 * The coordinator's inner loop for the presets' layout (one prime below
 * 2^60, coefficients packed in 60 bits, 2 coefficients = 15 bytes), as a
 * 100-odd-byte WebAssembly module assembled below (no toolchain, no
 * imports): each chunk's running sum is held reduced modulo q in 64-bit
 * integers, like SEAL's add_poly_coeffmod, so it is exact for any number of
 * parties and the sum needs no reduction before packing.
 *
 *   add(src, acc, n, first, q) -> 1 if some coefficient is not below q
 *       acc[i] = ((first ? 0 : acc[i]) + x[i]) mod q for the n packed x at
 *       src (every coefficient is added; the caller undoes a refused one)
 *   undo(src, acc, n, q)   acc[i] = (acc[i] - x[i]) mod q: exactly the
 *       acc before an add that was not `first` (acc < q before it, so
 *       acc + x - [acc + x >= q] q is congruent to acc + x and below 2^61)
 *   pack(acc, dst, n)      the n sums packed in 60 bits at dst (writes one
 *       byte past the packed bytes: the caller leaves room)
 *
 * Measured against the Float64 halves it replaces (aggregator.ts), for
 * 1,230 ciphertexts of N=8192: see crypto/README.md.
 */

const I32 = 0x7f;
const I64 = 0x7e;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Instructions used below.
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const i32c = (v: number): number[] => [0x41, ...sleb(BigInt(v))];
const i64c = (v: bigint): number[] => [0x42, ...sleb(v)];
const load64 = (offset: number): number[] => [0x29, 0, ...uleb(offset)]; // align hint 1: the packed data is unaligned
const store64 = (offset: number): number[] => [0x37, 0, ...uleb(offset)];
const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHR_U = 0x76, I32_LT_U = 0x49, I32_OR = 0x72;
const I64_ADD = 0x7c, I64_SUB = 0x7d, I64_AND = 0x83, I64_OR = 0x84, I64_SHL = 0x86, I64_SHR_U = 0x88, I64_REM_S = 0x81;
const I64_GE_U = 0x5a, I64_LT_S = 0x53;
const SELECT = 0x1b, LOOP = 0x03, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const M60 = (1n << 60n) - 1n;

/** `end` = src + n / 2 * 15 into local `endLocal`. */
const endOf = (src: number, n: number, endLocal: number): number[] => [...get(src), ...get(n), ...i32c(1), I32_SHR_U, ...i32c(15), I32_MUL, I32_ADD, ...set(endLocal)];
/** s (local) = s >= q ? s - q : s */
const reduceOnce = (s: number, q: number): number[] => [...get(s), ...get(q), I64_SUB, ...get(s), ...get(s), ...get(q), I64_GE_U, SELECT, ...set(s)];
/** x0, x1 = the two coefficients at pointer p */
const unpackPair = (p: number, x0: number, x1: number): number[] => [
  ...get(p), ...load64(0), ...i64c(M60), I64_AND, ...set(x0),
  ...get(p), ...load64(7), ...i64c(4n), I64_SHR_U, ...set(x1),
];

// add(src 0, acc 1, n 2, first 3, q 4) -> i32; locals: end 5, bad 6, x0 7, x1 8, s 9
const addBody = [
  ...vec([[1, I32], [1, I32], [3, I64]].map(([c, t]) => [c!, t!])),
  ...endOf(0, 2, 5),
  LOOP, VOID,
  ...unpackPair(0, 7, 8),
  ...get(6), ...get(7), ...get(4), I64_GE_U, I32_OR, ...get(8), ...get(4), I64_GE_U, I32_OR, ...set(6),
  ...i64c(0n), ...get(1), ...load64(0), ...get(3), SELECT, ...get(7), I64_ADD, ...set(9),
  ...reduceOnce(9, 4), ...get(1), ...get(9), ...store64(0),
  ...i64c(0n), ...get(1), ...load64(8), ...get(3), SELECT, ...get(8), I64_ADD, ...set(9),
  ...reduceOnce(9, 4), ...get(1), ...get(9), ...store64(8),
  ...get(0), ...i32c(15), I32_ADD, ...set(0),
  ...get(1), ...i32c(16), I32_ADD, ...set(1),
  ...get(0), ...get(5), I32_LT_U, BR_IF, 0,
  END,
  ...get(6),
  END,
];

/** s = ((acc at offset) - x) mod q, stored back. */
const undoOne = (acc: number, offset: number, x: number, q: number, s: number): number[] => [
  ...get(acc), ...load64(offset), ...get(x), I64_SUB, ...get(q), I64_REM_S, ...set(s),
  ...get(acc),
  ...get(s), ...get(q), I64_ADD, ...get(s), ...get(s), ...i64c(0n), I64_LT_S, SELECT,
  ...store64(offset),
];

// undo(src 0, acc 1, n 2, q 3); locals: end 4, x0 5, x1 6, s 7
const undoBody = [
  ...vec([[1, I32], [3, I64]].map(([c, t]) => [c!, t!])),
  ...endOf(0, 2, 4),
  LOOP, VOID,
  ...unpackPair(0, 5, 6),
  ...undoOne(1, 0, 5, 3, 7),
  ...undoOne(1, 8, 6, 3, 7),
  ...get(0), ...i32c(15), I32_ADD, ...set(0),
  ...get(1), ...i32c(16), I32_ADD, ...set(1),
  ...get(0), ...get(4), I32_LT_U, BR_IF, 0,
  END,
  END,
];

// pack(acc 0, dst 1, n 2); locals: end 3 (on dst), x1 4
const packBody = [
  ...vec([[1, I32], [1, I64]].map(([c, t]) => [c!, t!])),
  ...endOf(1, 2, 3),
  LOOP, VOID,
  ...get(0), ...load64(8), ...set(4),
  ...get(1), ...get(0), ...load64(0), ...get(4), ...i64c(60n), I64_SHL, I64_OR, ...store64(0),
  ...get(1), ...get(4), ...i64c(4n), I64_SHR_U, ...store64(8),
  ...get(0), ...i32c(16), I32_ADD, ...set(0),
  ...get(1), ...i32c(15), I32_ADD, ...set(1),
  ...get(1), ...get(3), I32_LT_U, BR_IF, 0,
  END,
  END,
];

const func = (params: number[], results: number[]): number[] => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([func([I32, I32, I32, I32, I64], [I32]), func([I32, I32, I32, I64], []), func([I32, I32, I32], [])])),
  ...section(3, vec([[0], [1], [2]])),
  ...section(5, vec([[0x00, 1]])), // one memory, 1 page to start; grown by SumKernel
  ...section(7, vec([[...name('add'), 0x00, 0], [...name('undo'), 0x00, 1], [...name('pack'), 0x00, 2], [...name('memory'), 0x02, 0]])),
  ...section(10, vec([addBody, undoBody, packBody].map((b) => [...uleb(b.length), ...b]))),
]);

export interface SumKernel {
  add(src: number, acc: number, n: number, first: number, q: bigint): number;
  undo(src: number, acc: number, n: number, q: bigint): void;
  pack(acc: number, dst: number, n: number): void;
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}

// The WebAssembly global, typed here (the project's lib settings do not declare it).
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
let compiled: object | undefined;

export const WASM_PAGE = 65536;

/** One instance (its own memory) per aggregator. */
export function instantiateSumKernel(): SumKernel {
  compiled ??= new wasm.Module(MODULE_BYTES);
  return new wasm.Instance(compiled, {}).exports as SumKernel;
}
