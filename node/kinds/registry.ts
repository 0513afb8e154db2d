/**
 * The node's registry of query kinds: every `*.kind.ts` (compiled:
 * `*.kind.js`) module of this folder, each exporting `kind` (a NodeKind).
 * Loaded once; generic code (service, admission, gate, audit, policy)
 * looks kinds up here by the name in the signed envelope, so adding a kind
 * adds files and edits none (proto/README.md, "How to add a query kind").
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeKind } from './kind.js';

const here = dirname(fileURLToPath(import.meta.url));

async function load(): Promise<ReadonlyMap<string, NodeKind>> {
  const out = new Map<string, NodeKind>();
  const files = readdirSync(here).filter((f) => /^[a-z0-9-]+\.kind\.(?:js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort();
  for (const f of files) {
    const m = (await import(pathToFileURL(join(here, f)).href)) as { kind?: NodeKind };
    if (!m.kind?.spec?.kind) throw new Error(`node/kinds/${f} exports no kind`);
    if (out.has(m.kind.spec.kind)) continue; // the .ts and .js of one module (never both in one build)
    out.set(m.kind.spec.kind, m.kind);
  }
  return out;
}

/** Every query kind this node answers, by name. */
export const NODE_KINDS: ReadonlyMap<string, NodeKind> = await load();

export function nodeKind(name: string): NodeKind | undefined {
  return NODE_KINDS.get(name);
}
