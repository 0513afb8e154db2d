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
 * bytes inline when <= 12, else a 4-byte prefix and a pointer) is read
 * through the vector's `dataView`, which node-api keeps private: when it is
 * absent (another node-api version) every read falls back to the public
 * per-value calls, with the same result. A run is only ever extended while
 * each BLOB starts exactly where the previous one ends, so every byte
 * copied belongs to a BLOB of the chunk. Columns must be NOT NULL.
 */
import bindings from '@duckdb/node-bindings';
import type { DuckDBBlobVector, DuckDBVarCharVector } from '@duckdb/node-api';

const STRING_T = 16;
const INLINE = 12;

/** The string_t array of a BLOB or VARCHAR vector, or null when node-api does not expose it as before. */
function stringTs(vector: DuckDBBlobVector | DuckDBVarCharVector, rows: number): DataView | null {
  const dv = (vector as unknown as { dataView?: unknown }).dataView;
  return dv instanceof DataView && dv.byteLength >= rows * STRING_T ? dv : null;
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

export function readBlobColumns(columns: readonly DuckDBBlobVector[], rows: number): BlobColumns {
  const views = columns.map((v) => stringTs(v, rows));
  const offsets = new Uint32Array(columns.length * (rows + 1));
  let total = 0;
  for (let c = 0; c < columns.length; c++) {
    const dv = views[c]!;
    const base = c * (rows + 1);
    for (let j = 0; j < rows; j++) {
      offsets[base + j] = total;
      total += dv ? dv.getUint32(j * STRING_T, true) : columns[c]!.getItemBytes(j)!.length;
    }
    offsets[base + rows] = total;
  }
  const bytes = new Uint8Array(total);
  for (let c = 0; c < columns.length; c++) {
    const dv = views[c];
    const base = c * (rows + 1);
    if (!dv) {
      for (let j = 0; j < rows; j++) bytes.set(columns[c]!.getItemBytes(j)!, offsets[base + j]!);
      continue;
    }
    const raw = new Uint8Array(dv.buffer, dv.byteOffset, rows * STRING_T);
    let j = 0;
    while (j < rows) {
      const at = j * STRING_T;
      const len = dv.getUint32(at, true);
      const out = offsets[base + j]!;
      if (len <= INLINE) {
        for (let k = 0; k < len; k++) bytes[out + k] = raw[at + 4 + k]!;
        j++;
        continue;
      }
      // A run of BLOBs each starting where the previous one ends: one copy.
      const start = pointer(dv, at);
      let end = start + len;
      let k = j + 1;
      while (k < rows) {
        const l = dv.getUint32(k * STRING_T, true);
        if (l <= INLINE || pointer(dv, k * STRING_T) !== end) break;
        end += l;
        k++;
      }
      bytes.set(bindings.get_data_from_pointer(dv.buffer as ArrayBuffer, dv.byteOffset + at + 8, end - start), out);
      j = k;
    }
  }
  return { bytes, offsets };
}

/** A string_t's data pointer as a number (user-space addresses are below 2^53). */
function pointer(dv: DataView, at: number): number {
  return dv.getUint32(at + 8, true) + dv.getUint32(at + 12, true) * 0x1_0000_0000;
}

const decoder = new TextDecoder();

/**
 * A VARCHAR column's values, strings of at most 6 bytes (REF and ALT of
 * SNPs and short indels) decoded once per distinct value through `seen`
 * (keep it for a whole scan); longer ones through node-api.
 */
export function readShortStrings(vector: DuckDBVarCharVector, rows: number, seen: Map<number, string>): string[] {
  const out = new Array<string>(rows);
  const dv = stringTs(vector, rows);
  for (let j = 0; j < rows; j++) {
    const at = j * STRING_T;
    const len = dv ? dv.getUint32(at, true) : INLINE + 1;
    if (len > 6) { out[j] = vector.getItem(j)!; continue; }
    let key = len;
    let scale = 8;
    for (let k = 0; k < len; k++) { key += dv!.getUint8(at + 4 + k) * scale; scale *= 256; }
    let s = seen.get(key);
    if (s === undefined) {
      s = decoder.decode(new Uint8Array(dv!.buffer, dv!.byteOffset + at + 4, len));
      seen.set(key, s);
    }
    out[j] = s;
  }
  return out;
}
