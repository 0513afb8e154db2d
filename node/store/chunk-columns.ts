/**
 * Reading a DuckDB result chunk's BLOB and short VARCHAR columns in bulk.
 *
 * `@duckdb/node-api` converts one value at a time: every BLOB longer than
 * 12 bytes is one native call that allocates and copies (`getItemBytes`),
 * and every string one TextDecoder call. A cold whole-store scan of a
 * 2,504-sample store pays that per record (~5,000 native calls on the IL2RA
 * window: a quarter of the first cohort query, profiled). DuckDB lays a
 * chunk's BLOBs out mostly back to back in its string heap, so the bytes of
 * each run of adjacent BLOBs are copied with one native call into one
 * buffer that JavaScript owns (valid after the chunk is gone).
 *
 * A vector's string_t array (16 bytes per row: uint32 length, then the
 * bytes inline when <= 12, else a 4-byte prefix and a 64-bit pointer) is read
 * through the vector's `dataView`, which node-api keeps private: when it is
 * absent (another node-api version) every read falls back to the public
 * per-value calls, with the same result. A run is only ever extended while
 * each BLOB starts exactly where the previous one ends, so every byte
 * copied belongs to a BLOB of the chunk. Columns must be NOT NULL. The copy
 * is `@duckdb/node-bindings`' get_data_from_pointer (the call node-api makes
 * per value; package.json names the bindings with node-api's range, so npm
 * keeps one copy).
 */
import bindings from '@duckdb/node-bindings';
import type { DuckDBBlobVector, DuckDBIntegerVector, DuckDBSmallIntVector, DuckDBTinyIntVector, DuckDBVarCharVector } from '@duckdb/node-api';

const STRING_T = 16;
const INLINE = 12;

/**
 * The string_t array of a BLOB or VARCHAR vector as 32-bit words (4 per
 * row: length, then inline bytes or prefix and pointer; native byte order,
 * as DuckDB writes it) and as bytes; null when node-api does not expose it
 * as before. Typed-array reads, not DataView calls: a cold query runs this
 * code before the JIT has optimized it, where each DataView call costs.
 */
function stringTs(vector: DuckDBBlobVector | DuckDBVarCharVector, rows: number): { words: Uint32Array; raw: Uint8Array; view: DataView } | null {
  const dv = (vector as unknown as { dataView?: unknown }).dataView;
  if (!(dv instanceof DataView) || dv.byteLength < rows * STRING_T || dv.byteOffset % 4 !== 0) return null;
  return { words: new Uint32Array(dv.buffer, dv.byteOffset, rows * 4), raw: new Uint8Array(dv.buffer, dv.byteOffset, rows * STRING_T), view: dv };
}

/** Whether the bulk paths are in use (tests check that a node-api upgrade did not silently turn them off). */
export function bulkReadable(vector: DuckDBBlobVector | DuckDBVarCharVector, rows: number): boolean {
  return stringTs(vector, rows) !== null;
}

/**
 * The BLOBs of `columns` (each `rows` long) in one buffer: column c's row
 * j is `bytes.subarray(offsets[c * (rows + 1) + j], offsets[c * (rows + 1) + j + 1])`.
 */
export interface BlobColumns {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
}

/** Where a chunk's BLOBs go: `total` bytes free in `bytes` from `at` (default: a new buffer of their own). */
export type BlobTarget = (total: number) => { bytes: Uint8Array; at: number };

const ownBuffer: BlobTarget = (total) => ({ bytes: new Uint8Array(total), at: 0 });

export function readBlobColumns(columns: readonly DuckDBBlobVector[], rows: number, target: BlobTarget = ownBuffer): BlobColumns {
  const views = columns.map((v) => stringTs(v, rows));
  const offsets = new Uint32Array(columns.length * (rows + 1));
  let total = 0;
  for (let c = 0; c < columns.length; c++) {
    const st = views[c];
    const base = c * (rows + 1);
    if (st) {
      const w = st.words;
      for (let j = 0; j < rows; j++) { offsets[base + j] = total; total += w[4 * j]!; }
    } else {
      for (let j = 0; j < rows; j++) { offsets[base + j] = total; total += columns[c]!.getItemBytes(j)!.length; }
    }
    offsets[base + rows] = total;
  }
  const { bytes, at } = target(total);
  if (at !== 0) for (let i = 0; i < offsets.length; i++) offsets[i]! += at;
  for (let c = 0; c < columns.length; c++) {
    const st = views[c];
    const base = c * (rows + 1);
    if (!st) {
      for (let j = 0; j < rows; j++) bytes.set(columns[c]!.getItemBytes(j)!, offsets[base + j]!);
      continue;
    }
    const { words: w, raw, view } = st;
    let j = 0;
    while (j < rows) {
      const len = w[4 * j]!;
      const out = offsets[base + j]!;
      if (len <= INLINE) {
        const at = j * STRING_T + 4;
        for (let k = 0; k < len; k++) bytes[out + k] = raw[at + k]!;
        j++;
        continue;
      }
      // A run of BLOBs each starting where the previous one ends: one copy. Pointers as numbers (user-space addresses are below 2^53).
      // Empty BLOBs inside a run (a dense record's sample list) add no bytes here or there: they do not end it.
      const start = w[4 * j + 2]! + w[4 * j + 3]! * 0x1_0000_0000;
      let end = start + len;
      let k = j + 1;
      while (k < rows) {
        const l = w[4 * k]!;
        if (l === 0) { k++; continue; }
        if (l <= INLINE || w[4 * k + 2]! + w[4 * k + 3]! * 0x1_0000_0000 !== end) break;
        end += l;
        k++;
      }
      bytes.set(bindings.get_data_from_pointer(view.buffer as ArrayBuffer, view.byteOffset + j * STRING_T + 8, end - start), out);
      j = k;
    }
  }
  return { bytes, offsets };
}

const decoder = new TextDecoder();

/**
 * A VARCHAR column's values, strings of at most 6 bytes (REF and ALT of
 * SNPs and short indels) decoded once per distinct value through `seen`
 * (keep it for a whole scan); longer ones through node-api.
 */
export function readShortStrings(vector: DuckDBVarCharVector, rows: number, seen: Map<number, string>): string[] {
  const out = new Array<string>(rows);
  const st = stringTs(vector, rows);
  if (!st) {
    for (let j = 0; j < rows; j++) out[j] = vector.getItem(j)!;
    return out;
  }
  const { words: w, raw } = st;
  for (let j = 0; j < rows; j++) {
    const len = w[4 * j]!;
    if (len > 6) { out[j] = vector.getItem(j)!; continue; }
    const at = j * STRING_T + 4;
    let key = len;
    let scale = 8;
    for (let k = 0; k < len; k++) { key += raw[at + k]! * scale; scale *= 256; }
    let s = seen.get(key);
    if (s === undefined) {
      s = decoder.decode(raw.subarray(at, at + len));
      seen.set(key, s);
    }
    out[j] = s;
  }
  return out;
}

/**
 * An integer column's values (NOT NULL): node-api's typed array over the
 * chunk (valid while the chunk is read) when it exposes one, else copied
 * value by value.
 */
export function readInts(vector: DuckDBIntegerVector | DuckDBSmallIntVector | DuckDBTinyIntVector, rows: number): ArrayLike<number> {
  const items = (vector as unknown as { items?: unknown }).items;
  if ((items instanceof Int32Array || items instanceof Int16Array || items instanceof Int8Array) && items.length >= rows) return items;
  const out = new Int32Array(rows);
  for (let j = 0; j < rows; j++) out[j] = vector.getItem(j)!;
  return out;
}
