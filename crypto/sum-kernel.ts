/**
 * The coordinator's inner loop for the presets' layout (one prime below
 * 2^60, coefficients packed in 60 bits, 2 coefficients = 15 bytes), as a
 * ~1.4 KB WebAssembly module assembled below (no toolchain, no imports;
 * 128-bit SIMD, one pair of coefficients per vector): each chunk's running
 * sum is held reduced modulo q in 64-bit integers, like SEAL's
 * add_poly_coeffmod, so it is exact for any number of parties and needs no
 * reduction before packing.
 *
 *   add(src, acc, n, q) -> 1 if some coefficient is not below q, else 0
 *       acc[i] = (acc[i] + x[i]) mod q for the n packed x at src (every
 *       coefficient is added, even then: the caller undoes a refused one)
 *   set(src, acc, n, q)    the same with acc[i] = x[i] (a chunk's first
 *       ciphertext: the sums are written, never read)
 *   undo(src, acc, n, q)   acc[i] = (acc[i] - x[i]) mod q: exactly the
 *       acc before an add (acc < q before it, so acc + x - [acc + x >= q] q
 *       is congruent to acc + x and below 2^61; rem_s then + q restores it)
 *   pack(acc, dst, n)      the n sums packed in 60 bits at dst (writes one
 *       byte past the packed bytes: the caller leaves room)
 *
 * Measured (thread of one core, 1,230 ciphertexts of N=8192 = 10 parties x
 * 123 chunks, already in the kernel's memory): add 12.4 ms, pack of the
 * 123 sums 0.6 ms; the Float64 loop it replaces took ~45 ms to add and ~17
 * ms to reduce and pack; the scalar version of this kernel 18-20 ms to add.
 * Checked against SEAL and BigInt sums in test/crypto/packed-sum.test.ts.
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
/** Pairs (2 coefficients, 15 packed bytes, 16 bytes of sums) per loop iteration: n must be a multiple of 2 * UNROLL. */
export const UNROLL = 4;

/** x0, x1 = the two coefficients of pair k after pointer p */
const unpackPair = (p: number, k: number, x0: number, x1: number): number[] => [
  ...get(p), ...load64(15 * k), ...i64c(M60), I64_AND, ...set(x0),
  ...get(p), ...load64(15 * k + 7), ...i64c(4n), I64_SHR_U, ...set(x1),
];

/** Loop tail: advance the pointers by UNROLL pairs, repeat while src < end. */
const advance = (src: number, acc: number, end: number, srcStep: number, accStep: number): number[] => [
  ...get(src), ...i32c(srcStep * UNROLL), I32_ADD, ...set(src),
  ...get(acc), ...i32c(accStep * UNROLL), I32_ADD, ...set(acc),
  ...get(src), ...get(end), I32_LT_U, BR_IF, 0,
];

const pairs = (body: (k: number) => number[]): number[] => Array.from({ length: UNROLL }, (_, k) => body(k)).flat();

// 128-bit SIMD: two 64-bit lanes, one pair of coefficients.
const V128 = 0x7b;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V_LOAD = (offset: number): number[] => simd(0x00, 4, ...uleb(offset)); // 16-byte aligned sums
const V_STORE = (offset: number): number[] => simd(0x0b, 4, ...uleb(offset));
const V_LOAD64_ZERO = (offset: number): number[] => simd(0x5d, 0, ...uleb(offset));
const V_LOAD64_LANE1 = (offset: number): number[] => simd(0x57, 0, ...uleb(offset), 1);
const V_CONST = (bytes: number[]): number[] => simd(0x0c, ...bytes);
const I64X2_SPLAT = simd(0x12), V_AND = simd(0x4e), V_OR = simd(0x50), V_BITSELECT = simd(0x52), V_ANY_TRUE = simd(0x53);
const I64X2_SHR_U = simd(0xcd), I64X2_ADD = simd(0xce), I64X2_SUB = simd(0xd1), I64X2_GE_S = simd(0xdb);

