/**
 * `genofed verify vcf`: machine-checked "stability" of a pseudonymized VCF
 * against its original (issue 5, Validation). Every check reports counts and
 * line numbers, never an id, a genotype or a path.
 *
 * Checks: the output parses (own parser; plus `bcftools view` when
 * installed); the sample count is unchanged and every sample column is a
 * pseudonym (with the key: the pseudonym of the original in the same
 * column); the `##genofed_pseudonyms` line is present once and well-formed
 * (with the key: its MAC verifies over the sample names); the digest of what `bcftools query -f
 * '%CHROM\t%POS\t%REF\t%ALT\t%QUAL\t%FILTER\t%INFO[\t%GT]\n'` prints is
 * equal (computed here from both files); retained header lines are
 * byte-identical (definitions: up to local paths reduced to file names) and
 * no INFO/FORMAT/FILTER/ALT/contig definition was lost;
 * no original sample id, non-rs variant id or value of a dropped header line
 * appears in the output; with the key, re-pseudonymizing the original gives
 * byte-identical output (determinism).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { NodeError } from '../../errors.js';
import { readLines, type Line } from '../../io/lines.js';
import { openInput } from '../../io/open-input.js';
import { validatedVcfLines } from '../../vcf/line-validator.js';
import type { BedRegions } from '../bed.js';
import { cappedPositions, type CheckResult } from '../checks.js';
import { PSEUDONYM_PATTERN, PseudonymCache } from '../pseudonym.js';
import { PSEUDONYMS_META_KEY, isPseudonymsMetaLine, parsePseudonymsMetaLine, sampleListMacVerifies } from '../sample-list-mac.js';
import type { SiteKey } from '../site-key.js';
import { forEachTokenHash, hashToken, tokenParts, tokensOf } from '../tokens.js';
import { DATE_PATTERN, classifyMetaLine, hasPathOrUrl, metaKey, parseStructured, reducePaths } from './header-rules.js';
import { MASKED_CMDLINE } from './level-header.js';
import { levelOptions, type VcfLevel } from './level-rules.js';
import { emptyVcfReport, pseudonymizeVcfLines, type PseudonymizeMode } from './pseudonymize-vcf.js';
import { countColumns, idColumnIsPublic, parseUint, recordEnd, tabOffsets } from './records.js';
import { verifyLevelLines } from './verify-level.js';

export interface VerifyVcfOptions {
  original: string;
  pseudonymized: string;
  key?: SiteKey;
  mode?: PseudonymizeMode;
  /** The `--regions` used when pseudonymizing: the original is filtered the same way before comparing. */
  regions?: BedRegions;
  /** Run `bcftools view` on the output when bcftools is installed (default true). */
  useBcftools?: boolean;
  /** The guideline level and its parameters used when pseudonymizing (README "VCF levels"; default standard). */
  level?: VcfLevel;
  maf?: number;
  strMinRepeat?: number;
  strMotif?: readonly [number, number];
  signal?: AbortSignal;
}

interface VcfSummary {
  meta: string[];
  samples: string[];
  records: number;
  digest: string;
  /** 1-based number of the first line that failed to parse, and why. */
  parseError?: { line: number; what: string };
  /**
   * One 64-bit digest prefix per block of BLOCK records: locates the first
   * difference to a block while memory stays O(records / 1024) (a
   * whole-genome VCF has ~80 M records).
   */
  blockHashes: string[];
}

const TAB = 9;
/** Records per block digest (see VcfSummary.blockHashes). */
const BLOCK = 1024;

/**
 * Write the record's canonical text (what `bcftools query -f
 * '%CHROM\t%POS\t%REF\t%ALT\t%QUAL\t%FILTER\t%INFO[\t%GT]\n'` prints,
 * minus htslib's own normalizations, which apply equally to both files)
 * into `scratch` and return its length: one hash update per record instead
 * of a hash object per record (a gVCF has ~100 k short records).
 */
