/**
 * The guideline levels' record rules (issue 13), as the reference tool
 * `labhai/VCF-Anonymization` (vcf_anonymizer.py) applies them, plus what
 * genofed adds so that a masked record stays valid VCF. Pure functions over
 * one record's bytes: no I/O. `pseudonymize-vcf.ts` applies them and
 * `verify-level.ts` checks outputs against them.
 *
 * high = STR masking in ALT (motif of 1-6 bp repeated >= 7 times: a 1 bp
 * run becomes N, a 2-6 bp run keeps each unit's first base), else
 * rare-variant masking (site MAF < 0.01 -> ALT `.`). See the README, "VCF
 * levels", for every choice made where the reference tool is silent.
 */
import { NodeError } from '../../errors.js';

export type VcfLevel = 'standard' | 'low' | 'high';
export const VCF_LEVELS: readonly VcfLevel[] = ['standard', 'low', 'high'];

/** Validated, immutable level parameters. */
export interface LevelOptions {
  readonly level: VcfLevel;
  /** Rare threshold: a site is rare when its MAF is strictly below it (reference default 0.01). */
  readonly maf: number;
  /** Minimum number of motif repeats (reference default 7). */
  readonly strMinRepeat: number;
  /** Motif lengths, inclusive (reference default 1-6). */
  readonly strMotif: readonly [number, number];
}

/** The reference tool's defaults (`--maf 0.01 --min-repeat 7 --min-motif 1 --max-motif 6`). */
export const DEFAULT_LEVEL: LevelOptions = Object.freeze({ level: 'standard', maf: 0.01, strMinRepeat: 7, strMotif: Object.freeze([1, 6] as const) });

/**
 * Validate level parameters once (config rule: fail fast naming the field).
 * Bounds: 2 repeats at least (1 would mask every base); motifs of at most
 * 20 bp (the guideline names 1-6; longer repeats are minisatellites).
 */
export function levelOptions(input: { level?: string; maf?: number; strMinRepeat?: number; strMotif?: readonly [number, number] | string }): LevelOptions {
  const level = (input.level ?? 'standard') as VcfLevel;
  if (!VCF_LEVELS.includes(level)) throw new NodeError('GENOFED_USAGE', '--level must be standard, low or high');
  const maf = input.maf ?? DEFAULT_LEVEL.maf;
  if (!Number.isFinite(maf) || maf < 0 || maf > 0.5) throw new NodeError('GENOFED_USAGE', '--maf must be a number from 0 to 0.5');
  const strMinRepeat = input.strMinRepeat ?? DEFAULT_LEVEL.strMinRepeat;
  if (!Number.isInteger(strMinRepeat) || strMinRepeat < 2 || strMinRepeat > 1000) throw new NodeError('GENOFED_USAGE', '--str-min-repeat must be an integer from 2 to 1000');
  let motif = input.strMotif ?? DEFAULT_LEVEL.strMotif;
  if (typeof motif === 'string') {
    const m = /^(\d+)(?:-(\d+))?$/.exec(motif.trim());
    if (!m) throw new NodeError('GENOFED_USAGE', '--str-motif must be N or MIN-MAX (e.g. 1-6)');
    motif = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const [lo, hi] = motif;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 20) throw new NodeError('GENOFED_USAGE', '--str-motif must be MIN-MAX with 1 <= MIN <= MAX <= 20');
  return Object.freeze({ level, maf, strMinRepeat, strMotif: Object.freeze([lo, hi] as const) });
}

// ---------------------------------------------------------------- STR

/** What the STR rule needs, compiled once per run. */
export interface StrRule {
  readonly minRepeat: number;
  /** `([ACGT]{k})\1{minRepeat-1,}` for k = min..max, shortest motif first (the reference tries them in this order). */
  readonly patterns: readonly RegExp[];
  /** `(?:motif){minRepeat,}` per motif seen: a 2,504-sample file repeats the same few motifs. */
  readonly runs: Map<string, RegExp>;
}

