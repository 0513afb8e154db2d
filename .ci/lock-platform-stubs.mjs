// The npm registry reachable here serves only some platform builds of
// packages that ship native binaries as optional dependencies
// (@bufbuild/buf-*, @duckdb/node-bindings-*). npm then writes a lock file
// without the others, and `npm ci` refuses it ("Missing: ... from lock
// file"). This adds lock entries for the missing platform packages, marked
// optional with their os/cpu, so that `npm ci` skips them on other
// platforms exactly as it would with a complete lock. Run after any
// `npm install` that rewrites package-lock.json.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
const OS = [['darwin', 'darwin'], ['win32', 'win32'], ['linux', 'linux']];
const CPU = [['arm64', 'arm64'], ['aarch64', 'arm64'], ['armv7', 'arm'], ['x64', 'x64']];
let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${name}`;
    if (pkgs[at]) continue;
    const os = OS.find(([k]) => name.includes(k))?.[1];
    const cpu = CPU.find(([k]) => name.includes(k))?.[1];
    if (!os || !cpu) throw new Error(`${key}: cannot infer platform of optional dependency ${name}`);
    const stub = { version, optional: true, os: [os], cpu: [cpu] };
    if (entry.dev) stub.dev = true;
    if (name.endsWith('-musl')) stub.libc = ['musl'];
    pkgs[at] = stub;
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platform-stubs: added ${added} entries`);
