/**
 * PLINK 1.9 as the independent reference for coordinator/stats (a harness,
 * not a test): given a VCF and two sample-id lists it runs
 *
 *   plink1.9 --vcf VCF --double-id --keep-allele-order --keep ... --make-bed
 *   plink1.9 --bfile ... --pheno ... --allow-no-sex --assoc --ci 0.95
 *   plink1.9 --bfile ... --pheno ... --allow-no-sex --assoc fisher
 *   plink1.9 --bfile ... --pheno ... --allow-no-sex --model
 *
 * and returns, per variant keyed `chrom:pos:ref:alt`, what PLINK printed
 * (CHISQ, P, OR, SE, L95, U95; Fisher P and OR; TREND CHISQ and P) and the
 * counts it used (the --model ALLELIC and GENO rows: exact integers, unlike
 * the 4-digit F_A/F_U of .assoc).
 *
 * Choices, each checked by running plink1.9 (v1.90b6.26):
 * - `--double-id`: FID = IID = the VCF sample id, so ids with '_' are not
 *   split (1000 Genomes ids have none, hospital ids may).
 * - `--keep-allele-order`: A1 = ALT, A2 = REF, so PLINK's OR is the ALT
 *   allele's OR in cases vs controls, the orientation of coordinator/stats.
 * - Missing genotypes ('./.') are left out of that variant's counts (so the
 *   case and control totals vary per variant); half-calls ('0/.') are made
 *   missing (`--vcf-half-call missing`; PLINK's default is to stop).
 * - Multi-allelic records: PLINK 1.9's .bed holds two alleles. With
 *   `multiallelic: 'skip'` (default) they are left out (`--biallelic-only
 *   strict`) and counted in `skippedMultiallelic`. With 'most-common-alt'
 *   PLINK's default applies: it keeps REF and the ALT most frequent in the
 *   whole VCF's genotypes (ignoring INFO/AC, before --keep) and makes every
 *   genotype carrying another ALT missing (a '0/2' is not read as '0/0'),
 *   so its counts differ from a split (bcftools norm -m-) representation.
 * - Sex chromosomes: a VCF carries no sex, so PLINK sees every sample as
 *   ambiguous; use the harness on autosomes.
 * - PLINK prints 4 significant digits and has no option for more
 *   (`--output-min-p` only floors p; `--ci` only adds the interval), so
 *   comparisons are to the printed precision (`agreesWithPrinted`).
 *
 * Sample ids go only into files in a temporary folder, never into an error
 * message; on failure that folder (with PLINK's log) is kept and named.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AlleleTable, GenotypeTable } from '../../../coordinator/stats/index.js';

const run = promisify(execFile);

export interface PlinkReferenceOptions {
  readonly vcf: string;
  readonly cases: readonly string[];
  readonly controls: readonly string[];
  /** Default 'skip' (see the file comment). */
  readonly multiallelic?: 'skip' | 'most-common-alt';
  /** The PLINK 1.9 binary, default 'plink1.9'. */
  readonly plink?: string;
}

/** What PLINK printed for one variant, as text ('NA', 'inf', 'nan' or a 4-digit number). */
export interface PlinkVariant {
  readonly key: string;
  readonly chrom: string;
  readonly pos: number;
  readonly id: string;
  readonly ref: string;
  readonly alt: string;
  /** The allele counts PLINK tested (--model ALLELIC row). */
  readonly alleles: AlleleTable;
  /** The genotype counts PLINK tested (--model GENO row: A1A1/A1A2/A2A2 = homAlt/het/homRef). */
  readonly genotypes: GenotypeTable;
  readonly assoc: { readonly chisq: string; readonly p: string; readonly or: string; readonly se: string; readonly l95: string; readonly u95: string };
  readonly fisher: { readonly p: string; readonly or: string };
  readonly trend: { readonly chisq: string; readonly p: string };
}

