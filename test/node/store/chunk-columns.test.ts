/**
 * Bulk reads of a DuckDB chunk's BLOB and string columns
 * (node/store/chunk-columns.ts) return exactly what node-api's per-value
 * calls return: BLOBs empty, inline (<= 12 bytes) and long, repeated
 * (shared storage) and distinct; strings short, long and multi-byte. The
 * bulk path must be in use (a node-api upgrade that hides the vector's
 * string_t view would silently fall back to per-value reads).
 */
import { DuckDBInstance, type DuckDBBlobVector, type DuckDBVarCharVector } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { bulkReadable, readBlobColumns, readShortStrings } from '../../../node/store/chunk-columns.js';

function bytesOf(seed: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < len; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

describe('chunk columns', () => {
  it('read BLOBs and strings a chunk at a time exactly as the per-value calls do', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run('CREATE TABLE t (i INTEGER, a BLOB NOT NULL, b BLOB NOT NULL, s VARCHAR NOT NULL)');
      const app = await c.createAppender('t');
      const lengths = [0, 1, 12, 13, 1252, 3000, 40, 5, 700];
      const strs = ['A', 'T', '', 'AC', 'ACGTAC', 'ACGTACG', 'É', 'ÉÉÉ', '<DEL>', 'A,C', 'T,<*>', 'ACGTACGTACGTACGT'];
      for (let i = 0; i < 5000; i++) {
        app.appendInteger(i);
        const len = lengths[(i * 7) % lengths.length]!;
        // Every 10th row repeats an earlier value (DuckDB may store it once).
        app.appendBlob(i % 10 === 9 ? bytesOf(i - 9, lengths[((i - 9) * 7) % lengths.length]!) : bytesOf(i, len));
        app.appendBlob(bytesOf(i + 100_000, (i * 13) % 97));
        app.appendVarchar(strs[i % strs.length]!);
        app.endRow();
      }
      app.closeSync();
      await c.run('CHECKPOINT');
      for (const sql of ['SELECT a, b, s FROM t ORDER BY i', 'SELECT a, b, s FROM t WHERE i % 3 <> 0']) {
        const result = await c.stream(sql);
        let rowsSeen = 0;
        const seen = new Map<number, string>();
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const rows = chunk.rowCount;
          const a = chunk.getColumnVector(0) as DuckDBBlobVector;
          const b = chunk.getColumnVector(1) as DuckDBBlobVector;
          const s = chunk.getColumnVector(2) as DuckDBVarCharVector;
          expect(bulkReadable(a, rows) && bulkReadable(s, rows)).toBe(true);
          const { bytes, offsets } = readBlobColumns([a, b], rows);
          const strings = readShortStrings(s, rows, seen);
          for (let j = 0; j < rows; j++) {
            expect(bytes.subarray(offsets[j]!, offsets[j + 1]!)).toEqual(new Uint8Array(a.getItemBytes(j)!));
            expect(bytes.subarray(offsets[rows + 1 + j]!, offsets[rows + 1 + j + 1]!)).toEqual(new Uint8Array(b.getItemBytes(j)!));
            expect(strings[j]).toBe(s.getItem(j));
          }
          rowsSeen += rows;
        }
        expect(rowsSeen).toBeGreaterThan(3000);
      }
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
