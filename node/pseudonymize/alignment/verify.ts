/**
 * `verifyAlignment`: machine-checked "stability" of a pseudonymized SAM/BAM
 * (issue 5, Validation). Both files are read with our own parser; the
 * checks compare them record by record in order. Details give counts and
 * record numbers, never a name, an id or a path.
 *
 * The original's identifiers (read names, @RG ID/SM/LB/PU/BC/DT/CN/DS,
 * RG:Z/LB:Z/PU:Z and barcode/UMI tag values, paths and dates in @PG CL, @CO,
 * @SQ UR) must not appear in the output. Header values of 8+ characters
 * are searched as substrings of the whole decompressed output; shorter ones
 * (SM "1" in vg's NA12878 BAM) would match by chance, and per-record values
 * (read names, 8-base barcodes that also occur in SAM SEQ text) are too
 * many to search, so those are checked as whole values of the places an id
 * can sit: read names, tag values, header field values.
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BedRegions } from '../bed.js';
import type { CheckResult } from '../checks.js';
import { Pseudonymizer } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';
import { readAlignment, type AlignmentRecord } from './alignment-records.js';
import { createHash } from 'node:crypto';
import { openAlignment } from './input.js';
import { pseudonymizeAlignment } from './pseudonymize.js';
import { DROPPED_TAGS_DEFAULT, DROPPED_TAGS_STRICT_EXTRA } from './record-rules.js';
import { samCigarRefLength } from './sam-rewrite.js';
import { SANITIZE_DROPPED_TAGS } from './sanitize.js';
import { SanitizedChecks, type VerifySanitizeOptions } from './verify-sanitized.js';
import type { AlignmentFormat, AlignmentMode } from './types.js';

/** Options of verifyAlignment (the CLI's verify flags). */
export interface VerifyAlignmentOptions {
  format: AlignmentFormat;
  original: string;
  pseudonymized: string;
  /** With the key: names and ids must equal their keyed pseudonyms, and a re-run must give identical bytes. */
  key?: SiteKey;
  /** Mode used; when absent, either mode's retained content is accepted. */
  mode?: AlignmentMode;
  /** Regions used with --regions: the output must equal the original's records inside them. */
  regions?: BedRegions;
  signal?: AbortSignal;
  /** The output was written with --sanitize: records are compared as sanitized, plus the checks of verify-sanitized.ts. */
  sanitize?: VerifySanitizeOptions;
}

const SUBSTRING_MIN = 8;
const ID_TAGS = new Set(['RG', 'LB', 'PU', 'BC', 'QT', 'RX', 'QX', 'OX', 'BZ', 'CR', 'CY', 'CO']);
const HEADER_ID_FIELDS: Record<string, ReadonlySet<string>> = {
  RG: new Set(['ID', 'SM', 'LB', 'PU', 'BC', 'DT', 'CN', 'DS']),
  PG: new Set(['CL', 'DS']),
  SQ: new Set(['UR', 'DS']),
};
const ALLOWED_HEADER: Record<string, ReadonlySet<string>> = {
  HD: new Set(['VN', 'SO', 'GO', 'SS']),
  SQ: new Set(['SN', 'LN', 'M5', 'AS', 'SP', 'AH', 'AN', 'TP']),
  RG: new Set(['ID', 'SM', 'LB', 'PL', 'PM', 'PI', 'FO', 'KS', 'PG']),
  PG: new Set(['ID', 'PN', 'VN', 'PP']),
};

interface HeaderLine { type: string; fields: Array<[string, string]> }

function parseHeader(text: string): HeaderLine[] {
  return text.split('\n').filter(Boolean).map((l) => {
    const f = l.split('\t');
    return { type: f[0]!.slice(1), fields: f.slice(1).map((x) => [x.slice(0, 2), x.slice(3)] as [string, string]) };
  });
}

const tagName = (t: string): string => t.slice(0, 2);
const tagValue = (t: string): string => t.slice(5);

