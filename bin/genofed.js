#!/usr/bin/env node
// Entry point for `npx genofed`: runs the compiled CLI (built by `npm ci` via
// the `prepare` script, or `npm run build`).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/bin/genofed.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('genofed: not built yet; run `npm ci` (or `npm run build`) in the genofed folder first\n');
  process.exit(1);
}
await import(entry.href);