function canonicalRecord(bytes: Buffer, tabs: Int32Array, columns: number, gtIndex: number, fmtEnd: number, scratch: { buf: Buffer }): number {
  const nSamples = Math.max(0, columns - 9);
  if (scratch.buf.length < bytes.length + 2 * nSamples + 2) scratch.buf = Buffer.alloc((bytes.length + 2 * nSamples + 2) * 2);
  const out = scratch.buf;
  let o = bytes.copy(out, 0, 0, tabs[1]!);
  o += bytes.copy(out, o, tabs[2]!, columns > 8 ? tabs[7]! : bytes.length);
  let i = fmtEnd + 1;
  for (let s = 0; s < nSamples; s++) {
    out[o++] = TAB;
    if (gtIndex < 0) {
      out[o++] = 0x2e;
      while (i < bytes.length && bytes[i] !== TAB) i++;
    } else {
      let field = 0;
      while (i < bytes.length && bytes[i] !== TAB) {
        const c = bytes[i]!;
        if (c === 0x3a) field++;
        else if (field === gtIndex) out[o++] = c;
        i++;
      }
      if (field < gtIndex) out[o++] = 0x2e;
    }
    i++;
  }
  out[o++] = 10;
  return o;
}

interface Analysis {
  summary: VcfSummary;
  /** Identifiers of the original that must not reappear, by kind. */
  needles: Map<string, string>;
  /** Tokens of the original's retained content: a needle also found there cannot be checked. */
  benign: Set<number>;
  /** Numeric or short needles checked in the output header text only (dates of dropped lines). */
  headerNeedles: Set<string>;
}

type OnHash = (hash: number, bytes: Buffer, start: number, end: number, line: number) => void;

