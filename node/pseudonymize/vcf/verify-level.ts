/**
 * `verify vcf --level low|high`: the reference tool's verifier rules
 * (`labhai/VCF-Anonymization`, vcf_anonymization_verifier.py) plus
 * genofed's own, over the original and the output read in lock-step (the
 * levels never drop or reorder records, so record i of the output is
 * record i of the original after --regions). Memory stays O(1) in the
 * record count: a whole genome has ~80 M records, 90% of them rare.
 *
 * Checks name positions (CHROM:POS), never values. No I/O: the caller
 * hands in the two line streams.
 */
import type { Line } from '../../io/lines.js';
import type { BedRegions } from '../bed.js';
import { cappedPositions, type CheckResult } from '../checks.js';
import { infoDefinition, metadataRules } from './level-header.js';
import { levelContext, maskRecord, type FieldDef, type LevelOptions } from './level-rules.js';
import { parseUint, recordEnd } from './records.js';

interface Side {
  meta: string[];
  columns: number;
  records: AsyncIterator<Line>;
}

/** Read the header (meta lines and column count); the iterator is left at the first record. */
async function openSide(lines: AsyncIterable<Line>): Promise<Side> {
  const it = lines[Symbol.asyncIterator]();
  const meta: string[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { meta, columns: 0, records: it };
    const text = r.value.bytes.toString('utf8');
    if (text.startsWith('##')) meta.push(text);
    else if (text.startsWith('#CHROM')) return { meta, columns: text.split('\t').length, records: it };
  }
}

async function nextRecord(side: Side, regions: BedRegions | undefined): Promise<Buffer | null> {
  for (;;) {
    const r = await side.records.next();
    if (r.done) return null;
    const bytes = r.value.bytes;
    if (bytes.length === 0) continue;
    if (!regions) return bytes;
    const t = tabsOf(bytes, 8);
    const pos = parseUint(bytes, t[0]! + 1, t[1]!);
    const info = bytes.toString('latin1', t[6]! + 1, t[7] ?? bytes.length);
    if (regions.overlaps(bytes.toString('latin1', 0, t[0]!), pos - 1, recordEnd(pos, t[3]! - t[2]! - 1, info))) return bytes;
  }
}

function tabsOf(line: Buffer, n: number): number[] {
  const out: number[] = [];
  for (let at = line.indexOf(9); at >= 0 && out.length < n; at = line.indexOf(9, at + 1)) out.push(at);
  return out;
}

/** The line without its ID column (standard pseudonymization may rewrite it). */
function withoutId(line: Buffer): Buffer {
  const t = tabsOf(line, 3);
  return t.length < 3 ? line : Buffer.concat([line.subarray(0, t[1]!), line.subarray(t[2]!)]);
}

function column(line: Buffer, i: number): string {
  const t = tabsOf(line, i + 1);
  return line.toString('latin1', i === 0 ? 0 : t[i - 1]! + 1, t[i] ?? line.length);
}

function position(line: Buffer): string {
  return `${column(line, 0)}:${column(line, 1)}`;
}

export interface LevelVerifyOptions {
  level: LevelOptions;
  regions?: BedRegions;
  signal?: AbortSignal;
}

