/**
 * Test helper (not a test): a parser of the Prometheus text exposition
 * format 0.0.4 (what prom-client writes), strict enough that a test reading
 * label sets fails on a line it does not understand rather than skipping it.
 */

export interface Sample {
  /** The sample name (`x_bucket`, `x_sum`, `x_count` for a histogram). */
  readonly name: string;
  /** The metric family it belongs to (the `# TYPE` name). */
  readonly family: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  /** Family name -> type (counter, gauge, histogram, summary, untyped). */
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info'];

function familyOf(name: string, types: ReadonlyMap<string, string>): string {
  if (types.has(name)) return name;
  for (const s of SUFFIXES) if (name.endsWith(s) && types.has(name.slice(0, -s.length))) return name.slice(0, -s.length);
  throw new Error(`sample ${name} has no # TYPE line`);
}

/** Label values are escaped as `\\`, `\"` and `\n`. */
function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`unparsable labels in: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
  }
  return out;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) throw new Error(`unparsable comment: ${line}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)(?: -?[0-9]+)?$/.exec(line);
    if (!m) throw new Error(`unparsable sample: ${line}`);
    // Prometheus reads values with Go's ParseFloat (case-insensitive NaN/Inf; prom-client writes `Nan`).
    const v = m[3]!.toLowerCase();
    const value = v === '+inf' || v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && v !== 'nan') throw new Error(`bad value in: ${line}`);
    samples.push({ name: m[1]!, family: familyOf(m[1]!, types), labels: parseLabels(m[2] ?? '', line), value });
  }
  return { types, samples };
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none, as Prometheus reads a missing counter). */
export function sampleValue(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const hits = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.reduce((n, s) => n + s.value, 0);
}