async function analyze(lines: AsyncIterable<Line>, role: 'original' | 'output', regions: BedRegions | undefined, signal?: AbortSignal, onHash?: OnHash): Promise<Analysis> {
  const summary: VcfSummary = { meta: [], samples: [], records: 0, digest: '', blockHashes: [] };
  const needles = new Map<string, string>();
  const benign = new Set<number>();
  const headerNeedles = new Set<string>();
  const total = createHash('sha256');
  let block = createHash('sha256');
  let columns = 0;
  const tabs = new Int32Array(8);
  const scratch = { buf: Buffer.alloc(1 << 16) };
  let lastFormat = '';
  let gtIndex = -1;
  const addNeedle = (t: string, kind: string, min = 3): void => {
    for (const p of tokenParts(t)) if (p.length >= min && /[A-Za-z]/.test(p)) needles.set(p, kind);
  };
  const addBenign = (text: string): void => {
    for (const t of tokensOf(text)) for (const p of tokenParts(t)) benign.add(hashToken(p));
  };
  const fail = (line: number, what: string): void => {
    summary.parseError ??= { line, what };
  };
  const dummyCtx = { mode: 'default' as const, cache: { get: () => 'x' } as unknown as PseudonymCache };

  for await (const { bytes, number } of lines) {
    signal?.throwIfAborted();
    if (summary.parseError) break;
    if (columns === 0) {
      const text = bytes.toString('utf8');
      if (number === 1 && !text.startsWith('##fileformat=VCF')) {
        fail(1, 'first line is not ##fileformat=VCF');
        break;
      }
      if (role === 'output' && onHash) forEachTokenHash(bytes, 0, bytes.length, 3, (h, s0, e0) => onHash(h, bytes, s0, e0, number));
      if (text.startsWith('##')) {
        summary.meta.push(text);
        if (role === 'original') {
          const key = metaKey(text);
          const verdict = classifyMetaLine(text, dummyCtx);
          if (key === 'SAMPLE' || key === 'PEDIGREE') {
            if (verdict.action === 'rewrite') addBenign(verdict.line);
            for (const [k, v] of parseStructured(text.slice(key.length + 3)) ?? []) {
              const value = v.replace(/^"|"$/g, '');
              if (key === 'PEDIGREE' || k === 'ID') addNeedle(value, 'sample id in header');
              else if (k !== 'Genomes' && k !== 'Mixture') for (const t of tokensOf(value, 4)) addNeedle(t, 'value of a dropped header field', 4);
            }
          } else if (verdict.action === 'drop' || verdict.action === 'rewrite') {
            const value = text.slice(key.length + 3);
            for (const t of tokensOf(value, 4)) if (hasPathOrUrl(t) || t.includes('/')) addNeedle(t, 'path from a dropped header field', 4);
            if (verdict.action === 'drop') {
              for (const t of tokensOf(value, 4)) addNeedle(t, 'value of a dropped header line', 4);
              const dates = value.match(new RegExp(DATE_PATTERN.source, 'g')) ?? [];
              for (const d of dates) headerNeedles.add(d);
            }
            if (verdict.action === 'rewrite') addBenign(verdict.line);
          } else {
            addBenign(text);
          }
        }
        continue;
      }
      if (!text.startsWith('#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO')) {
        fail(number, 'missing or malformed #CHROM header line');
        break;
      }
      const cols = text.split('\t');
      columns = cols.length;
      summary.samples = cols.slice(9);
      if (role === 'original') {
        for (const s of summary.samples) addNeedle(s.trim(), 'sample id');
        addBenign(cols.slice(0, 9).join('\t'));
      }
      continue;
    }
    if (bytes.length === 0) continue;
    const need = Math.min(8, columns - 1);
    if (tabOffsets(bytes, need, tabs) < need) {
      fail(number, `record has fewer than ${columns} columns`);
      break;
    }
    const n = columns > 8 ? countColumns(bytes, tabs[7]! + 1) + 8 : countColumns(bytes, tabs[6]! + 1) + 7;
    if (n !== columns) {
      fail(number, `record has ${n} columns, the header has ${columns}`);
      break;
    }
    const pos = parseUint(bytes, tabs[0]! + 1, tabs[1]!);
    if (!Number.isFinite(pos)) {
      fail(number, 'POS is not an integer');
      break;
    }
    if (regions) {
      const info = bytes.toString('latin1', tabs[6]! + 1, columns > 8 ? tabs[7]! : bytes.length);
      if (!regions.overlaps(bytes.toString('latin1', 0, tabs[0]!), pos - 1, recordEnd(pos, tabs[3]! - tabs[2]! - 1, info))) continue;
    }
    summary.records++;
    // Digest of CHROM POS REF ALT QUAL FILTER INFO [GT...], as bcftools query prints them, per block of records.
    let fmtEnd = -1;
    if (columns > 9) {
      fmtEnd = bytes.indexOf(TAB, tabs[7]! + 1);
      const format = bytes.toString('latin1', tabs[7]! + 1, fmtEnd);
      if (format !== lastFormat) {
        lastFormat = format;
        gtIndex = format.split(':').indexOf('GT');
      }
    }
    const length = canonicalRecord(bytes, tabs, columns, gtIndex, fmtEnd, scratch); // may grow scratch.buf: read it after
    block.update(scratch.buf.subarray(0, length));
    if (summary.records % BLOCK === 0) {
      const d = block.digest();
      total.update(d);
      summary.blockHashes.push(d.toString('base64', 0, 8));
      block = createHash('sha256');
    }
    // Identifier bookkeeping.
    const idStart = tabs[1]! + 1;
    const idEnd = tabs[2]!;
    if (role === 'original') {
      const id = bytes.toString('utf8', idStart, idEnd);
      if (!idColumnIsPublic(id)) for (const part of id.split(';')) if (!/^rs\d+$/.test(part)) addNeedle(part, 'variant id');
      forEachTokenHash(bytes, 0, idStart, 3, (h) => benign.add(h));
      forEachTokenHash(bytes, idEnd, bytes.length, 3, (h) => benign.add(h));
    } else if (onHash) {
      forEachTokenHash(bytes, 0, bytes.length, 3, (h, s0, e0) => onHash(h, bytes, s0, e0, number));
    }
  }
  if (summary.records % BLOCK !== 0) {
    const d = block.digest();
    total.update(d);
    summary.blockHashes.push(d.toString('base64', 0, 8));
  }
  summary.digest = total.digest('hex');
  return { summary, needles, benign, headerNeedles };
}

async function withLines<T>(path: string, signal: AbortSignal | undefined, fn: (lines: AsyncIterable<Line>) => Promise<T>): Promise<T> {
  const input = await openInput(path);
  try {
    return await fn(readLines(input.stream as Readable, signal));
  } finally {
    input.stream.destroy();
  }
}

