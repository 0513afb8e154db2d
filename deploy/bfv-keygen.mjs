#!/usr/bin/env node
// The coordinator's BFV key pair for a real consortium, on the coordinator
// host: bfv.sk (secret, 0600: the only key that decrypts network totals)
// and bfv.pk (public: every site encrypts its counts under it).
// Usage: node deploy/bfv-keygen.mjs DIR [default|test]
// Interim tool until genofed has a `coordinator keygen` command; it calls
// the same code as `genofed network init` (coordinator/network/bfv-keys.ts).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
const [dir, preset = 'default'] = process.argv.slice(2);
if (!dir || !['default', 'test'].includes(preset)) {
  process.stderr.write('usage: node deploy/bfv-keygen.mjs DIR [default|test]\n');
  process.exit(2);
}
const out = resolve(dir);
if (existsSync(resolve(out, 'bfv.sk')) || existsSync(resolve(out, 'bfv.pk'))) {
  process.stderr.write('bfv-keygen: bfv.sk or bfv.pk already exists; refusing to overwrite\n');
  process.exit(1);
}
await mkdir(out, { recursive: true, mode: 0o700 });
const { writeBfvKeys } = await import(new URL('../dist/coordinator/network/bfv-keys.js', import.meta.url).href);
const keys = await writeBfvKeys(out, preset);
process.stdout.write(`bfv-keygen: ${keys.secretKey} (secret) and ${keys.publicKey} (give to every site), preset ${preset}\n`);
