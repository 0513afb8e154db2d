/**
 * The node's embedded store: what the gRPC service and `genofed node
 * ingest|query` use. See README.md for the API contract and semantics.
 */
/** Open a store folder; read-only for a second process while a writer holds it. */
export { openStore, Store, MISSING_STRATUM, type AlleleCountRow, type AlleleCountQuery, type StoreSummary, type QueryLogEntry, type ExpressionInfo, type ExpressionSums, type ExpressionSumsQuery, type StoreExpression } from './store.js';
/** The writer API a write transaction hands out (Store.withWriteTransaction); ingest is its one user. */
export type { StoreWriter, StoreState, RecordRow, RecordAppender } from './writer.js';
/** Atomic ingest of VCFs, a phenotype table and an expression matrix. */
export { ingest, ingestInto, fileSha256, type IngestOptions, type IngestInputs, type SampleIdCheck, type IngestReport, type IngestProgress, type IngestSource } from './ingest.js';
/** The serving node's local admin socket (node query / node ingest while it serves), and the CLI's client. */
export { startAdminSocket, type AdminSocket } from './admin-socket.js';
export { connectAdmin, AdminClient } from './admin-client.js';