function firstMismatch(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i + 1;
  return a.length === b.length ? 0 : n + 1;
}

/** Runs `bcftools view` on the file; resolves to null when bcftools is not installed. */
export function bcftoolsAccepts(path: string): Promise<{ ok: boolean; detail: string } | null> {
  return new Promise((resolve) => {
    const child = spawn('bcftools', ['view', '-Ov', '-o', '/dev/null', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve({ ok: code === 0, detail: code === 0 ? 'bcftools view exit 0' : `bcftools view exit ${code ?? 'signal'}${/\[E::/.test(stderr) ? ' (htslib error)' : ''}` }));
  });
}

/** Run every check; never throws for a failing check (only for unreadable inputs). */
export async function verifyVcf(options: VerifyVcfOptions): Promise<CheckResult[]> {
  const { signal, regions } = options;
  const levels = levelOptions(options);
  const checks: CheckResult[] = [];
  // The original passes ingest's validation (node/vcf/line-validator.ts) or verify stops with ingest's code and file:line message.
  const orig = await withLines(options.original, signal, (l) => analyze(validatedVcfLines(l, { label: basename(options.original) }), 'original', regions, signal));
  if (orig.summary.parseError) {
    throw new NodeError('GENOFED_INPUT_FORMAT', `${basename(options.original)}: line ${orig.summary.parseError.line}: ${orig.summary.parseError.what}`);
  }
  const searchable = new Map([...orig.needles].filter(([t]) => !orig.benign.has(hashToken(t))));
  const searchableHashes = new Set([...searchable.keys()].map(hashToken));
  const hits = new Map<string, { count: number; firstLine: number }>();
  let ingestProblem: unknown;
  const out = await withLines(options.pseudonymized, signal, (l) => analyze(validatedVcfLines(l, { label: basename(options.pseudonymized) }, (err) => { ingestProblem = err; }), 'output', undefined, signal, (h, bytes, start, end, line) => {
    if (!searchableHashes.has(h)) return;
    // A hash hit (rare) is confirmed on the decoded token: no false alarm from a hash collision.
    for (const p of tokenParts(bytes.toString('utf8', start, end))) {
      const kind = hashToken(p) === h ? searchable.get(p) : undefined;
      if (kind !== undefined) {
        const hit = hits.get(kind) ?? { count: 0, firstLine: line };
        hit.count++;
        hits.set(kind, hit);
      }
    }
  }));

  // 1. Parses.
  const pe = out.summary.parseError;
  checks.push({ name: 'output parses as VCF', ok: !pe, detail: pe ? `line ${pe.line}: ${pe.what}` : `${out.summary.records} records, ${out.summary.samples.length} samples` });
  // The messages are ingest's: file basename, line and kind of problem, never data.
  checks.push({ name: 'node ingest would accept the output (its VCF validation, lenient as ingest runs)', ok: ingestProblem === undefined, detail: ingestProblem === undefined ? 'no fatal problem' : ingestProblem instanceof Error ? ingestProblem.message : 'rejected' });
  if (options.useBcftools !== false) {
    const bt = await bcftoolsAccepts(options.pseudonymized);
    if (bt && !bt.ok) {
      // htslib 1.16 rejects some valid inputs (e.g. VCFv4.4 features): then the original is the reference.
      const bo = await bcftoolsAccepts(options.original);
      if (bo && !bo.ok) checks.push({ name: 'bcftools view accepts the output', ok: true, detail: `bcftools rejects the original as well (${bo.detail}); own parser used` });
      else checks.push({ name: 'bcftools view accepts the output', ok: false, detail: bt.detail });
    } else if (bt) checks.push({ name: 'bcftools view accepts the output', ok: true, detail: bt.detail });
  }

  // 2. Samples.
  const os = orig.summary.samples;
  const ps = out.summary.samples;
  checks.push({ name: 'sample count unchanged', ok: os.length === ps.length, detail: `${os.length} -> ${ps.length}` });
  if (options.key) {
    const cache = new PseudonymCache(options.key);
    const bad = os.map((s, i) => (cache.get('sample', s) === ps[i] ? -1 : i + 1)).filter((i) => i > 0);
    checks.push({ name: 'each sample column holds the pseudonym of the original sample in the same column', ok: bad.length === 0 && os.length === ps.length, detail: bad.length ? `${bad.length} columns differ, first at sample column ${bad[0]}` : `key ${options.key.keyId} v${options.key.version}`, targets: os.length, masked: os.length - bad.length, unmaskedPositions: cappedPositions(bad.map((i) => `sample column ${i}`)) });
  } else {
    const badAt = ps.flatMap((s, i) => (PSEUDONYM_PATTERN.test(s) ? [] : [`sample column ${i + 1}`]));
    const bad = badAt.length;
    checks.push({ name: 'every sample column is a genofed pseudonym', ok: bad === 0 && new Set(ps).size === ps.length, detail: bad ? `${bad} sample names are not pseudonyms` : 'pattern and uniqueness only (no key given)', targets: ps.length, masked: ps.length - bad, unmaskedPositions: cappedPositions(badAt) });
  }

  // 2b. The sample-list MAC line that ingest checks (sample-list-mac.ts).
  if (ps.length > 0) {
    const lines = out.summary.meta.filter(isPseudonymsMetaLine);
    const parsed = lines.length === 1 ? parsePseudonymsMetaLine(lines[0]!) : null;
    if (options.key) {
      const ok = !!parsed && parsed.keyId === options.key.keyId && sampleListMacVerifies(options.key, ps, parsed.mac);
      checks.push({ name: 'the ##genofed_pseudonyms MAC verifies over the sample names under the key', ok, detail: ok ? `key ${options.key.keyId}` : parsed ? (parsed.keyId === options.key.keyId ? 'MAC differs' : `line names key ${parsed.keyId}`) : `${lines.length} ##genofed_pseudonyms lines (one well-formed expected)` });
    } else {
      checks.push({ name: 'one well-formed ##genofed_pseudonyms line', ok: !!parsed, detail: parsed ? `key ${parsed.keyId} (MAC not checked: no key given)` : `${lines.length} lines, ${lines.filter((l) => parsePseudonymsMetaLine(l)).length} well-formed` });
    }
  }

  // 3. Content digest. Levels: low and high add the reference verifier's header rules; high changes target
  // records by design, so verify-level.ts compares every record in lock-step instead of the digest.
  if (levels.level !== 'standard') checks.push(...(await withLines(options.original, signal, (o) => withLines(options.pseudonymized, signal, (p) => verifyLevelLines(o, p, { level: levels, regions, signal })))));
  const mismatch = firstMismatch(orig.summary.blockHashes, out.summary.blockHashes);
  const from = (mismatch - 1) * BLOCK + 1;
  const to = Math.min(mismatch * BLOCK, Math.max(orig.summary.records, out.summary.records));
  if (levels.level !== 'high') checks.push({
    name: 'record content digest equal (CHROM POS REF ALT QUAL FILTER INFO and GT per sample)',
    ok: !pe && orig.summary.digest === out.summary.digest,
    detail: mismatch ? `records ${orig.summary.records} -> ${out.summary.records}; first difference in records ${from}-${to}` : `${out.summary.records} records, sha256 ${out.summary.digest.slice(0, 16)}`,
    targets: orig.summary.records,
    ...(mismatch ? { unmaskedPositions: [`records ${from}-${to}`] } : {}),
    digests: { original: orig.summary.digest, pseudonymized: out.summary.digest },
  });

  // 4. Header lines retained unchanged.
  const origMeta = new Set(orig.summary.meta.flatMap((l) => [l, reducePaths(l)]));
  const origContigs = new Map(orig.summary.meta.filter((l) => l.startsWith('##contig=')).map((l) => [parseStructured(l.slice(9))?.find(([k]) => k === 'ID')?.[1] ?? l, l]));
  let foreign = 0;
  let firstForeign = 0;
  out.summary.meta.forEach((line, i) => {
    if (origMeta.has(line)) return;
    const key = metaKey(line);
    let ok = false;
    if (key === PSEUDONYMS_META_KEY) ok = parsePseudonymsMetaLine(line) !== null; // checked on its own below
    else if (line === MASKED_CMDLINE && levels.level !== 'standard') ok = true; // the levels' masked command line (level-header.ts)
    else if (key === 'reference') ok = /^##reference=[A-Za-z0-9.-]+$/.test(line);
    else if (key === 'contig') {
      const f = parseStructured(line.slice(9));
      const o = origContigs.get(f?.find(([k]) => k === 'ID')?.[1] ?? '');
      const of = o ? parseStructured(o.slice(9)) : null;
      ok = !!f && !!of && f.every(([k, v]) => of.some(([k2, v2]) => k === k2 && v === v2));
    } else if (key === 'SAMPLE' || key === 'PEDIGREE') {
      const f = parseStructured(line.slice(key.length + 3)) ?? [];
      ok = f.every(([k, v]) => (key === 'SAMPLE' && k !== 'ID') || PSEUDONYM_PATTERN.test(v));
    }
    if (!ok) {
      foreign++;
      firstForeign ||= i + 1;
    }
  });
  const defs = (meta: string[]): Set<string> => new Set(meta.filter((l) => /^##(INFO|FORMAT|FILTER|ALT|contig)=/.test(l)).map((l) => `${metaKey(l)}:${parseStructured(l.slice(metaKey(l).length + 3))?.find(([k]) => k === 'ID')?.[1] ?? ''}`));
  const outDefs = defs(out.summary.meta);
  const lost = [...defs(orig.summary.meta)].filter((d) => !outDefs.has(d));
  checks.push({
    name: 'retained header lines are byte-identical and no INFO/FORMAT/FILTER/ALT/contig definition was lost',
    ok: foreign === 0 && lost.length === 0,
    detail: foreign || lost.length ? `${foreign} header lines not in the original (first: header line ${firstForeign}); ${lost.length} definitions lost` : `${out.summary.meta.length} meta lines checked`,
  });

  // 5. Nothing left.
  const outHeader = out.summary.meta.join('\n') + '\n' + out.summary.samples.join('\t');
  const headerHits = [...orig.headerNeedles].filter((d) => outHeader.includes(d)).length;
  const verbatimSamples = ps.filter((s) => os.includes(s)).length;
  const unsearchable = orig.needles.size - searchable.size;
  const hitText = [...hits].map(([kind, h]) => `${h.count} x ${kind} (first at line ${h.firstLine})`).join('; ');
  checks.push({
    name: 'no original sample id, non-rs variant id, path or date from a dropped field appears in the output',
    ok: hits.size === 0 && headerHits === 0 && verbatimSamples === 0,
    detail: hits.size || headerHits || verbatimSamples
      ? [hitText, headerHits ? `${headerHits} dates of dropped header lines in the header` : '', verbatimSamples ? `${verbatimSamples} sample columns keep an original name` : ''].filter(Boolean).join('; ')
      : `${searchable.size} identifiers searched${unsearchable ? ` (${unsearchable} also occur in retained content and were checked by position only)` : ''}`,
    targets: searchable.size,
    unmaskedPositions: cappedPositions([...hits.values()].map((h) => `line ${h.firstLine}`)),
  });

  // 6. Determinism.
  if (options.key) {
    const key = options.key;
    const expected = await withLines(options.original, signal, async (lines) => {
      const h = createHash('sha256');
      const levelArgs = { level: levels.level, maf: levels.maf, strMinRepeat: levels.strMinRepeat, strMotif: levels.strMotif };
      for await (const chunk of pseudonymizeVcfLines(lines, { key, mode: options.mode ?? 'default', regions, label: basename(options.original), signal, ...levelArgs }, emptyVcfReport(key, options.mode ?? 'default'))) h.update(chunk);
      return h.digest('hex');
    });
    const actual = await withLines(options.pseudonymized, signal, async (lines) => {
      const h = createHash('sha256');
      for await (const { bytes } of lines) {
        h.update(bytes);
        h.update('\n');
      }
      return h.digest('hex');
    });
    checks.push({ name: 're-pseudonymizing the original with the key gives byte-identical output', ok: expected === actual, detail: expected === actual ? `mode ${options.mode ?? 'default'}` : `decompressed output differs (mode ${options.mode ?? 'default'}${regions ? ', with regions' : ''})`, digests: { expected, actual } });
  }
  return checks;
}