export interface PlinkReference {
  readonly variants: ReadonlyMap<string, PlinkVariant>;
  /** Cases and controls PLINK analysed (ids absent from the VCF are dropped by --keep). */
  readonly cases: number;
  readonly controls: number;
  /** Multi-allelic records left out (multiallelic: 'skip'). */
  readonly skippedMultiallelic: number;
}

export async function plinkReference(options: PlinkReferenceOptions): Promise<PlinkReference> {
  const { vcf, cases, controls } = options;
  const plink = options.plink ?? 'plink1.9';
  if (cases.length === 0 || controls.length === 0) throw new Error('plinkReference: cases and controls must both be non-empty');
  const caseSet = new Set(cases);
  if (controls.some((s) => caseSet.has(s))) throw new Error('plinkReference: a sample is in both the case and the control list');
  // PLINK's sample files are whitespace-separated.
  if ([...cases, ...controls].some((s) => s === '' || /\s/.test(s))) throw new Error('plinkReference: a sample id is empty or contains whitespace');

  const dir = await mkdtemp(join(tmpdir(), 'genofed-plink-'));
  const data = join(dir, 'data');
  const common = ['--threads', '1', '--memory', '512', '--allow-extra-chr', '--output-chr', 'MT', '--keep-allele-order'];
  const step = async (name: string, args: string[]): Promise<void> => {
    try {
      await run(plink, [...args, ...common], { maxBuffer: 1 << 26 });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new Error(`plinkReference: ${plink} ${name} failed (exit ${String(code)}); its log is kept in ${dir}`);
    }
  };
  await writeFile(join(dir, 'keep.txt'), [...cases, ...controls].map((s) => `${s}\t${s}\n`).join(''));
  await writeFile(join(dir, 'pheno.txt'), [...cases.map((s) => `${s}\t${s}\t2\n`), ...controls.map((s) => `${s}\t${s}\t1\n`)].join(''));
  const strict = (options.multiallelic ?? 'skip') === 'skip' ? ['--biallelic-only', 'strict'] : [];
  await step('--make-bed', ['--vcf', vcf, '--double-id', '--vcf-half-call', 'missing', ...strict, '--keep', join(dir, 'keep.txt'), '--make-bed', '--out', data]);
  const analysis = ['--bfile', data, '--pheno', join(dir, 'pheno.txt'), '--allow-no-sex'];
  await step('--assoc', [...analysis, '--assoc', '--ci', '0.95', '--out', join(dir, 'a')]);
  await step('--assoc fisher', [...analysis, '--assoc', 'fisher', '--out', join(dir, 'f')]);
  await step('--model', [...analysis, '--model', '--out', join(dir, 'm')]);

  const [bim, assoc, fisher, model, bedLog, modelLog] = await Promise.all(
    ['data.bim', 'a.assoc', 'f.assoc.fisher', 'm.model', 'data.log', 'm.log'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  const result = assemble(bim!, assoc!, fisher!, model!, bedLog!, modelLog!);
  await rm(dir, { recursive: true, force: true });
  return result;
}

function rows(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/));
}