/** Tokens of free text (CL, @CO) that look like paths or dates: what must not survive. */
function sensitiveTokens(value: string): string[] {
  const out = [value];
  for (const tok of value.split(/[\s=,;'"]+/)) {
    if (tok.includes('/') || /\d{4}-\d{2}-\d{2}/.test(tok) || /\.(fa|fasta|fq|fastq|bam|sam|cram|vcf|gz|bed)\b/i.test(tok)) out.push(tok);
  }
  return out;
}

function recordDigestFields(r: AlignmentRecord): string {
  const mateRef = r.mateRef === '=' ? r.ref : r.mateRef;
  return `${r.flag}\t${r.ref}\t${r.pos}\t${r.mapq}\t${r.cigar}\t${mateRef}\t${r.matePos}\t${r.tlen}\t${r.seq}\t${r.qual}`;
}

function inRegions(r: AlignmentRecord, regions: BedRegions): boolean {
  if (r.ref === '*' || r.pos <= 0) return false;
  let end = r.pos;
  if ((r.flag & 4) === 0 && r.cigar !== '*') end = r.pos - 1 + Math.max(1, samCigarRefLength(r.cigar));
  return regions.overlaps(r.ref, r.pos - 1, end);
}

/**
 * The counts `samtools flagstat` prints (QC-passed and QC-failed apart),
 * from FLAG, RNAME, RNEXT and MAPQ: total, primary, secondary,
 * supplementary, duplicates, mapped, primary mapped, primary duplicates,
 * paired, read1, read2, properly paired, both mapped, singletons, mate on
 * another reference (and with MAPQ >= 5), as samtools' bam_stat.c counts them.
 */
class FlagStats {
  private readonly n = new Float64Array(2 * 16);
  add(r: AlignmentRecord): void {
    const f = r.flag;
    const base = (f & 0x200) ? 16 : 0;
    const inc = (i: number): void => { this.n[base + i]! += 1; };
    inc(0);
    if (f & 0x100) inc(2);
    else if (f & 0x800) inc(3);
    else {
      inc(1);
      if (!(f & 4)) inc(14);
      if (f & 0x400) inc(15);
    }
    if (f & 0x400) inc(4);
    if (!(f & 4)) inc(5);
    if ((f & 0x900) === 0 && (f & 1)) {
      inc(6);
      if (f & 0x40) inc(7);
      if (f & 0x80) inc(8);
      if ((f & 2) && !(f & 4)) inc(9);
      if (!(f & 4) && !(f & 8)) {
        inc(10);
        const mateRef = r.mateRef === '=' ? r.ref : r.mateRef;
        if (mateRef !== r.ref) { inc(12); if (r.mapq >= 5) inc(13); }
      }
      if (!(f & 4) && (f & 8)) inc(11);
    }
  }
  key(): string {
    return Array.from(this.n).join(',');
  }
}

/** Bijection checker: orig -> new must be a function and injective. */
class Consistency {
  private readonly fwd = new Map<string, string>();
  private readonly back = new Map<string, string>();
  conflicts = 0;
  firstConflict = 0;
  add(orig: string, now: string, where: number): void {
    const f = this.fwd.get(orig);
    const b = this.back.get(now);
    if ((f !== undefined && f !== now) || (b !== undefined && b !== orig)) {
      this.conflicts++;
      if (!this.firstConflict) this.firstConflict = where;
    }
    this.fwd.set(orig, now);
    this.back.set(now, orig);
  }
}

/** Run every check; never throws for a bad pseudonymized file (its parse check fails instead). */
export async function verifyAlignment(options: VerifyAlignmentOptions): Promise<CheckResult[]> {
  const { format, key, mode, regions, signal } = options;
  const checks: CheckResult[] = [];
  const orig = readAlignment(options.original, format, signal);
  const pseu = readAlignment(options.pseudonymized, format, signal);

  let origHeader = '';
  let pseuHeader = '';
  // Stream both files in step: keep memory bounded by the lag between them (0 without --regions).
  const keptDefault = createHash('sha256');
  const keptStrict = createHash('sha256');
  const outDigest = createHash('sha256');
  const origFlags = new FlagStats();
  const pseuFlags = new FlagStats();
  let nOrig = 0;
  let nOrigKept = 0;
  let nPseu = 0;
  let parseError: string | null = null;
  const names = new Consistency();
  const rgs = new Consistency();
  const namesP = key ? new Pseudonymizer(key, 'read') : null;
  const rgP = key ? new Pseudonymizer(key, 'readgroup') : null;
  let keyedNameMismatch = 0;
  let keyedRgMismatch = 0;
  const leftTags = new Map<string, { count: number; first: number }>();
  const shortIds = new Set<string>();
  const longIds = new Set<string>();
  const outTokens = { names: new Set<string>(), tags: new Set<string>() };
  /** Header values are few: searched as substrings when long. Per-record values (millions of read names) are checked as whole values. */
  const addId = (v: string, substring = true): void => {
    // A value without a letter or digit ('?', '.', '*') names nobody and recurs everywhere.
    if (!v || !/[A-Za-z0-9]/.test(v)) return;
    (substring && v.length >= SUBSTRING_MIN ? longIds : shortIds).add(v);
  };
  const droppable = new Set<string>([...DROPPED_TAGS_DEFAULT, ...DROPPED_TAGS_STRICT_EXTRA, ...(options.sanitize ? SANITIZE_DROPPED_TAGS : [])]);
  const sanitized = options.sanitize ? await SanitizedChecks.open(options.sanitize) : null;
  const strictOnly = new Set<string>(DROPPED_TAGS_STRICT_EXTRA);
  let sawStrictTagInOutput = false;

  const origIt = orig[Symbol.asyncIterator]();
  let origFailed: unknown = null;
  const nextOrig = async (): Promise<AlignmentRecord | null> => {
    for (;;) {
      const n = await origIt.next();
      if (n.done) return null;
      if (n.value.kind === 'header') { origHeader = n.value.text; continue; }
      const r = n.value.record;
      nOrig++;
      addId(r.qname, false);
      for (const t of r.tags) if (ID_TAGS.has(tagName(t))) addId(tagValue(t), false);
      if (regions && !inRegions(r, regions)) continue;
      if (sanitized) {
        const e = await sanitized.expected(r);
        if (!e) continue;
        return e;
      }
      return r;
    }
  };

  try {
    for await (const item of pseu) {
      if (item.kind === 'header') { pseuHeader = item.text; continue; }
      const p = item.record;
      nPseu++;
      outTokens.names.add(p.qname);
      for (const t of p.tags) {
        const name = tagName(t);
        if (t[3] === 'Z' || t[3] === 'H') outTokens.tags.add(tagValue(t));
        if (droppable.has(name)) {
          const seen = leftTags.get(name);
          if (seen) seen.count++;
          else leftTags.set(name, { count: 1, first: nPseu });
        }
        if (strictOnly.has(name)) sawStrictTagInOutput = true;
      }
      pseuFlags.add(p);
      const fields = recordDigestFields(p);
      // NM/MD of a sanitized record are recomputed: checked against the reference by SanitizedChecks.
      const pTags = p.tags.filter((t) => !['RG', 'LB'].includes(tagName(t)) && !(sanitized && ['NM', 'MD'].includes(tagName(t))));
      outDigest.update(`${fields}\t${pTags.join('\t')}\n`);
      let o: AlignmentRecord | null = null;
      if (!origFailed) {
        try { o = await nextOrig(); } catch (err) { origFailed = err; }
      }
      if (o) {
        nOrigKept++;
        addDigests(o);
        if (sanitized) await sanitized.pair(p, nPseu);
        // With the key, equality to the keyed pseudonym proves consistency without a map of every name.
        if (namesP) { if (o.qname !== '*' && namesP.pseudonym(o.qname) !== p.qname) keyedNameMismatch++; }
        else names.add(o.qname, p.qname, nPseu);
        const oRg = o.tags.find((t) => tagName(t) === 'RG');
        const pRg = p.tags.find((t) => tagName(t) === 'RG');
        if ((oRg === undefined) !== (pRg === undefined)) rgs.conflicts++;
        else if (oRg && pRg) {
          rgs.add(tagValue(oRg), tagValue(pRg), nPseu);
          if (rgP && rgP.pseudonym(tagValue(oRg)) !== tagValue(pRg)) keyedRgMismatch++;
        }
      }
    }
  } catch (err) {
    parseError = err instanceof Error ? err.message : 'unreadable';
  }
  // Remaining original records (output shorter than expected).
  if (!origFailed) {
    try {
      for (let o = await nextOrig(); o; o = await nextOrig()) { nOrigKept++; addDigests(o); }
    } catch (err) { origFailed = err; }
  }
  await origIt.return?.(undefined); // closes the original's file if reading stopped early
  function addDigests(o: AlignmentRecord): void {
    origFlags.add(o);
    const fields = recordDigestFields(o);
    const keepD = o.tags.filter((t) => !DROPPED_TAGS_DEFAULT.includes(tagName(t) as never) && !['RG', 'LB'].includes(tagName(t)));
    const keepS = keepD.filter((t) => !strictOnly.has(tagName(t)));
    keptDefault.update(`${fields}\t${keepD.join('\t')}\n`);
    keptStrict.update(`${fields}\t${keepS.join('\t')}\n`);
  }

  checks.push({ name: 'pseudonymized file parses', ok: parseError === null, ...(parseError ? { detail: parseError } : {}) });
  if (origFailed) {
    checks.push({ name: 'original file parses', ok: false, detail: origFailed instanceof Error ? origFailed.message : 'unreadable' });
    await sanitized?.close();
    return checks;
  }
  checks.push({
    name: 'record count',
    ok: nPseu === nOrigKept,
    detail: `${nPseu} records out, ${nOrigKept} expected${regions ? ` (${nOrig} in the original, filtered by regions)` : ''}`,
  });
  const out = outDigest.digest('hex');
  const dDefault = keptDefault.digest('hex');
  const dStrict = keptStrict.digest('hex');
  // Mode evidence: strict drops @PG lines and the strict-only tags.
  const hasPg = (t: string): boolean => /^@PG\t/m.test(t);
  const inferred: AlignmentMode = mode ?? (sawStrictTagInOutput || hasPg(pseuHeader) ? 'default'
    : (hasPg(origHeader) || (out === dStrict && out !== dDefault)) ? 'strict' : 'default');
  checks.push({
    name: 'retained content unchanged (flag, position, mapq, cigar, mate, tlen, seq, qual, kept tags, in order)',
    ok: out === (inferred === 'strict' ? dStrict : dDefault),
    detail: `compared as ${inferred} mode`,
    targets: nOrigKept,
    digests: { original: inferred === 'strict' ? dStrict : dDefault, pseudonymized: out },
  });
  checks.push({ name: 'flag statistics equal (the counts samtools flagstat reports)', ok: origFlags.key() === pseuFlags.key() });
  checks.push(namesP
    ? { name: 'read names consistent (same original, same pseudonym; different originals, different pseudonyms)', ok: keyedNameMismatch === 0, detail: keyedNameMismatch ? `${keyedNameMismatch} read names differ from their keyed pseudonym` : 'each equals its keyed pseudonym' }
    : { name: 'read names consistent (same original, same pseudonym; different originals, different pseudonyms)', ok: names.conflicts === 0, ...(names.conflicts ? { detail: `${names.conflicts} conflicts, first at record ${names.firstConflict}` } : {}) });
  checks.push({ name: 'read groups consistent (RG:Z)', ok: rgs.conflicts === 0, ...(rgs.conflicts ? { detail: `${rgs.conflicts} conflicts` } : {}) });
  const forbidden = [...(inferred === 'strict' ? [...DROPPED_TAGS_DEFAULT, ...DROPPED_TAGS_STRICT_EXTRA] : DROPPED_TAGS_DEFAULT), ...(sanitized ? SANITIZE_DROPPED_TAGS : [])];
  const left = forbidden.map((t) => [t, leftTags.get(t)] as const).filter(([, v]) => v !== undefined);
  const tagsLeft = left.reduce((a, [, v]) => a + v!.count, 0);
  const firstTagLeft = Math.min(...left.map(([, v]) => v!.first));
  checks.push({ name: `dropped tags absent (${forbidden.join(' ')})`, ok: tagsLeft === 0, ...(tagsLeft ? { detail: `${tagsLeft} left (${left.map(([t]) => t).join(' ')}), first in record ${firstTagLeft}` } : {}) });

  // Header: allow-list respected, @SQ and @HD retained.
  const oh = parseHeader(origHeader);
  const ph = parseHeader(pseuHeader);
  const badHeader: string[] = [];
  for (const [i, l] of ph.entries()) {
    const allow = ALLOWED_HEADER[l.type];
    if (!allow) badHeader.push(`line ${i + 1}: @${l.type} line kept`);
    else for (const [t] of l.fields) if (!allow.has(t)) badHeader.push(`line ${i + 1}: @${l.type} ${t} kept`);
  }
  const sq = (h: HeaderLine[]): string => h.filter((l) => l.type === 'SQ' || l.type === 'HD').map((l) => l.fields.filter(([t]) => ALLOWED_HEADER[l.type]!.has(t)).map(([t, v]) => `${t}:${v}`).join('\t')).join('\n');
  if (sq(oh) !== sq(ph)) badHeader.push('@HD/@SQ lines differ');
  if (inferred === 'strict' && ph.some((l) => l.type === 'PG')) badHeader.push('@PG lines kept in strict mode');
  const rgCount = (h: HeaderLine[]): number => h.filter((l) => l.type === 'RG').length;
  if (rgCount(oh) !== rgCount(ph)) badHeader.push('@RG line count differs');
  checks.push({ name: 'header: only allowed lines and fields, @HD/@SQ retained, @RG lines kept', ok: badHeader.length === 0, ...(badHeader.length ? { detail: badHeader.slice(0, 5).join('; ') } : {}) });

  // Header identifiers from the original.
  for (const l of oh) {
    if (l.type === 'CO') { for (const t of sensitiveTokens(l.fields.map(([a, b]) => `${a}:${b}`).join('\t'))) addId(t); continue; }
    const idFields = HEADER_ID_FIELDS[l.type];
    if (!idFields) continue;
    for (const [t, v] of l.fields) {
      if (!idFields.has(t)) continue;
      if (t === 'CL' || t === 'DS' || t === 'UR') for (const tok of sensitiveTokens(v)) addId(tok);
      else addId(v);
    }
  }
  if (key) {
    const smP = new Pseudonymizer(key, 'sample');
    const rgHP = new Pseudonymizer(key, 'readgroup');
    const oRG = oh.filter((l) => l.type === 'RG');
    const pRG = ph.filter((l) => l.type === 'RG');
    for (let i = 0; i < Math.min(oRG.length, pRG.length); i++) {
      const get = (l: HeaderLine, t: string): string | undefined => l.fields.find(([x]) => x === t)?.[1];
      const oid = get(oRG[i]!, 'ID');
      const osm = get(oRG[i]!, 'SM');
      if (oid !== undefined && rgHP.pseudonym(oid) !== get(pRG[i]!, 'ID')) keyedRgMismatch++;
      if (osm !== undefined && smP.pseudonym(osm) !== get(pRG[i]!, 'SM')) keyedRgMismatch++;
    }
    checks.push({ name: 'names and ids equal their keyed pseudonyms under this key', ok: keyedNameMismatch === 0 && keyedRgMismatch === 0, ...(keyedNameMismatch + keyedRgMismatch ? { detail: `${keyedNameMismatch} read names, ${keyedRgMismatch} read-group/sample ids differ` } : {}) });
  }

  // Nothing left.
  const longFound = await countSubstrings(options.pseudonymized, [...longIds], signal);
  for (const l of ph) if (l.type !== 'SQ' && l.type !== 'HD') for (const [t, v] of l.fields) if (t !== 'PI') outTokens.tags.add(v);
  let shortFound = 0;
  for (const v of shortIds) if (outTokens.names.has(v) || outTokens.tags.has(v)) shortFound++;
  checks.push({
    name: 'nothing left: no original read name, read-group/sample/library id, platform unit, barcode, path or date in the output',
    ok: longFound === 0 && shortFound === 0,
    detail: `${longIds.size + shortIds.size} original identifiers checked; ${longFound + shortFound} found`,
  });
  if (sanitized) {
    checks.push(...sanitized.results());
    await sanitized.close();
  }

  if (key && !regions) {
    const dir = await mkdtemp(join(tmpdir(), 'genofed-verify-'));
    try {
      const again = join(dir, format === 'bam' ? 'again.bam' : 'again.sam');
      await pseudonymizeAlignment({ format, input: options.original, output: again, key, mode: inferred, sanitize: options.sanitize });
      const same = await sameBytes(again, options.pseudonymized);
      checks.push({ name: `deterministic: a re-run with the key (${inferred} mode) gives byte-identical output`, ok: same });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return checks;
}

/**
 * How many of `needles` occur anywhere in the decompressed file, streaming
 * (chunks overlap by the longest needle minus one byte, so a match across a
 * chunk boundary is found). Cost is needles x bytes: a few hundred header
 * values x a panel BAM is seconds; for whole genomes this is the slow check.
 */
async function countSubstrings(path: string, needles: string[], signal?: AbortSignal): Promise<number> {
  if (needles.length === 0) return 0;
  const bufs = needles.map((n) => Buffer.from(n, 'utf8'));
  const overlap = Math.max(...bufs.map((b) => b.length)) - 1;
  const found = new Set<number>();
  const input = await openAlignment(path, signal);
  let tail: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of input.chunks) {
      const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      for (let i = 0; i < bufs.length; i++) if (!found.has(i) && window.includes(bufs[i]!)) found.add(i);
      if (found.size === bufs.length) break;
      tail = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
    }
  } catch {
    // A broken output is already reported by the parse check; count what could be read.
  } finally {
    input.close();
  }
  return found.size;
}

/** Byte equality of two files, 1 MiB at a time (outputs can be tens of GB). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  if ((await stat(a)).size !== (await stat(b)).size) return false;
  const fa = await open(a, 'r');
  const fb = await open(b, 'r');
  try {
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length), fb.read(bb, 0, bb.length)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) return true;
    }
  } finally {
    await fa.close();
    await fb.close();
  }
}
