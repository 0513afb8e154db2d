/**
 * `node ingest --expression` and the store's expression family on the
 * pasilla gene counts (14,599 genes x 7 samples): library sizes and log-CPM
 * against edgeR (skipped only when Rscript is absent), the exact sums
 * against plain BigInt arithmetic over the file read independently, gzip,
 * CSV and R-style input giving the same store, log values used as they
 * are, every malformed matrix refused naming file and line (never a value
 * or a sample name) with the store unchanged, and a second matrix replacing
 * the first atomically.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logCpm, quantize } from '../../../proto/expression.js';
import { ingest, openStore, type IngestOptions, type Store } from '../../../node/store/index.js';
import { HAS_R, runR } from '../../coordinator/stats/r-oracle.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const PASILLA = join(FIX, 'expression/pasilla_gene_counts.tsv');

let scratch = '';
let n = 0;
const fresh = (): string => join(scratch, `store-${++n}`);
let text = '';
/** The pasilla file read here, independently of the store's parser. */
let ref: { samples: string[]; genes: string[]; rows: number[][] };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-expr-'));
  text = await readFile(PASILLA, 'utf8');
  const lines = text.trimEnd().split('\n');
  const samples = lines[0]!.split('\t').slice(1);
  const genes: string[] = [];
  const rows: number[][] = [];
  for (const l of lines.slice(1)) {
    const f = l.split('\t');
    genes.push(f[0]!);
    rows.push(f.slice(1).map(Number));
  }
  ref = { samples, genes, rows };
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function withStore<T>(dir: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(dir, { readOnly: true });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function refusal(dir: string, options: IngestOptions): Promise<Error & { code: string }> {
  return ingest(dir, options).then(() => { throw new Error('ingest was not refused'); }, (e: unknown) => e as Error & { code: string });
}

/** Everything an expression query can see, as one comparable value. */
async function snapshot(dir: string): Promise<unknown> {
  return withStore(dir, async (s) => {
    const info = s.expressionInfo();
    if (!info) return { info, summary: await s.summary() };
    const samples = await s.expressionMembers();
    const design = new Float64Array(samples.length).fill(1);
    const sums = await s.expressionSums({ samples, design });
    return { info, summary: await s.summary(), samples: [...samples], sums };
  });
}

/** Column sums, as edgeR's DGEList computes lib.size. */
function columnSums(rows: number[][]): number[] {
  const out = new Array<number>(rows[0]!.length).fill(0);
  for (const r of rows) r.forEach((v, k) => { out[k]! += v; });
  return out;
}

/** The sums by plain BigInt arithmetic over values quantized here. */
function bigintSums(ys: number[][], design: Float64Array, p: number): { xtx: bigint[]; xty: bigint[]; yty: bigint[] } {
  const nS = design.length / p;
  const xq = [...design].map((x) => BigInt(quantize(x)));
  const xtx: bigint[] = [];
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let s = 0n;
    for (let i = 0; i < nS; i++) s += xq[i * p + a]! * xq[i * p + b]!;
    xtx.push(s);
  }
  const xty: bigint[] = [];
  const yty: bigint[] = [];
  for (const y of ys) {
    const yq = y.map((v) => BigInt(quantize(v)));
    for (let a = 0; a < p; a++) {
      let s = 0n;
      for (let i = 0; i < nS; i++) s += xq[i * p + a]! * yq[i]!;
      xty.push(s);
    }
    yty.push(yq.reduce((s, v) => s + v * v, 0n));
  }
  return { xtx, xty, yty };
}

