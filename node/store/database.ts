/**
 * Opening the store's DuckDB file, with the errors an operator can act on:
 * missing store, store locked by another process (DuckDB allows one
 * read-write process per file), incompatible schema version. DuckDB's own
 * messages carry the file's full path, so they travel only as `cause`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';
import { DDL, SCHEMA_VERSION, STORE_FILE } from './schema.js';

export interface OpenedDatabase {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export async function openDatabase(dir: string, options: { readOnly: boolean; create: boolean }): Promise<OpenedDatabase> {
  const file = join(dir, STORE_FILE);
  const present = await exists(file);
  if (!present) {
    // The folder rides beside the message for the operator's terminal only (never logged: proto/operator-path.ts).
    if (!options.create || options.readOnly) throw withOperatorPath(new NodeError('GENOFED_STORE_NOT_FOUND', 'store folder has no genofed store'), dir);
    // The store folder holds genotypes: owner-only.
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : '';
    if (/lock/i.test(msg)) throw new NodeError('GENOFED_STORE_LOCKED', 'store is open read-write in another process; open it read-only or stop that process', { cause });
    throw new NodeError('GENOFED_STORE_IO', 'cannot open the store database', { cause });
  }
  const connection = await instance.connect();
  try {
    if (!options.readOnly) {
      for (const ddl of DDL) await connection.run(ddl);
      await connection.run(`INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING`, [SCHEMA_VERSION]);
    }
    const reader = await connection.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const version = reader.getRows()[0]?.[0];
    if (version !== SCHEMA_VERSION) {
      throw new NodeError('GENOFED_STORE_VERSION', `store schema version ${String(version)} is not ${SCHEMA_VERSION}`);
    }
  } catch (err) {
    connection.closeSync();
    instance.closeSync();
    if (err instanceof NodeError) throw err;
    throw new NodeError('GENOFED_STORE_IO', 'cannot read the store database', { cause: err });
  }
  return { instance, connection };
}