/** A report's rows as objects keyed by its header. */
function table(text: string): Record<string, string>[] {
  const [header, ...body] = rows(text);
  if (!header) throw new Error('plinkReference: empty PLINK report');
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const MODEL_TESTS = ['GENO', 'TREND', 'ALLELIC', 'DOM', 'REC'];

function assemble(bimText: string, assocText: string, fisherText: string, modelText: string, bedLog: string, modelLog: string): PlinkReference {
  const bim = rows(bimText);
  const assoc = table(assocText);
  const fisher = table(fisherText);
  // --model prints GENO, TREND, ALLELIC, DOM, REC per variant, in .bim order.
  const groups: Record<string, Record<string, string>>[] = [];
  let last = Number.POSITIVE_INFINITY;
  for (const r of table(modelText)) {
    const order = MODEL_TESTS.indexOf(r['TEST'] ?? '');
    if (order <= last) groups.push({});
    groups[groups.length - 1]![r['TEST']!] = r;
    last = order;
  }
  if (assoc.length !== bim.length || fisher.length !== bim.length || groups.length !== bim.length) {
    throw new Error('plinkReference: PLINK reports do not have one row (group) per .bim variant');
  }
  const variants = new Map<string, PlinkVariant>();
  bim.forEach(([chrom, id, , posText, a1, a2], i) => {
    const as = assoc[i]!;
    const fi = fisher[i]!;
    const g = groups[i]!;
    const geno = g['GENO'];
    const allelic = g['ALLELIC'];
    const trend = g['TREND'];
    if (as['SNP'] !== id || fi['SNP'] !== id || as['BP'] !== posText || as['A1'] !== a1 || !geno || !allelic || !trend || geno['SNP'] !== id) {
      throw new Error(`plinkReference: PLINK reports out of step with the .bim at variant ${i + 1}`);
    }
    const [caseA1, caseA2] = counts(allelic['AFF'], 2);
    const [controlA1, controlA2] = counts(allelic['UNAFF'], 2);
    const [caseHomAlt, caseHet, caseHomRef] = counts(geno['AFF'], 3);
    const [controlHomAlt, controlHet, controlHomRef] = counts(geno['UNAFF'], 3);
    const key = `${chrom}:${posText}:${a2}:${a1}`;
    if (variants.has(key)) throw new Error(`plinkReference: two records for ${key}`);
    variants.set(key, {
      key,
      chrom: chrom!,
      pos: Number(posText),
      id: id!,
      ref: a2!,
      alt: a1!,
      alleles: { caseA1, caseA2, controlA1, controlA2 },
      genotypes: { cases: { homRef: caseHomRef, het: caseHet, homAlt: caseHomAlt }, controls: { homRef: controlHomRef, het: controlHet, homAlt: controlHomAlt } },
      assoc: { chisq: as['CHISQ']!, p: as['P']!, or: as['OR']!, se: as['SE']!, l95: as['L95']!, u95: as['U95']! },
      fisher: { p: fi['P']!, or: fi['OR']! },
      trend: { chisq: trend['CHISQ']!, p: trend['P']! },
    });
  });
  const pheno = /Among remaining phenotypes, (\d+) (?:is a case|are cases) and (\d+) (?:is a control|are controls)/.exec(modelLog);
  if (!pheno) throw new Error('plinkReference: PLINK log does not state the case and control counts');
  const skipped = /\((\d+) variants? skipped\.\)/.exec(bedLog);
  return { variants, cases: Number(pheno[1]), controls: Number(pheno[2]), skippedMultiallelic: skipped ? Number(skipped[1]) : 0 };
}

function counts(text: string | undefined, n: 2): [number, number];
function counts(text: string | undefined, n: 3): [number, number, number];
function counts(text: string | undefined, n: number): number[] {
  const parts = (text ?? '').split('/').map(Number);
  if (parts.length !== n || parts.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new Error('plinkReference: malformed count field in the .model report');
  return parts;
}

/** PLINK's printed value as a number: NA -> null, inf -> Infinity, nan -> NaN. */
export function parsePlinkNumber(text: string): number | null {
  if (text === 'NA') return null;
  if (text === 'nan') return Number.NaN;
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error('plinkReference: a value PLINK printed is not a number');
  return v;
}

/**
 * Whether our value, printed the way PLINK prints (4 significant digits),
 * gives PLINK's text: NA <-> null, inf/nan <-> Infinity/NaN, 0 <-> 0, and
 * otherwise |ours - printed| <= half a unit in the 4th significant digit
 * (plus 1e-6 of that for PLINK's own last-bit differences at a rounding tie).
 */
export function agreesWithPrinted(ours: number | null, printed: string): boolean {
  const v = parsePlinkNumber(printed);
  if (v === null || ours === null) return v === ours;
  if (Number.isNaN(v) || Number.isNaN(ours)) return Number.isNaN(v) && Number.isNaN(ours);
  if (!Number.isFinite(v) || !Number.isFinite(ours)) return v === ours;
  if (v === 0) return ours === 0;
  const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 3);
  return Math.abs(ours - v) <= halfUnit * (1 + 1e-6);
}
