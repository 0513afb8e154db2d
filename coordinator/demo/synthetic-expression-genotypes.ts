/**
 * Real samples and genotypes for the synthetic expression data: the 1000
 * Genomes panel (sample, pop, super_pop, gender) and ALT dosages (0, 1, 2)
 * read from a gzipped/BGZF VCF with node:zlib and a byte scanner, so the
 * demo needs no bcftools. Only biallelic records are kept (one ALT, not
 * symbolic); a missing allele ('.') counts as REF (the shipped 2,504-sample
 * windows have no missing calls). The GT must be FORMAT's first key (VCF).
 * `vcfShares` cuts the VCF into per-site column subsets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** test/fixtures from coordinator/demo (vitest) or dist/coordinator/demo (node after tsc; fixtures are not copied to dist). */
function fixture(rel: string): string {
  const candidates = [resolve(import.meta.dirname, '../../test/fixtures', rel), resolve(import.meta.dirname, '../../../test/fixtures', rel)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** The official 1000G Phase 3 panel: 2,504 samples, the same as the VCF windows' columns, in the same order. */
export const PANEL_PATH = fixture('panel/integrated_call_samples_v3.20130502.ALL.panel');
/**
 * Default genotypes: 1000G Phase 3 (GRCh37) chr10:5.89-6.89 Mb around IL2RA,
 * all 2,504 samples, 3,596 biallelic SNPs with MAF >= 5% (the richest of the
 * four 1 Mb windows in test/fixtures/vcf/1kg_dev/; see PROVENANCE.md).
 */
export const DEFAULT_VCF = fixture('vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');

export interface PanelRow {
  readonly sample: string;
  readonly pop: string;
  readonly superPop: string;
  readonly sex: 'male' | 'female';
}

/** The panel's rows in file order (trailing empty columns ignored). */
export function readPanel(path = PANEL_PATH): PanelRow[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: no '${name}' column`);
    return i;
  };
  const [s, p, sp, g] = [col('sample'), col('pop'), col('super_pop'), col('gender')];
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    const sex = f[g];
    if (sex !== 'male' && sex !== 'female') throw new Error(`${path}: gender is not male/female`);
    return { sample: f[s]!, pop: f[p]!, superPop: f[sp]!, sex };
  });
}

export interface Variant {
  readonly chrom: string;
  readonly pos: number;
  readonly ref: string;
  readonly alt: string;
  /** CHR:POS:REF:ALT */
  readonly id: string;
}

export interface Genotypes {
  readonly samples: readonly string[];
  readonly variants: readonly Variant[];
  /** variants x samples, row-major: dosage[v * samples.length + s] = ALT alleles (0..2). */
  readonly dosage: Uint8Array;
}

/** One variant's dosages, in `samples` order (a view, not a copy). */
export function dosageOf(g: Genotypes, variant: number): Uint8Array {
  const n = g.samples.length;
  return g.dosage.subarray(variant * n, (variant + 1) * n);
}

const TAB = 9;
const NL = 10;

/** Dosages of `samples` (every one must be a VCF column) at every biallelic record. */
export function readDosages(vcfPath: string, samples: readonly string[]): Genotypes {
  const buf = gunzipSync(readFileSync(vcfPath));
  const n = samples.length;
  let at = 0;
  let outOf: Int32Array | null = null; // VCF sample column (0-based after FORMAT) -> output index, or -1
  const variants: Variant[] = [];
  const rows: Uint8Array[] = [];
  while (at < buf.length) {
    let end = buf.indexOf(NL, at);
    if (end < 0) end = buf.length;
    if (buf[at] === 35 /* # */) {
      if (buf[at + 1] !== 35) {
        const names = buf.toString('latin1', at, end).replace(/\r$/, '').split('\t').slice(9);
        const column = new Map(names.map((name, i) => [name, i]));
        outOf = new Int32Array(names.length).fill(-1);
        samples.forEach((s, i) => {
          const c = column.get(s);
          if (c === undefined) throw new Error(`${vcfPath}: sample ${i + 1} of ${n} is not a column of the VCF`);
          outOf![c] = i;
        });
      }
      at = end + 1;
      continue;
    }
    if (end === at) {
      at = end + 1;
      continue;
    }
    if (!outOf) throw new Error(`${vcfPath}: data line before the #CHROM line`);
    // The 9 fixed columns.
    const fixed: number[] = [at];
    let p = at;
    for (let k = 0; k < 9; k++) {
      p = buf.indexOf(TAB, p);
      if (p < 0 || p > end) throw new Error(`${vcfPath}: a data line has fewer than 9 columns`);
      p += 1;
      fixed.push(p);
    }
    const field = (k: number): string => buf.toString('latin1', fixed[k]!, fixed[k + 1]! - 1);
    const alt = field(4);
    if (alt.includes(',') || alt.startsWith('<') || alt === '.' || alt === '*') {
      at = end + 1;
      continue;
    }
    const chrom = field(0);
    const pos = Number(field(1));
    const ref = field(3);
    const row = new Uint8Array(n);
    if (field(8) === 'GT' && end - p === outOf.length * 4 - 1) {
      // Fast path, 1000G's shape: every field is 'a|b' with one-digit alleles; read only the wanted columns.
      for (let c = 0; c < outOf.length; c++) {
        const o = outOf[c]!;
        if (o >= 0) row[o] = (buf[p + 4 * c] === 49 ? 1 : 0) + (buf[p + 4 * c + 2] === 49 ? 1 : 0);
      }
      variants.push({ chrom, pos, ref, alt, id: `${chrom}:${pos}:${ref}:${alt}` });
      rows.push(row);
      at = end + 1;
      continue;
    }
    let col = 0;
    let inGt = true;
    let d = 0;
    for (let i = p; i <= end; i++) {
      const c = i < end ? buf[i]! : TAB;
      if (c === TAB || c === 13) {
        const o = outOf[col];
        if (o !== undefined && o >= 0) row[o] = d;
        col += 1;
        d = 0;
        inGt = true;
        if (c === 13) break;
      } else if (inGt) {
        if (c === 49 /* 1 */) d += 1;
        else if (c === 58 /* : */) inGt = false;
      }
    }
    variants.push({ chrom, pos, ref, alt, id: `${chrom}:${pos}:${ref}:${alt}` });
    rows.push(row);
    at = end + 1;
  }
  const dosage = new Uint8Array(rows.length * n);
  rows.forEach((r, v) => dosage.set(r, v * n));
  return { samples: [...samples], variants, dosage };
}

/**
 * The VCF's columns of each group of samples (a site's share), as VCF text
 * per group, in the VCF's column order. INFO is written '.' and its header
 * lines dropped: 1000G's AC/AF/NS describe all 2,504 samples, not a share
 * (the demo's splitter strips the same keys).
 */
export function vcfShares(vcfPath: string, groups: readonly (readonly string[])[]): Buffer[] {
  const buf = gunzipSync(readFileSync(vcfPath));
  const out: Buffer[][] = groups.map(() => []);
  let cols: number[][] = [];
  const starts: number[] = [];
  let at = 0;
  while (at < buf.length) {
    let end = buf.indexOf(NL, at);
    if (end < 0) end = buf.length;
    let lineEnd = end;
    if (lineEnd > at && buf[lineEnd - 1] === 13) lineEnd -= 1;
    if (lineEnd === at) {
      at = end + 1;
      continue;
    }
    if (buf[at] === 35 && buf[at + 1] === 35) {
      if (buf.toString('latin1', at, at + 7) !== '##INFO=') out.forEach((o) => o.push(buf.subarray(at, lineEnd + 1)));
    } else if (buf[at] === 35) {
      const fields = buf.toString('latin1', at, lineEnd).split('\t');
      const column = new Map(fields.map((f, i) => [f, i]));
      cols = groups.map((g) =>
        g.map((s) => {
          const c = column.get(s);
          if (c === undefined || c < 9) throw new Error(`${vcfPath}: a sample of a share is not a column of the VCF`);
          return c;
        }).sort((a, b) => a - b),
      );
      cols.forEach((c, k) => out[k]!.push(Buffer.from(`${[...fields.slice(0, 9), ...c.map((i) => fields[i])].join('\t')}\n`, 'latin1')));
    } else {
      starts.length = 0;
      starts.push(at);
      for (let i = at; i < lineEnd; i++) if (buf[i] === TAB) starts.push(i + 1);
      starts.push(lineEnd + 1);
      const head = Buffer.concat([buf.subarray(at, starts[7]!), Buffer.from('.\t'), buf.subarray(starts[8]!, starts[9]! - 1)]);
      cols.forEach((c, k) => {
        let size = head.length + 1;
        for (const i of c) size += starts[i + 1]! - starts[i]!;
        const line = Buffer.allocUnsafe(size);
        let p = head.copy(line, 0);
        for (const i of c) {
          line[p++] = TAB;
          for (let b = starts[i]!, e = starts[i + 1]! - 1; b < e; b++) line[p++] = buf[b]!;
        }
        line[p] = NL;
        out[k]!.push(line);
      });
    }
    at = end + 1;
  }
  return out.map((o) => Buffer.concat(o));
}
