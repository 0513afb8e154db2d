/**
 * A progress bar on stderr for long files, only when stderr is a terminal
 * (pipelines and CI logs get no control characters). Shows compressed bytes
 * read, which is what the file size on disk is measured in.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(bytesRead: number, totalBytes: number): void;
  stop(): void;
}

export function createProgress(enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ stream: process.stderr, format: 'pseudonymize [{bar}] {percentage}% | {value}/{total} MiB', hideCursor: true }, Presets.shades_classic);
  let started = false;
  return {
    update(read, total) {
      const mib = (n: number): number => Math.round(n / 1048576);
      if (!started) {
        bar.start(Math.max(1, mib(total)), 0);
        started = true;
      }
      bar.update(Math.min(mib(read), Math.max(1, mib(total))));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