// add(src 0, acc 1, n 2, q 3) -> i32, and set(...) the same with the sums overwritten (not read: a fresh
// slot's pages are touched once); locals: end 4; v 5, bad 6, Q 7, M 8, L 9, s 10, x 11 (v128, zero-initialised).
// Sums and coefficients are below 2^61, so the signed lane compares are unsigned ones.
const addBody = (overwrite: boolean): number[] => [
  ...vec([[1, I32], [7, V128]].map(([c, t]) => [c!, t!])),
  ...endOf(0, 2, 4),
  ...get(3), ...I64X2_SPLAT, ...set(7),
  ...i64c(M60), ...I64X2_SPLAT, ...set(8),
  ...V_CONST([...new Array<number>(8).fill(0xff), ...new Array<number>(8).fill(0)]), ...set(9),
  LOOP, VOID,
  ...pairs((k) => [
    // v = the 8 bytes at 15k (lane 0) and at 15k + 7 (lane 1); x = (v0 & M60, v1 >> 4)
    ...get(0), ...V_LOAD64_ZERO(15 * k), ...set(5),
    ...get(0), ...get(5), ...V_LOAD64_LANE1(15 * k + 7), ...set(5),
    ...get(5), ...get(8), ...V_AND, ...get(5), ...i32c(4), ...I64X2_SHR_U, ...get(9), ...V_BITSELECT, ...set(11),
    ...get(6), ...get(11), ...get(7), ...I64X2_GE_S, ...V_OR, ...set(6),
    ...(overwrite
      ? [...get(1), ...get(11), ...V_STORE(16 * k)]
      : [
        // s = acc + x; s -= q where s >= q
        ...get(1), ...V_LOAD(16 * k), ...get(11), ...I64X2_ADD, ...set(10),
        ...get(10), ...get(7), ...get(10), ...get(7), ...I64X2_GE_S, ...V_AND, ...I64X2_SUB, ...set(10),
        ...get(1), ...get(10), ...V_STORE(16 * k),
      ]),
  ]),
  ...advance(0, 1, 4, 15, 16),
  END,
  ...get(6), ...V_ANY_TRUE,
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
  ...pairs((k) => [...unpackPair(0, k, 5, 6), ...undoOne(1, 16 * k, 5, 3, 7), ...undoOne(1, 16 * k + 8, 6, 3, 7)]),
  ...advance(0, 1, 4, 15, 16),
  END,
  END,
];

// pack(acc 0, dst 1, n 2); locals: end 3 (on dst), x1 4
const packBody = [
  ...vec([[1, I32], [1, I64]].map(([c, t]) => [c!, t!])),
  ...endOf(1, 2, 3),
  LOOP, VOID,
  ...pairs((k) => [
    ...get(0), ...load64(16 * k + 8), ...set(4),
    ...get(1), ...get(0), ...load64(16 * k), ...get(4), ...i64c(60n), I64_SHL, I64_OR, ...store64(15 * k),
    ...get(1), ...get(4), ...i64c(4n), I64_SHR_U, ...store64(15 * k + 8),
  ]),
  ...advance(1, 0, 3, 15, 16),
  END,
  END,
];

const func = (params: number[], results: number[]): number[] => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([func([I32, I32, I32, I64], [I32]), func([I32, I32, I32, I64], []), func([I32, I32, I32], [])])),
  ...section(3, vec([[0], [0], [1], [2]])),
  ...section(5, vec([[0x00, 1]])), // one memory, 1 page to start; grown by SumKernel
  ...section(7, vec([[...name('add'), 0x00, 0], [...name('set'), 0x00, 1], [...name('undo'), 0x00, 2], [...name('pack'), 0x00, 3], [...name('memory'), 0x02, 0]])),
  ...section(10, vec([addBody(false), addBody(true), undoBody, packBody].map((b) => [...uleb(b.length), ...b]))),
]);

export interface SumKernel {
  add(src: number, acc: number, n: number, q: bigint): number;
  set(src: number, acc: number, n: number, q: bigint): number;
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