export function strRule(options: LevelOptions): StrRule {
  const patterns: RegExp[] = [];
  for (let k = options.strMotif[0]; k <= options.strMotif[1]; k++) patterns.push(new RegExp(`([ACGT]{${k}})\\1{${options.strMinRepeat - 1},}`));
  return { minRepeat: options.strMinRepeat, patterns, runs: new Map() };
}

/**
 * Mask one ALT allele, or return null when it holds no STR. As the
 * reference: the first motif length (shortest first) with a run decides the
 * motif (the leftmost run of that length); then every run of that motif
 * repeated >= minRepeat times is masked: a 1 bp motif's run becomes all N,
 * a longer motif keeps the first base of each unit (`ACACAC...` ->
 * `ANANAN...`). Upper-case ACGT only, as the reference's pattern.
 */
export function maskStrAllele(alt: string, rule: StrRule): string | null {
  for (const p of rule.patterns) {
    const m = p.exec(alt);
    if (!m) continue;
    const motif = m[1]!;
    let run = rule.runs.get(motif);
    if (!run) {
      run = new RegExp(`(?:${motif}){${rule.minRepeat},}`, 'g');
      rule.runs.set(motif, run);
    }
    const unit = motif.length === 1 ? 'N' : motif[0]! + 'N'.repeat(motif.length - 1);
    return alt.replace(run, (seg) => unit.repeat(seg.length / motif.length));
  }
  return null;
}

/** Mask every ALT allele of a comma-separated ALT column; null when none holds an STR. */
export function maskStrAlt(alt: string, rule: StrRule): string | null {
  let changed = false;
  const out = alt.split(',').map((a) => {
    const m = maskStrAllele(a, rule);
    if (m === null) return a;
    changed = true;
    return m;
  });
  return changed ? out.join(',') : null;
}

// ---------------------------------------------------------------- MAF

/** Number and Type of an INFO or FORMAT definition (`##INFO=<ID=AF,Number=A,Type=Float,...>`). */
export interface FieldDef {
  readonly number: string;
  readonly type: string;
}
export type FieldDefs = ReadonlyMap<string, FieldDef>;

/**
 * Python's `float(x)` on what pysam hands over: decimal and exponent
 * forms, `nan`, `inf`; null where Python raises. Values of a field
 * declared Type=Float go through htslib as 32-bit floats, so they are
 * rounded to float32 (`AF=0.01` reads as 0.0099999998 and is rare at 0.01,
 * as in the reference tool).
 */
export function pyFloat(text: string, float32: boolean): number | null {
  const t = text.trim();
  let v: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) v = Number(t);
  else if (/^[+-]?nan$/i.test(t)) v = Number.NaN;
  else if (/^[+-]?inf(inity)?$/i.test(t)) v = t.startsWith('-') ? -Infinity : Infinity;
  else return null;
  return float32 ? Math.fround(v) : v;
}

/**
 * The values pysam returns for an INFO key: all comma-separated values,
 * except for Number=1 (one scalar) and undeclared keys (htslib assumes
 * Number=1,Type=String: the whole text is one value). Missing (`.`) values
 * are null, as pysam's None.
 */
function infoValues(key: string, raw: string | true, defs: FieldDefs): { values: Array<string | null>; float32: boolean } {
  const def = defs.get(key);
  if (raw === true) return { values: ['1'], float32: false }; // a flag: Python float(True) == 1.0
  if (!def) return { values: [raw === '.' ? null : raw], float32: false };
  const parts = def.number === '1' ? [raw.split(',')[0]!] : raw.split(',');
  return { values: parts.map((p) => (p === '.' ? null : p)), float32: def.type === 'Float' };
}