describe('ingest of the pasilla counts', () => {
  let dir = '';
  beforeAll(async () => {
    dir = fresh();
    const report = await ingest(dir, { rawIds: true, expression: PASILLA });
    expect(report.expression).toEqual({ ingested: true, values: 'counts', genes: 14599, samples: 7, samplesWithoutGenotypes: 7, samplesWithoutPhenotypes: 7 });
    expect(report).toMatchObject({ files: 0, samples: 0, variants: 0, warnings: [] });
  });

  it('stores every gene, sorted, and gives each sample a store identity that is not counted as genotyped', async () => {
    await withStore(dir, async (s) => {
      expect(s.expressionInfo()).toEqual({ values: 'counts', genes: 14599, samples: 7 });
      expect(await s.expressionGenes()).toEqual([...ref.genes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect([...(await s.expressionMembers())]).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect((await s.describe()).samples).toBe(0);
      expect([...(await s.cohortMembers() as Uint32Array)]).toEqual([]);
    });
  });

  it('library sizes are the column sums over every gene, and their sum', async () => {
    const expected = columnSums(ref.rows);
    await withStore(dir, async (s) => {
      const all = await s.expressionMembers();
      const { libSizes, sum } = await s.libSizes(all);
      expect([...libSizes]).toEqual(expected);
      expect(sum).toBe(expected.reduce((a, b) => a + b, 0));
      const two = await s.libSizes(Uint32Array.of(1, 5));
      expect([...two.libSizes]).toEqual([expected[1], expected[5]]);
    });
  });

  it('log-CPM per gene and sample is proto logCpm with the mean library size, quantized', async () => {
    const libs = columnSums(ref.rows);
    const mean = libs.reduce((a, b) => a + b, 0) / libs.length;
    await withStore(dir, async (s) => {
      const all = await s.expressionMembers();
      for (const g of [0, 1, 700, 14598]) {
        const got = await s.expressionValues(ref.genes[g]!, all);
        expect([...got!]).toEqual(ref.rows[g]!.map((c, k) => quantize(logCpm(c, libs[k]!, mean))));
      }
      // A network mean instead of the local one, and a subset of the samples.
      const sub = Uint32Array.of(0, 6);
      expect([...(await s.expressionValues(ref.genes[1]!, sub, { meanLibSize: 1e7 }))!]).toEqual([0, 6].map((k) => quantize(logCpm(ref.rows[1]![k]!, libs[k]!, 1e7))));
      expect(await s.expressionValues('no-such-gene', all)).toBeNull();
    });
  });

  it("X'X, X'y and y'y over every gene equal BigInt arithmetic on the file read independently", async () => {
    const libs = columnSums(ref.rows);
    const members = [0, 1, 2, 4, 6];
    const samples = Uint32Array.from(members);
    const p = 3;
    // Intercept, treated vs untreated, a real-valued covariate.
    const design = new Float64Array(members.flatMap((k, i) => [1, ref.samples[k]!.startsWith('treated') ? 1 : 0, 0.37 * i - 1.2]));
    const meanLibSize = 1.3e7;
    await withStore(dir, async (s) => {
      const got = await s.expressionSums({ samples, design, meanLibSize });
      const order = [...ref.genes.keys()].sort((a, b) => (ref.genes[a]! < ref.genes[b]! ? -1 : 1));
      const ys = order.map((g) => members.map((k) => logCpm(ref.rows[g]![k]!, libs[k]!, meanLibSize)));
      expect(got.genes).toEqual(order.map((g) => ref.genes[g]));
      expect({ n: got.n, p: got.p, meanLibSize: got.meanLibSize }).toEqual({ n: 5, p: 3, meanLibSize });
      expect({ xtx: got.xtx, xty: got.xty, yty: got.yty }).toEqual(bigintSums(ys, design, p));
    });
  });

  it('with a clip (DP), every y is clipped to [-clip, clip] before it is quantized: the sums equal BigInt arithmetic on the clipped log-CPM, and differ from the unclipped', async () => {
    const libs = columnSums(ref.rows);
    const members = [0, 2, 3, 5, 6];
    const samples = Uint32Array.from(members);
    const design = new Float64Array(members.flatMap((k) => [1, ref.samples[k]!.startsWith('treated') ? 1 : 0]));
    const meanLibSize = 1.5e7;
    // Pasilla's log-CPM runs from about -3 to 15: a clip of 6 cuts both the zero counts' floor and the highly expressed genes.
    const clip = 6;
    const clamp = (v: number): number => Math.min(clip, Math.max(-clip, v));
    await withStore(dir, async (s) => {
      const got = await s.expressionSums({ samples, design, meanLibSize, clip });
      const order = [...ref.genes.keys()].sort((a, b) => (ref.genes[a]! < ref.genes[b]! ? -1 : 1));
      const ys = order.map((g) => members.map((k) => logCpm(ref.rows[g]![k]!, libs[k]!, meanLibSize)));
      expect(ys.flat().some((v) => v > clip)).toBe(true);
      expect({ xtx: got.xtx, xty: got.xty, yty: got.yty }).toEqual(bigintSums(ys.map((y) => y.map(clamp)), design, 2));
      const unclipped = await s.expressionSums({ samples, design, meanLibSize });
      expect(unclipped.yty).not.toEqual(got.yty);
      // One gene's values (eQTL) are clipped the same way.
      const g = order.findIndex((_, i) => ys[i]!.some((v) => v > clip));
      expect([...(await s.expressionValues(ref.genes[order[g]!]!, samples, { meanLibSize, clip }))!]).toEqual(ys[g]!.map((v) => quantize(clamp(v))));
    });
  });

  it('requested genes come in request order, each once, the ones the store lacks left out', async () => {
    await withStore(dir, async (s) => {
      const samples = await s.expressionMembers();
      const design = new Float64Array(7).fill(1);
      const all = await s.expressionSums({ samples, design });
      const want = [ref.genes[900]!, 'FBgn9999999', ref.genes[3]!, ref.genes[900]!];
      const got = await s.expressionSums({ samples, design, genes: want });
      expect(got.genes).toEqual([ref.genes[900], ref.genes[3]]);
      const at = (g: string): number => all.genes.indexOf(g);
      expect(got.xty).toEqual([all.xty[at(ref.genes[900]!)], all.xty[at(ref.genes[3]!)]]);
      expect(got.yty).toEqual([all.yty[at(ref.genes[900]!)], all.yty[at(ref.genes[3]!)]]);
    });
  });

  it('the ServedStore view answers the same sums, members and library sizes', async () => {
    await withStore(dir, async (s) => {
      const e = (await s.expression())!;
      expect(e.values).toBe('counts');
      const samples = (await e.members('')) as Uint32Array;
      const design = new Float64Array(14).map((_, i) => (i % 2 === 0 ? 1 : i / 7));
      const genes = [ref.genes[5]!, ref.genes[6]!];
      const viaView = await e.sums({ samples, design, p: 2, genes, meanLibSize: 2e7 });
      expect(viaView).toEqual(await s.expressionSums({ samples, design, p: 2, genes, meanLibSize: 2e7 }));
      expect([...(await e.libSizes(samples))]).toEqual(columnSums(ref.rows));
    });
  });

  it('refuses samples outside the matrix, unsorted samples and a design of the wrong shape', async () => {
    await withStore(dir, async (s) => {
      await expect(s.expressionSums({ samples: Uint32Array.of(0, 9), design: new Float64Array(2) })).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_UNAVAILABLE' });
      await expect(s.expressionSums({ samples: Uint32Array.of(2, 1), design: new Float64Array(2) })).rejects.toMatchObject({ code: 'GENOFED_QUERY_MALFORMED' });
      await expect(s.expressionSums({ samples: Uint32Array.of(1, 2), design: new Float64Array(3) })).rejects.toMatchObject({ code: 'GENOFED_QUERY_MALFORMED' });
      await expect(s.expressionSums({ samples: Uint32Array.of(1, 2), design: Float64Array.of(1, 2 ** 40) })).rejects.toMatchObject({ code: 'GENOFED_QUERY_MALFORMED' });
      // No samples: every sum is 0, in the shape p gives.
      const none = await s.expressionSums({ samples: new Uint32Array(0), design: new Float64Array(0), p: 2, genes: [ref.genes[1]!] });
      expect(none).toMatchObject({ n: 0, xtx: [0n, 0n, 0n, 0n], xty: [0n, 0n], yty: [0n] });
    });
  });

  it.skipIf(!HAS_R)('library sizes and log-CPM match edgeR (cpm, log = TRUE, prior.count = 2)', async () => {
    const out = runR(`suppressMessages(library(edgeR))
x <- read.delim(commandArgs(TRUE)[1], row.names = 1, check.names = FALSE)
y <- DGEList(counts = as.matrix(x))
cat(format(y$samples$lib.size, digits = 17), sep = "\\t"); cat("\\n")
l <- cpm(y, log = TRUE, prior.count = 2)
write.table(format(l, digits = 17), sep = "\\t", quote = FALSE, col.names = FALSE)
`, text);
    const libs = out[0]!.map(Number);
    const rLog = new Map(out.slice(1).map((r) => [r[0]!, r.slice(1).map(Number)]));
    expect(rLog.size).toBe(14599);
    await withStore(dir, async (s) => {
      const all = await s.expressionMembers();
      expect([...(await s.libSizes(all)).libSizes]).toEqual(libs);
      let compared = 0;
      for (const gene of ref.genes) {
        const ours = (await s.expressionValues(gene, all))!;
        const theirs = rLog.get(gene)!;
        // Quantization rounds to the nearest 2^-24; edgeR's C++ differs from proto's logCpm by rounding only.
        for (let k = 0; k < 7; k++) expect(Math.abs(ours[k]! / 2 ** 24 - theirs[k]!)).toBeLessThanOrEqual(2 ** -24);
        compared += 7;
      }
      expect(compared).toBe(14599 * 7);
    });
  });
});

describe('input forms', () => {
  it('gzip, CSV (quoted names, as R write.csv, CRLF, a byte-order mark) and an R-style header give the same store as the TSV', async () => {
    const base = fresh();
    await ingest(base, { rawIds: true, expression: PASILLA });
    const expected = await snapshot(base);
    const gz = join(scratch, 'pasilla.tsv.gz');
    await writeFile(gz, gzipSync(text));
    const lines = text.trimEnd().split('\n').map((l) => l.split('\t'));
    const csv = join(scratch, 'pasilla.csv');
    // With Excel's byte-order mark.
    await writeFile(csv, '\uFEFF' + lines.map((f, i) => (i === 0 ? f.map((x) => `"${x}"`) : [`"${f[0]}"`, ...f.slice(1)]).join(',')).join('\r\n') + '\r\n');
    const rStyle = join(scratch, 'pasilla-r.txt');
    // write.table(x): space-separated, quoted, no name for the row-name column.
    await writeFile(rStyle, lines.map((f, i) => (i === 0 ? f.slice(1).map((x) => `"${x}"`) : [`"${f[0]}"`, ...f.slice(1)]).join(' ')).join('\n') + '\n');
    for (const file of [gz, csv, rStyle]) {
      const dir = fresh();
      await ingest(dir, { rawIds: true, expression: file });
      expect(await snapshot(dir), file).toEqual(expected);
    }
  });

  it('log values are used as they are: no library sizes, y is the value quantized', async () => {
    const dir = fresh();
    const logText = 'gene\tA\tB\tC\nG2\t-1.5\t0.25\t7.125\nG1\t3.3\t2.2\t1.1\n';
    const file = join(scratch, 'log.tsv');
    await writeFile(file, logText);
    const report = await ingest(dir, { rawIds: true, expression: file, expressionValues: 'log' });
    expect(report.expression).toMatchObject({ values: 'log', genes: 2, samples: 3 });
    await withStore(dir, async (s) => {
      const all = await s.expressionMembers();
      expect([...(await s.expressionValues('G2', all))!]).toEqual([-1.5, 0.25, 7.125].map(quantize));
      await expect(s.libSizes(all)).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_UNAVAILABLE' });
      const design = Float64Array.of(1, 0, 1, 1, 1, 0);
      const got = await s.expressionSums({ samples: all, design, meanLibSize: 123 });
      expect(got.meanLibSize).toBeNull();
      expect(got.genes).toEqual(['G1', 'G2']);
      expect({ xtx: got.xtx, xty: got.xty, yty: got.yty }).toEqual(bigintSums([[3.3, 2.2, 1.1], [-1.5, 0.25, 7.125]], design, 2));
    });
  });

  it('warns (counted, first line) about non-integer counts and about log values that all look like counts', async () => {
    const a = join(scratch, 'expected-counts.tsv');
    await writeFile(a, 'gene\tA\tB\nG1\t1\t2\nG2\t2.5\t3\nG3\t0.5\t4\n');
    expect((await ingest(fresh(), { rawIds: true, expression: a })).warnings).toEqual([{ file: 'expected-counts.tsv', code: 'GENOFED_EXPRESSION_FORMAT', problem: expect.stringContaining('not integers'), count: 2, firstLine: 3 }]);
    const b = join(scratch, 'counts-as-log.tsv');
    await writeFile(b, 'gene\tA\tB\nG1\t1\t2\nG2\t25\t3\n');
    expect((await ingest(fresh(), { rawIds: true, expression: b, expressionValues: 'log' })).warnings).toEqual([{ file: 'counts-as-log.tsv', code: 'GENOFED_EXPRESSION_FORMAT', problem: expect.stringContaining('--values counts'), count: 4, firstLine: 1 }]);
  });
});

describe('malformed matrices', () => {
  const header = 'gene\tS_alpha\tS_beta\tS_gamma';
  const good = [header, 'G1\t10\t0\t5', 'G2\t3\t7\t1', 'G3\t0\t2\t9'];
  /** [case, lines, values mode, line named, words the message must not hold]. */
  const cases: [string, string[], 'counts' | 'log', number, string[]][] = [
    ['a ragged row', [header, 'G1\t10\t0\t5', 'G2\t3\t7', 'G3\t0\t2\t9'], 'counts', 3, ['G2']],
    ['NA', [header, 'G1\t10\t0\t5', 'G2\tNA\t7\t1'], 'counts', 3, ['G2']],
    ['an empty value', [header, 'G1\t10\t0\t5', 'G2\t\t7\t1'], 'counts', 3, ['G2']],
    ['a word', [header, 'G1\t10\t0\t5', 'G2\t3\tabc\t1'], 'counts', 3, ['abc']],
    ['Inf', [header, 'G1\t10\t0\t5', 'G2\t3\tInf\t1'], 'counts', 3, ['Inf']],
    ['NaN', [header, 'G1\t10\t0\t5', 'G2\t3\t7\tNaN'], 'log', 3, ['NaN']],
    ['a number too large for a double', [header, 'G1\t10\t0\t5', 'G2\t3\t1e999\t1'], 'counts', 3, ['1e999']],
    ['a repeated gene', [...good, 'G2\t1\t1\t1'], 'counts', 5, ['G2']],
    ['a repeated sample name', ['gene\tS_alpha\tS_beta\tS_alpha', 'G1\t1\t2\t3'], 'counts', 1, []],
    ['a sample column without a name', ['gene\tS_alpha\t\tS_gamma', 'G1\t1\t2\t3'], 'counts', 1, []],
    ['a negative count', [header, 'G1\t10\t0\t5', 'G2\t-3\t7\t1'], 'counts', 3, ['-3']],
    ['a sample with no counts', [header, 'G1\t10\t0\t5', 'G2\t3\t0\t1'], 'counts', 1, []],
    ['a log value of 1024', [header, 'G1\t1\t0\t5', 'G2\t3\t1024.5\t1'], 'log', 3, ['1024.5']],
    ['no gene rows', [header], 'counts', 1, []],
    ['an empty gene id', [header, '\t1\t2\t3'], 'counts', 2, []],
  ];
  let dir = '';
  let before: unknown;
  beforeAll(async () => {
    dir = fresh();
    await ingest(dir, { rawIds: true, expression: PASILLA });
    before = await snapshot(dir);
  });

  for (const [what, lines, values, line, hidden] of cases) {
    it(`${what}: GENOFED_EXPRESSION_FORMAT naming file and line ${line}, no value or sample name; the store unchanged`, async () => {
      const file = join(scratch, 'bad.tsv');
      await writeFile(file, `${lines.join('\n')}\n`);
      const err = await refusal(dir, { rawIds: true, expression: file, expressionValues: values });
      expect(err.code).toBe('GENOFED_EXPRESSION_FORMAT');
      expect(err.message).toMatch(new RegExp(`^bad\\.tsv:${line}: `));
      for (const word of [...hidden, 'S_alpha', 'S_beta', 'S_gamma', scratch]) expect(err.message).not.toContain(word);
      expect(await snapshot(dir)).toEqual(before);
    });
  }

  it('an empty file and an unterminated quote are refused too', async () => {
    const empty = join(scratch, 'empty.csv');
    await writeFile(empty, '');
    expect(await refusal(dir, { rawIds: true, expression: empty })).toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT', message: 'empty.csv: empty file: no header line' });
    const quote = join(scratch, 'quote.csv');
    await writeFile(quote, 'gene,"S_alpha,S_beta\nG1,1,2\n');
    expect(await refusal(dir, { rawIds: true, expression: quote })).toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT', message: 'quote.csv:1: unterminated quoted field' });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a bad value near the end of the real file is refused with its line, the store unchanged', async () => {
    const lines = text.trimEnd().split('\n');
    const target = lines.length - 2;
    const f = lines[target]!.split('\t');
    f[4] = 'NA';
    lines[target] = f.join('\t');
    const file = join(scratch, 'pasilla-bad.tsv.gz');
    await writeFile(file, gzipSync(`${lines.join('\n')}\n`));
    const err = await refusal(dir, { rawIds: true, expression: file });
    expect(err).toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT', message: expect.stringMatching(new RegExp(`^pasilla-bad\\.tsv\\.gz:${target + 1}: column 5: missing value`)) });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--values without a matrix and a mode other than counts or log are usage errors', async () => {
    await expect(ingest(fresh(), { rawIds: true, expressionValues: 'log' })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    await expect(ingest(fresh(), { rawIds: true, expression: PASILLA, expressionValues: 'tpm' as 'log' })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
  });
});

describe('one matrix per store', () => {
  it('a second matrix replaces the first as a whole; a failing one leaves the first', async () => {
    const dir = fresh();
    await ingest(dir, { rawIds: true, expression: PASILLA });
    const second = join(scratch, 'second.tsv');
    // Two of pasilla's samples and a new one; three genes.
    await writeFile(second, 'gene\ttreated2\tnewsample\tuntreated1\nGB\t1\t2\t3\nGA\t4\t5\t6\nGC\t0\t0\t1\n');
    const report = await ingest(dir, { rawIds: true, expression: second });
    expect(report.expression).toEqual({ ingested: true, values: 'counts', genes: 3, samples: 3, samplesWithoutGenotypes: 3, samplesWithoutPhenotypes: 3 });
    const after = await snapshot(dir);
    await withStore(dir, async (s) => {
      expect(s.expressionInfo()).toEqual({ values: 'counts', genes: 3, samples: 3 });
      expect(await s.expressionGenes()).toEqual(['GA', 'GB', 'GC']);
      // untreated1 and treated2 keep their identities (0 and 5); the new sample gets the next one (7).
      const all = await s.expressionMembers();
      expect([...all]).toEqual([0, 5, 7]);
      expect([...(await s.libSizes(all)).libSizes]).toEqual([10, 5, 7]);
      expect([...(await s.expressionValues('GA', all, { meanLibSize: 7 }))!]).toEqual([[6, 10], [4, 5], [5, 7]].map(([c, l]) => quantize(logCpm(c!, l!, 7))));
    });
    const bad = join(scratch, 'third.tsv');
    await writeFile(bad, 'gene\ttreated2\tuntreated1\nGA\t1\t2\nGB\t3\t-1\n');
    await expect(ingest(dir, { rawIds: true, expression: bad })).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT' });
    expect(await snapshot(dir)).toEqual(after);
  });

  it('a store without a matrix answers expression queries with GENOFED_EXPRESSION_UNAVAILABLE', async () => {
    const vcfOnly = fresh();
    await ingest(vcfOnly, { rawIds: true, vcfs: [join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz')] });
    await withStore(vcfOnly, async (s) => {
      expect(s.expressionInfo()).toBeNull();
      expect(await s.expression()).toBeNull();
      await expect(s.expressionMembers()).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_UNAVAILABLE' });
      await expect(s.expressionSums({ samples: new Uint32Array(0), design: new Float64Array(0), p: 1 })).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_UNAVAILABLE' });
    });
  });
});
