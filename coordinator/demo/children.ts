/**
 * The demo's child processes (ingests, nodes, coordinator): each one's
 * output goes to a log file in the demo folder and is scanned line by line
 * for readiness (`listening grpc|rest HOST:PORT`); `stopAll` sends SIGTERM,
 * waits, and SIGKILLs stragglers, so the demo leaves no process behind on
 * success, failure or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { CoordinatorError } from '../errors.js';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or 128 + signal number) when the process ends. */
  readonly exited: Promise<number>;
  /** The first line matching `re` (its match); rejects if the process exits first or after `timeoutMs`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class Children {
  private readonly live = new Set<Child>();
  /** Every pid ever started, for tests that check nothing survives. */
  readonly pids: number[] = [];

  constructor(private readonly logDir: string, private readonly entry: readonly string[]) {}

  /** Start `genofed <args>` (this very CLI, under this Node) as a child. */
  start(name: string, args: readonly string[]): Child {
    const log: WriteStream = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a', mode: 0o600 });
    const proc = spawn(process.execPath, [...this.entry, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GENOFED_DEBUG: '' },
    });
    if (proc.pid === undefined) throw new CoordinatorError('GENOFED_DEMO_PROCESS', `${name}: could not start`);
    const lines: string[] = [];
    const waiters = new Set<(line: string | null) => void>();
    const onText = (() => {
      let carry = '';
      return (chunk: Buffer): void => {
        log.write(chunk);
        const text = carry + chunk.toString('utf8');
        const parts = text.split('\n');
        carry = parts.pop() ?? '';
        for (const l of parts) {
          lines.push(l);
          if (lines.length > 200) lines.shift();
          for (const w of waiters) w(l);
        }
      };
    })();
    proc.stdout!.on('data', onText);
    proc.stderr!.on('data', onText);
    const exited = new Promise<number>((resolve) => {
      proc.once('error', () => resolve(127));
      proc.once('exit', (code, signal) => {
        for (const w of waiters) w(null);
        resolve(code ?? 128 + (signal ? SIGNALS[signal] ?? 0 : 0));
      });
    });
    const child: Child = {
      name,
      process: proc,
      pid: proc.pid,
      exited,
      waitForLine: (re, timeoutMs) => {
        const seen = lines.find((l) => re.test(l));
        if (seen) return Promise.resolve(seen.match(re)!);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new CoordinatorError('GENOFED_DEMO_PROCESS', `${name}: not ready within ${timeoutMs} ms (see logs/${name}.log)`));
          }, timeoutMs);
          const check = (line: string | null): void => {
            if (line === null) {
              clearTimeout(timer);
              waiters.delete(check);
              reject(new CoordinatorError('GENOFED_DEMO_PROCESS', `${name}: exited before it was ready (see logs/${name}.log)`));
            } else if (re.test(line)) {
              clearTimeout(timer);
              waiters.delete(check);
              resolve(line.match(re)!);
            }
          };
          waiters.add(check);
        });
      },
    };
    void exited.then(() => {
      this.live.delete(child);
      log.end();
    });
    this.live.add(child);
    this.pids.push(proc.pid);
    return child;
  }

  /** Run to completion; a non-zero exit is GENOFED_DEMO_PROCESS naming the step and its last error line. */
  async run(name: string, args: readonly string[]): Promise<void> {
    const child = this.start(name, args);
    let last = '';
    // The child is our own CLI: its stderr follows the no-data rule (codes, basenames, line numbers).
    child.process.stderr!.on('data', (b: Buffer) => {
      const lines = b.toString('utf8').trim().split('\n').filter((l) => l.trim() !== '');
      const t = lines.filter((l) => l.startsWith('genofed:')).pop() ?? lines.pop();
      if (t) last = t.slice(0, 300);
    });
    const code = await child.exited;
    if (code !== 0) {
      throw new CoordinatorError('GENOFED_DEMO_PROCESS', `${name} failed (exit ${code})${last ? `: ${last.replace(/^genofed: /, '')}` : ''} (see logs/${name}.log)`);
    }
  }

  /** SIGTERM everyone still running, wait up to `graceMs`, then SIGKILL; resolves when all are gone. */
  async stopAll(graceMs = 10_000): Promise<void> {
    const all = [...this.live];
    for (const c of all) c.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of all) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    }, graceMs);
    await Promise.all(all.map((c) => c.exited));
    clearTimeout(timer);
  }

  /** Synchronous last resort for `process.on('exit')`: SIGKILL whatever is left. */
  killAllNow(): void {
    for (const c of this.live) {
      try {
        c.process.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  get running(): number {
    return this.live.size;
  }
}

/** `HOST:PORT` from a listening line, IPv6 in brackets allowed. */
export function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(text.slice(i + 1));
  if (i < 1 || !Number.isInteger(port) || port < 1 || port > 65535) throw new CoordinatorError('GENOFED_DEMO_PROCESS', `cannot read a HOST:PORT from a listening line`);
  return { host, port };
}