/** INFO column -> key -> raw value (true for a flag). */
export function parseInfo(info: string): Map<string, string | true> {
  const out = new Map<string, string | true>();
  if (info === '.' || info === '') return out;
  for (const kv of info.split(';')) {
    const eq = kv.indexOf('=');
    if (eq < 0) out.set(kv, true);
    else out.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return out;
}

/** min(1 - sum AF, each AF), the reference tool's site MAF from allele frequencies (ref clipped at 0). */
export function mafOfFrequencies(afs: readonly number[]): number {
  let sum = 0;
  for (const a of afs) sum += a;
  // Python's max(0.0, x) and min([...]) keep the earlier value unless a later one compares greater/smaller: NaN never replaces.
  let maf = 1 - sum > 0 ? 1 - sum : 0;
  for (const a of afs) if (a < maf) maf = a;
  return maf;
}

/**
 * Site MAF from INFO, exactly as the reference's `site_maf_from_info`:
 * INFO/MAF (its first value) if the key is present, else INFO/AF, else
 * INFO/AC over INFO/AN; null when none gives a number (then genofed falls
 * back to the genotypes; the reference tool leaves the site unmasked).
 */
export function infoMaf(info: Map<string, string | true>, defs: FieldDefs): number | null {
  const maf = info.get('MAF');
  if (maf !== undefined) {
    const { values, float32 } = infoValues('MAF', maf, defs);
    return values[0] == null ? null : pyFloat(values[0], float32);
  }
  const af = info.get('AF');
  if (af !== undefined) {
    const { values, float32 } = infoValues('AF', af, defs);
    const afs = values.filter((v): v is string => v !== null).map((v) => pyFloat(v, float32)).filter((v): v is number => v !== null);
    if (afs.length) return mafOfFrequencies(afs);
  }
  const ac = info.get('AC');
  const anRaw = info.get('AN');
  if (ac !== undefined && anRaw !== undefined) {
    const anV = infoValues('AN', anRaw, defs);
    const an = anV.values[0] == null ? null : pyFloat(anV.values[0], anV.float32);
    if (an === null || an === 0 || an <= 0) return null; // Python: `if not an or an <= 0` (NaN passes, as there)
    return mafOfAcs(ac, an, defs);
  }
  return null;
}

function mafOfAcs(ac: string | true, an: number, defs: FieldDefs): number | null {
  const { values, float32 } = infoValues('AC', ac, defs);
  const afs = values.filter((v): v is string => v !== null).map((v) => pyFloat(v, float32)).filter((v): v is number => v !== null).map((a) => a / an);
  return afs.length ? mafOfFrequencies(afs) : null;
}

/**
 * Site MAF from the file's own genotypes, for a record without INFO
 * frequencies: allele counts over called alleles (what `bcftools
 * +fill-tags -t AC,AN` would write), then the AC/AN rule. Null when no
 * allele is called. `samples` is the text after the FORMAT column.
 */
export function genotypeMaf(line: Buffer, samplesStart: number, gtIndex: number, nAlt: number): number | null {
  if (gtIndex < 0 || nAlt < 1) return null;
  const ac = new Float64Array(nAlt + 1);
  let an = 0;
  let i = samplesStart;
  const n = line.length;
  while (i < n) {
    // One sample: skip to sub-field gtIndex.
    let field = 0;
    while (i < n && field < gtIndex && line[i] !== 9) {
      if (line[i] === 0x3a) field++;
      i++;
    }
    if (field === gtIndex) {
      let allele = -1;
      for (; i < n; i++) {
        const c = line[i]!;
        if (c >= 0x30 && c <= 0x39) allele = (allele < 0 ? 0 : allele * 10) + (c - 0x30);
        else {
          if (allele >= 0) {
            an++;
            if (allele <= nAlt) ac[allele]!++;
            allele = -1;
          }
          if (c === 0x3a || c === 9) break;
        }
      }
      if (allele >= 0) {
        an++;
        if (allele <= nAlt) ac[allele]!++;
      }
    }
    while (i < n && line[i] !== 9) i++;
    i++;
  }
  if (an === 0) return null;
  const afs: number[] = [];
  for (let a = 1; a <= nAlt; a++) afs.push(ac[a]! / an);
  return mafOfFrequencies(afs);
}

// ---------------------------------------------------------------- masking a record

/** Per-run state: compiled STR rule and the header's INFO/FORMAT definitions. */
export interface LevelContext {
  readonly options: LevelOptions;
  readonly str: StrRule;
  readonly info: FieldDefs;
}

export function levelContext(options: LevelOptions, info: FieldDefs): LevelContext {
  return { options, str: strRule(options), info };
}

export type MaskKind = 'str' | 'rare';

export interface MaskResult {
  kind: MaskKind;
  /** The masked record (no newline). */
  line: Buffer;
  /** Rare sites only: the MAF came from the genotypes, not from INFO. */
  fromGenotypes: boolean;
}

/** Remove Number=A/G INFO values and keep only the REF value of Number=R ones: the masked record has no ALT allele left. */
export function trimPerAlleleInfo(info: string, defs: FieldDefs): string {
  if (info === '.' || info === '') return info;
  const kept: string[] = [];
  for (const kv of info.split(';')) {
    const eq = kv.indexOf('=');
    const def = defs.get(eq < 0 ? kv : kv.slice(0, eq));
    if (def && (def.number === 'A' || def.number === 'G')) continue;
    if (def && def.number === 'R' && eq >= 0) kept.push(`${kv.slice(0, eq)}=${kv.slice(eq + 1).split(',')[0]!}`);
    else kept.push(kv);
  }
  return kept.length ? kept.join(';') : '.';
}

/** A genotype with every allele index > 0 set to 0 (`0|1` -> `0|0`, `1/2` -> `0/0`, `./1` -> `./0`); separators, ploidy and missing alleles kept. */
export function genotypeToReference(gt: string): string {
  return gt.replace(/\d+/g, (a) => (/^0+$/.test(a) ? a : '0'));
}

/**
 * Apply the high level to one data line; null when the record is not a
 * target (it is then copied unchanged). `columns` counts the header's
 * columns. ALT `.`-only records are never targets (reference: "non-variant
 * passes through"). Only the 8-9 fixed columns are decoded unless the
 * record is rare-masked (a 2,504-sample line is ~10 KB).
 */
export function maskRecord(line: Buffer, columns: number, ctx: LevelContext): MaskResult | null {
  if (ctx.options.level !== 'high') return null;
  const tabs: number[] = [];
  for (let at = line.indexOf(9); at >= 0 && tabs.length < 9; at = line.indexOf(9, at + 1)) tabs.push(at);
  if (tabs.length < 7) return null; // malformed: the caller's column check reports it
  const col = (i: number): string => line.toString('latin1', i === 0 ? 0 : tabs[i - 1]! + 1, tabs[i] ?? line.length);
  const alt = col(4);
  if (alt.split(',').every((a) => a === '.')) return null;
  const str = maskStrAlt(alt, ctx.str);
  if (str !== null) {
    return { kind: 'str', line: Buffer.concat([line.subarray(0, tabs[3]! + 1), Buffer.from(str, 'latin1'), line.subarray(tabs[4]!)]), fromGenotypes: false };
  }
  const hasSamples = columns > 9 && tabs.length >= 9;
  const format = hasSamples ? col(8) : '';
  const gtIndex = hasSamples ? format.split(':').indexOf('GT') : -1;
  let maf = infoMaf(parseInfo(col(7)), ctx.info);
  let fromGenotypes = false;
  if (maf === null && hasSamples) {
    maf = genotypeMaf(line, tabs[8]! + 1, gtIndex, alt.split(',').length);
    fromGenotypes = maf !== null;
  }
  if (maf === null || !(maf < ctx.options.maf)) return null;
  // ID: an rs id names the masked allele; ALT: '.'; INFO: no per-allele values left.
  const fixed = [col(0), col(1), '.', col(3), '.', col(5), col(6), trimPerAlleleInfo(col(7), ctx.info)];
  if (!hasSamples) return { kind: 'rare', line: Buffer.from(fixed.join('\t'), 'latin1'), fromGenotypes };
  const samples = line.toString('latin1', tabs[8]! + 1).split('\t');
  const masked = gtIndex >= 0 ? samples.map((s) => genotypeToReference(s.split(':')[gtIndex] ?? '.')) : samples.map(() => '.');
  return { kind: 'rare', line: Buffer.from([...fixed, gtIndex >= 0 ? 'GT' : format, ...masked].join('\t'), 'latin1'), fromGenotypes };
}
