/** The contract every benchmark suite implements. */
export interface BenchContext {
  /** Print one human-readable line (stderr when --json, so stdout's last line stays JSON). */
  log(line: string): void;
  /** Scale factor for quick runs (`--quick`): suites shrink their inputs. */
  readonly quick: boolean;
  /** Genome-scale runs (`--full`): suites that have one use their largest inputs (federation: 10M variants). */
  readonly full: boolean;
  /** A scratch folder the runner deletes afterwards. */
  readonly scratch: string;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<Record<string, unknown>>;
}
