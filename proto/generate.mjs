#!/usr/bin/env node
/**
 * The one way to (re)generate proto/generated/ from proto/genofed/**.proto:
 * runs the protoc-compatible `buf` binary shipped by @bufbuild/buf (works
 * offline; grpc-tools' binary download does not) with the local ts-proto
 * plugin, using proto/buf.yaml and proto/buf.gen.yaml.
 *
 *   node proto/generate.mjs            # regenerate proto/generated/ in place
 *   node proto/generate.mjs --out DIR  # write DIR/generated/... instead (the regeneration test)
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const base = values.out ? resolve(values.out) : protoDir;

// Stale files of removed .proto files must not survive a regeneration.
rmSync(join(base, 'generated'), { recursive: true, force: true });

const buf = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
const r = spawnSync(buf, ['generate', '--template', 'buf.gen.yaml', '--output', base], { cwd: protoDir, stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`gen-proto: cannot run buf: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status ?? 1);
