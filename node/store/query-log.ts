/**
 * The node's append-only query log (table `query_log`): one row per
 * decision on a query (answered or refused, with the reason), and the
 * replay check on query ids. Rows are never updated or deleted.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface QueryLogEntry {
  queryId: string;
  kind: string;
  querier: string;
  decision: 'answered' | 'refused';
  reason?: string;
  at: Date;
  details?: object;
}

export async function appendQueryLog(c: DuckDBConnection, entry: QueryLogEntry): Promise<void> {
  await c.run(
    `INSERT INTO query_log VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?)`,
    [entry.queryId, entry.kind, entry.querier, entry.decision, entry.reason ?? null, entry.at.toISOString().replace('Z', ''), entry.details === undefined ? null : JSON.stringify(entry.details)],
  );
}

export async function hasQueryId(c: DuckDBConnection, id: string): Promise<boolean> {
  return (await c.runAndReadAll('SELECT 1 FROM query_log WHERE query_id = ? LIMIT 1', [id])).getRows().length > 0;
}