/** Run the level checks; never throws for a failing check. */
export async function verifyLevelLines(original: AsyncIterable<Line>, output: AsyncIterable<Line>, options: LevelVerifyOptions): Promise<CheckResult[]> {
  const { level, regions, signal } = options;
  const checks: CheckResult[] = [];
  const orig = await openSide(original);
  const out = await openSide(output);

  const meta = metadataRules(orig.meta, out.meta);
  checks.push({
    name: `${level.level}: reference verifier header rules (##cmdline=. where the original had ##cmdline, ##reference= without a path where it had ##reference)`,
    ok: meta.masked === meta.targets,
    detail: meta.failed.length ? meta.failed.join('; ') : `${meta.masked}/${meta.targets} header targets masked`,
    targets: meta.targets,
    masked: meta.masked,
  });
  if (level.level !== 'high') return checks;

  const defs = new Map<string, FieldDef>();
  for (const l of orig.meta) {
    const d = infoDefinition(l);
    if (d) defs.set(d[0], d[1]);
  }
  const ctx = levelContext(level, defs);
  const str = { targets: 0, exact: 0, reference: 0, bad: [] as string[] };
  const rare = { targets: 0, exact: 0, reference: 0, fromGenotypes: 0, bad: [] as string[] };
  const other = { records: 0, same: 0, bad: [] as string[] };
  let extra = 0;
  for (;;) {
    signal?.throwIfAborted();
    const o = await nextRecord(orig, regions);
    const p = await nextRecord(out, undefined);
    if (!o || !p) {
      if (o || p) extra = 1 + (await countRest(o ? orig : out, o ? regions : undefined));
      break;
    }
    const m = maskRecord(o, orig.columns, ctx);
    if (!m) {
      other.records++;
      if (withoutId(o).equals(withoutId(p))) other.same++;
      else if (other.bad.length < 100) other.bad.push(position(o));
      continue;
    }
    const altIn = column(o, 4);
    const altOut = column(p, 4);
    if (m.kind === 'str') {
      str.targets++;
      // Reference verifier: ALT differs from the original and some ALT holds N.
      if (altOut !== altIn && altOut.split(',').some((a) => a.includes('N'))) str.reference++;
      if (withoutId(m.line).equals(withoutId(p))) str.exact++;
      else if (str.bad.length < 100) str.bad.push(position(o));
    } else {
      rare.targets++;
      if (m.fromGenotypes) rare.fromGenotypes++;
      // Reference verifier: ALT is `.` (after masking, the site is no longer a variant).
      if (altOut.split(',').every((a) => a === '.')) rare.reference++;
      if (m.line.equals(p)) rare.exact++;
      else if (rare.bad.length < 100) rare.bad.push(position(o));
    }
  }
  const countNote = extra ? `; record counts differ (${extra} records unmatched at the end)` : '';
  checks.push({
    name: 'high: every STR target ALT is masked with N (reference verifier rule) and exactly as the STR rule says',
    ok: str.exact === str.targets && str.reference === str.targets && !extra,
    detail: `${str.exact}/${str.targets} STR targets masked exactly, ${str.reference}/${str.targets} pass the reference rule${str.bad.length ? `; first unmasked at ${str.bad[0]}` : ''}${countNote}`,
    targets: str.targets,
    masked: str.exact,
    unmaskedPositions: cappedPositions(str.bad),
  });
  checks.push({
    name: 'high: every rare target has ALT . (reference verifier rule), ID ., genotypes calling no ALT allele and no per-allele field left',
    ok: rare.exact === rare.targets && rare.reference === rare.targets && !extra,
    detail: `${rare.exact}/${rare.targets} rare targets masked exactly (${rare.fromGenotypes} with the MAF from genotypes), ${rare.reference}/${rare.targets} pass the reference rule${rare.bad.length ? `; first unmasked at ${rare.bad[0]}` : ''}${countNote}`,
    targets: rare.targets,
    masked: rare.exact,
    unmaskedPositions: cappedPositions(rare.bad),
  });
  checks.push({
    name: 'high: every record that is not a target is unchanged (every column but ID)',
    ok: other.same === other.records && !extra,
    detail: `${other.same}/${other.records} records unchanged${other.bad.length ? `; first difference at ${other.bad[0]}` : ''}${countNote}`,
    targets: other.records,
    masked: other.same,
    unmaskedPositions: cappedPositions(other.bad),
  });
  return checks;
}

async function countRest(side: Side, regions: BedRegions | undefined): Promise<number> {
  let n = 0;
  while (await nextRecord(side, regions)) n++;
  return n;
}
