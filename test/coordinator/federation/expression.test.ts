/**
 * Differential expression over a real consortium (3 node processes' worth
 * of gRPC servers with mTLS, masks on, the size round): the pasilla counts
 * split across 3 sites, group treated vs untreated, with and without the
 * library type as covariate. Every gene's logFC, AveExpr, moderated t, p
 * and BH p equals R limma (edgeR cpm log, prior.count 2) on the pooled
 * matrix of the same samples: within 1e-6 on the same quantized values,
 * 1e-4 on the raw log-CPM; trend FALSE and TRUE. Then the privacy rules:
 * groups and every (group, covariate) cell verified >= k by the nodes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DifferentialExpressionAnswer } from '../../../coordinator/federation/expression.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { presetExpression } from '../../../coordinator/demo/synthetic-expression-presets.js';
import type { SyntheticExpression } from '../../../coordinator/demo/synthetic-expression.js';
import { matrixTsv } from '../../bench/synthetic-expression-files.js';
import { HAS_R } from '../stats/r-oracle.js';
import { startConsortium, type Consortium } from './consortium.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/expression');
const SITES = { a: ['untreated1', 'treated1', 'untreated4'], b: ['untreated2', 'treated2'], c: ['untreated3', 'treated3'] } as const;
const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [
    { name: 'condition', type: 'categorical', values: ['untreated', 'treated'] },
    { name: 'libtype', type: 'categorical', values: ['single-read', 'paired-end'] },
  ],
});

const R_SCRIPT = String.raw`
suppressPackageStartupMessages({ library(limma); library(edgeR) })
args <- commandArgs(TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
counts <- counts[, sheet$sample]
group <- factor(sheet$group, levels = c("B", "A"))
design <- if (args[3] == "T") model.matrix(~ group + factor(sheet$libtype, levels = c("single-read", "paired-end"))) else model.matrix(~ group)
lc <- cpm(counts, log = TRUE, prior.count = 2)
q <- floor(lc * 2^24 + 0.5) / 2^24
f <- function(x) sprintf("%.17g", x)
for (quant in c("Q", "U")) for (trend in c(FALSE, TRUE)) {
  y <- if (quant == "Q") q else lc
  fit <- suppressWarnings(eBayes(lmFit(y, design), trend = trend))
  tt <- topTable(fit, coef = 2, number = Inf, sort.by = "P")
  writeLines(paste(quant, if (trend) "T" else "F", rownames(tt), f(tt$logFC), f(tt$AveExpr), f(tt$t), f(tt$P.Value), f(tt$adj.P.Val), sep = "\t"))
}
`;

interface RRow { logfc: number; ave: number; t: number; p: number; adj: number }

let dir = '';
let compared = 0;
let bladderCompared = 0;

/** R limma on the pooled pasilla matrix: [quantized|raw][trend] -> gene -> row. */
async function rLimma(withCovariate: boolean): Promise<Map<string, Map<string, RRow>>> {
  const ann = (await readFile(join(FIXTURES, 'pasilla_sample_annotation.csv'), 'utf8')).split('\n').slice(1).filter(Boolean).map((l) => l.split(',').map((x) => x.replace(/"/g, '')));
  const sheet = ['sample\tgroup\tlibtype', ...ann.map((r) => `${r[0]!.replace(/fb$/, '')}\t${r[1] === 'treated' ? 'A' : 'B'}\t${r[2]}`)].join('\n');
  await writeFile(join(dir, 'sheet.tsv'), `${sheet}\n`);
  await writeFile(join(dir, 'oracle.R'), R_SCRIPT);
  return parseRTables(execFileSync('Rscript', ['--vanilla', join(dir, 'oracle.R'), join(FIXTURES, 'pasilla_gene_counts.tsv'), join(dir, 'sheet.tsv'), withCovariate ? 'T' : 'F'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

function compare(answer: DifferentialExpressionAnswer, r: Map<string, RRow>, tol: number, pRel: number): void {
  expect(answer.rows.length).toBe(r.size);
  const bad: string[] = [];
  const close = (a: number, b: number, t: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= t;
  const closeP = (a: number, b: number): boolean => Math.abs(a - b) <= Math.max(1e-12, pRel * Math.abs(b));
  for (const row of answer.rows) {
    const want = r.get(row.gene);
    if (!want) { bad.push(`${row.gene}: not in R's table`); continue; }
    if (!close(row.logfc, want.logfc, tol) || !close(row.ave_expr, want.ave, tol) || !close(row.t, want.t, tol) || !closeP(row.p, want.p) || !closeP(row.adj_p, want.adj)) {
      if (bad.length < 10) bad.push(`${row.gene}: ${JSON.stringify(row)} vs R ${JSON.stringify(want)}`);
    }
    compared += 1;
  }
  expect(bad).toEqual([]);
  // Sorted by p, as topTable(sort.by = "P").
  for (let i = 1; i < answer.rows.length; i++) expect(answer.rows[i]!.p).toBeGreaterThanOrEqual(answer.rows[i - 1]!.p);
}

async function splitPasilla(): Promise<{ matrices: Record<string, string>; phenotypes: Record<string, string> }> {
  const lines = (await readFile(join(FIXTURES, 'pasilla_gene_counts.tsv'), 'utf8')).split('\n').filter(Boolean);
  const header = lines[0]!.split('\t');
  const ann = (await readFile(join(FIXTURES, 'pasilla_sample_annotation.csv'), 'utf8')).split('\n').slice(1).filter(Boolean).map((l) => l.split(',').map((x) => x.replace(/"/g, '')));
  const typeOf = new Map(ann.map((r) => [r[0]!.replace(/fb$/, ''), r[2]!]));
  const matrices: Record<string, string> = {};
  const phenotypes: Record<string, string> = {};
  for (const [site, samples] of Object.entries(SITES)) {
    const cols = samples.map((s) => header.indexOf(s));
    const text = lines.map((l) => {
      const f = l.split('\t');
      return [f[0], ...cols.map((c) => f[c])].join('\t');
    }).join('\n');
    matrices[site] = join(dir, `${site}.tsv`);
    await writeFile(matrices[site], `${text}\n`);
    phenotypes[site] = join(dir, `${site}.pheno.tsv`);
    await writeFile(phenotypes[site], ['sample\tcondition\tlibtype', ...samples.map((s) => `${s}\t${s.startsWith('treated') ? 'treated' : 'untreated'}\t${typeOf.get(s)}`)].join('\n') + '\n');
  }
  return { matrices, phenotypes };
}

/** Pasilla split across the 3 sites, under size and differencing threshold k. */
async function pasillaConsortium(k: number): Promise<Consortium> {
  const split = await splitPasilla();
  return startConsortium({
    sites: Object.keys(SITES), vcfs: {}, schema, minCohortSize: k, privacy: { differencingK: k },
    phenotypes: split.phenotypes,
    expression: Object.fromEntries(Object.entries(split.matrices).map(([s, path]) => [s, { path }])),
  });
}

/** R's `tag trend gene logFC AveExpr t P adj.P` lines -> tag+trend -> gene -> row. */
function parseRTables(out: string): Map<string, Map<string, RRow>> {
  const tables = new Map<string, Map<string, RRow>>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [q, trend, gene, ...v] = line.split('\t');
    const key = `${q}${trend}`;
    if (!tables.has(key)) tables.set(key, new Map());
    const [logfc, ave, t, p, adj] = v.map(Number) as [number, number, number, number, number];
    tables.get(key)!.set(gene!, { logfc, ave, t, p, adj });
  }
  return tables;
}

describe.skipIf(!HAS_R)('differential expression over the network equals limma on the pooled matrix (pasilla, 3 sites)', () => {
  let c: Consortium;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-expr-'));
    // Pasilla has 3 treated samples and one single-read treated sample: size and differencing thresholds off (k = 1) here; the k rules are tested below.
    c = await pasillaConsortium(1);
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function equalsLimma(withCovariate: boolean): Promise<void> {
    const r = await rLimma(withCovariate);
    const fed = await c.federationWith();
    try {
      for (const trend of [false, true]) {
        const answer = await fed.differentialExpression({ querier: 'alice', groupA: "condition = 'treated'", groupB: "condition = 'untreated'", ...(withCovariate ? { covariates: ['libtype'] } : {}), trend });
        expect(answer.n).toBe(7);
        expect(answer.values).toBe('counts');
        expect(answer.design).toEqual(withCovariate ? ['(Intercept)', 'group', 'libtypepaired-end'] : ['(Intercept)', 'group']);
        expect(answer.sites.responding).toEqual(['a', 'b', 'c']);
        compare(answer, r.get(`Q${trend ? 'T' : 'F'}`)!, 1e-6, 1e-6);
        compare(answer, r.get(`U${trend ? 'T' : 'F'}`)!, 1e-4, 1e-3);
      }
    } finally {
      await fed.close();
    }
  }

  it('every gene equals R limma, ~ group, trend FALSE and TRUE', () => equalsLimma(false), 180_000);
  it('every gene equals R limma, ~ group + libtype, trend FALSE and TRUE', () => equalsLimma(true), 180_000);

  it('tests only the genes asked that every site holds, and says how many were not', async () => {
    const fed = await c.federationWith();
    try {
      const answer = await fed.differentialExpression({ querier: 'alice', groupA: "condition = 'treated'", groupB: "condition = 'untreated'", genes: ['FBgn0000008', 'FBgn0000017', 'FBgn9999999'] });
      expect(answer.rows.map((x) => x.gene).sort()).toEqual(['FBgn0000008', 'FBgn0000017']);
      expect(answer.genesNotAtEverySite).toBe(1);
    } finally {
      await fed.close();
    }
  }, 60_000);
});

describe.skipIf(!HAS_R)('expression answers under the k rules (nodes verify groups and every group x covariate cell)', () => {
  let c: Consortium;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-expr-k-'));
    c = await pasillaConsortium(2);
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('groups of 3 and 4 are answered at k = 2; with the library type, the one single-read treated sample is a cell of 1 and every node refuses', async () => {
    const fed = await c.federationWith();
    try {
      const ok = await fed.differentialExpression({ querier: 'alice', groupA: "condition = 'treated'", groupB: "condition = 'untreated'", genes: ['FBgn0000008'] });
      expect(ok.rows).toHaveLength(1);
      // X'y of the libtype column minus the group's would be that one sample's expression of every gene.
      await expect(fed.differentialExpression({ querier: 'alice', groupA: "condition = 'treated'", groupB: "condition = 'untreated'", covariates: ['libtype'], genes: ['FBgn0000008'] }))
        .rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/refused with GENOFED_COHORT_TOO_SMALL/) });
      // A group of one: refused before any sum leaves a node.
      await expect(fed.differentialExpression({ querier: 'alice', groupA: "condition = 'treated' and libtype = 'single-read'", groupB: "condition = 'untreated'", genes: ['FBgn0000008'] }))
        .rejects.toMatchObject({ code: 'GENOFED_SITE_FAILED', message: expect.stringMatching(/refused with GENOFED_COHORT_TOO_SMALL/) });
    } finally {
      await fed.close();
    }
  }, 120_000);
});

describe('expression comparison guard', () => {
  it('the R comparison ran (Rscript with limma and edgeR must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_R).toBe(true);
    if (HAS_R) expect(compared).toBeGreaterThan(8 * 14_000);
  });
});

const R_LOG = String.raw`
suppressPackageStartupMessages(library(limma))
args <- commandArgs(TRUE)
y <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
y <- y[, sheet$sample]
agebin <- c(20, 40, 60)[findInterval(sheet$age, c(20, 40, 60, 80))]
design <- model.matrix(~ factor(sheet$group, levels = c("B", "A")) + factor(sheet$sex, levels = c("female", "male")) + agebin)
q <- floor(y * 2^24 + 0.5) / 2^24
f <- function(x) sprintf("%.17g", x)
for (trend in c(FALSE, TRUE)) {
  tt <- topTable(eBayes(lmFit(q, design), trend = trend), coef = 2, number = Inf, sort.by = "P")
  writeLines(paste("Q", if (trend) "T" else "F", rownames(tt), f(tt$logFC), f(tt$AveExpr), f(tt$t), f(tt$P.Value), f(tt$adj.P.Val), sep = "\t"))
}
`;

/** limma on the pooled values clipped to [-clip, clip] (what every node sums when the query carries a clip), then quantized. */
const R_LOG_CLIPPED = String.raw`
suppressPackageStartupMessages(library(limma))
args <- commandArgs(TRUE)
y <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
clip <- as.numeric(args[3])
y <- y[, sheet$sample]
design <- model.matrix(~ factor(sheet$group, levels = c("B", "A")))
q <- floor(pmin(pmax(y, -clip), clip) * 2^24 + 0.5) / 2^24
f <- function(x) sprintf("%.17g", x)
tt <- topTable(eBayes(lmFit(q, design)), coef = 2, number = Inf, sort.by = "P")
writeLines(paste("Q", "F", rownames(tt), f(tt$logFC), f(tt$AveExpr), f(tt$t), f(tt$P.Value), f(tt$adj.P.Val), sep = "\t"))
`;

describe.skipIf(!HAS_R)('log values over the network (synthetic microarray-like matrix, 120 1000G samples, 3 sites; numeric covariate in bins)', () => {
  let c: Consortium;
  let data: SyntheticExpression;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-expr-log-'));
    data = presetExpression('small', { values: 'log', genes: 1_500 });
    const ageSchema = parsePhenotypeSchema({
      format: 'genofed-phenotype-schema', version: 1,
      columns: [
        { name: 'group', type: 'categorical', values: ['A', 'B'] },
        { name: 'sex', type: 'categorical', values: ['female', 'male'] },
        { name: 'age', type: 'integer', bins: [20, 40, 60, 80] },
      ],
    });
    const matrices: Record<string, { path: string; values: 'log' | 'counts' }> = {};
    const phenotypes: Record<string, string> = {};
    for (const [s, site] of ['a', 'b', 'c'].entries()) {
      const columns = data.samples.map((_, j) => j).filter((j) => j % 3 === s);
      matrices[site] = { path: join(dir, `${site}.tsv`), values: 'log' };
      await writeFile(matrices[site].path, matrixTsv(data, columns));
      phenotypes[site] = join(dir, `${site}.pheno.tsv`);
      await writeFile(phenotypes[site], ['sample\tgroup\tsex\tage', ...columns.map((j) => { const p = data.phenotypes[j]!; return `${p.sample}\t${p.group}\t${p.sex}\t${p.age}`; })].join('\n') + '\n');
    }
    await writeFile(join(dir, 'pooled.tsv'), matrixTsv(data));
    await writeFile(join(dir, 'sheet.tsv'), ['sample\tgroup\tsex\tage', ...data.phenotypes.map((p) => `${p.sample}\t${p.group}\t${p.sex}\t${p.age}`)].join('\n') + '\n');
    c = await startConsortium({ sites: ['a', 'b', 'c'], vcfs: {}, schema: ageSchema, minCohortSize: 3, privacy: { differencingK: 3 }, phenotypes, expression: matrices });
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every gene equals R limma on the pooled log values, ~ group + sex + age (bin lower edges), trend FALSE and TRUE', async () => {
    await writeFile(join(dir, 'oracle.R'), R_LOG);
    const tables = parseRTables(execFileSync('Rscript', ['--vanilla', join(dir, 'oracle.R'), join(dir, 'pooled.tsv'), join(dir, 'sheet.tsv')], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    const fed = await c.federationWith();
    try {
      for (const trend of [false, true]) {
        const answer = await fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'", covariates: ['sex', 'age'], trend });
        expect(answer.values).toBe('log');
        expect(answer.n).toBe(120);
        expect(answer.design).toEqual(['(Intercept)', 'group', 'sexmale', 'age']);
        compare(answer, tables.get(`Q${trend ? 'T' : 'F'}`)!, 1e-6, 1e-6);
      }
      // Planted differences: most found at 5% FDR (the group effect is B vs A; logfc here is A - B).
      const answer = await fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'", covariates: ['sex', 'age'] });
      const planted = new Map(data.truth.map((t) => [t.gene, t.deLog2fc]));
      const called = answer.rows.filter((r) => r.adj_p < 0.05);
      const hits = called.filter((r) => planted.get(r.gene) !== 0);
      expect(hits.length / data.truth.filter((t) => t.deLog2fc !== 0).length).toBeGreaterThan(0.8);
      expect((called.length - hits.length) / Math.max(1, called.length)).toBeLessThan(0.15);
      for (const r of hits) expect(Math.sign(r.logfc)).toBe(-Math.sign(planted.get(r.gene)!));
    } finally {
      await fed.close();
    }
  }, 180_000);

  it('with a clip (DP off), every node clips each value to [-clip, clip] before summing: every gene equals R limma on the pooled values clipped to [-8, 8]', async () => {
    await writeFile(join(dir, 'clipped.R'), R_LOG_CLIPPED);
    const tables = parseRTables(execFileSync('Rscript', ['--vanilla', join(dir, 'clipped.R'), join(dir, 'pooled.tsv'), join(dir, 'sheet.tsv'), '8'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    const fed = await c.federationWith();
    try {
      const clipped = await fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'", clip: 8 });
      expect(clipped.dp).toBeNull();
      compare(clipped, tables.get('QF')!, 1e-6, 1e-6);
      // The clip changed something: the unclipped answer differs.
      const plain = await fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'" });
      const byGene = new Map(plain.rows.map((r) => [r.gene, r.ave_expr]));
      expect(clipped.rows.filter((r) => Math.abs(r.ave_expr - byGene.get(r.gene)!) > 1e-3).length).toBeGreaterThan(100);
    } finally {
      await fed.close();
    }
  }, 180_000);

  it('a network where one site holds counts and the others log values is refused, naming the mix', async () => {
    // Site c re-ingests its matrix as counts (the values are 4-decimal log2 intensities: not integers, accepted with a warning).
    await c.close();
    const fedDir = await mkdtemp(join(tmpdir(), 'genofed-expr-mix-'));
    try {
      const counts = presetExpression('small', { genes: 300 });
      const paths: Record<string, { path: string; values: 'log' | 'counts' }> = {};
      const phenotypes: Record<string, string> = {};
      for (const [s, site] of ['a', 'b', 'c'].entries()) {
        const columns = counts.samples.map((_, j) => j).filter((j) => j % 3 === s);
        const src = site === 'c' ? counts : data;
        paths[site] = { path: join(fedDir, `${site}.tsv`), values: site === 'c' ? 'counts' : 'log' };
        await writeFile(paths[site].path, matrixTsv(src, columns));
        phenotypes[site] = join(fedDir, `${site}.pheno.tsv`);
        await writeFile(phenotypes[site], ['sample\tgroup', ...columns.map((j) => `${src.phenotypes[j]!.sample}\t${src.phenotypes[j]!.group}`)].join('\n') + '\n');
      }
      const mixed = await startConsortium({
        sites: ['a', 'b', 'c'], vcfs: {}, minCohortSize: 3, privacy: { differencingK: 3 }, phenotypes, expression: paths,
        schema: parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'group', type: 'categorical', values: ['A', 'B'] }] }),
      });
      const fed = await mixed.federationWith();
      try {
        await expect(fed.differentialExpression({ querier: 'alice', groupA: "group = 'A'", groupB: "group = 'B'", genes: [counts.genes[0]!.id] }))
          .rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_MISMATCH', message: expect.stringMatching(/1 counts, 2 log values, of 3/) });
      } finally {
        await fed.close();
        await mixed.close();
      }
    } finally {
      await rm(fedDir, { recursive: true, force: true });
    }
  }, 180_000);
});

const HAS_BLADDERBATCH = HAS_R && (() => {
  try {
    execFileSync('Rscript', ['--vanilla', '-e', 'suppressMessages(library(bladderbatch))'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const R_BLADDER_EXPORT = String.raw`
suppressMessages({ library(bladderbatch); library(Biobase) })
data(bladderdata)
e <- exprs(bladderEset)
p <- pData(bladderEset)
out <- commandArgs(TRUE)[1]
write.table(data.frame(probe = rownames(e), e, check.names = FALSE), file.path(out, "bladder.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(data.frame(sample = rownames(p), cancer = p$cancer, batch = p$batch), file.path(out, "bladder-pheno.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
`;

const R_BLADDER_LIMMA = String.raw`
suppressPackageStartupMessages(library(limma))
args <- commandArgs(TRUE)
y <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
p <- read.delim(args[2], stringsAsFactors = FALSE)
p <- p[p$cancer %in% c("Cancer", "Normal"), ]
q <- floor(y[, p$sample] * 2^24 + 0.5) / 2^24
design <- model.matrix(~ factor(p$cancer, levels = c("Normal", "Cancer")))
f <- function(x) sprintf("%.17g", x)
for (trend in c(FALSE, TRUE)) {
  tt <- topTable(eBayes(lmFit(q, design), trend = trend), coef = 2, number = Inf, sort.by = "P")
  writeLines(paste("Q", if (trend) "T" else "F", rownames(tt), f(tt$logFC), f(tt$AveExpr), f(tt$t), f(tt$P.Value), f(tt$adj.P.Val), sep = "\t"))
}
`;

describe.skipIf(!HAS_BLADDERBATCH)('bladderbatch (57 bladder samples, Affymetrix log2 values): its 5 processing batches as 5 sites', () => {
  let c: Consortium;
  let bdir = '';

  beforeAll(async () => {
    bdir = await mkdtemp(join(tmpdir(), 'genofed-bladder-'));
    await writeFile(join(bdir, 'export.R'), R_BLADDER_EXPORT);
    execFileSync('Rscript', ['--vanilla', join(bdir, 'export.R'), bdir], { stdio: 'ignore' });
    const lines = (await readFile(join(bdir, 'bladder.tsv'), 'utf8')).split('\n').filter(Boolean).map((l) => l.split('\t'));
    const pheno = (await readFile(join(bdir, 'bladder-pheno.tsv'), 'utf8')).split('\n').filter(Boolean).slice(1).map((l) => l.split('\t'));
    const sites = [...new Set(pheno.map((r) => r[2]!))].sort().map((b) => `batch${b}`);
    const matrices: Record<string, { path: string; values: 'log' }> = {};
    const phenotypes: Record<string, string> = {};
    for (const site of sites) {
      const rows = pheno.filter((r) => `batch${r[2]}` === site);
      const cols = rows.map((r) => lines[0]!.indexOf(r[0]!));
      matrices[site] = { path: join(bdir, `${site}.tsv`), values: 'log' };
      await writeFile(matrices[site].path, lines.map((f) => [f[0], ...cols.map((j) => f[j])].join('\t')).join('\n') + '\n');
      phenotypes[site] = join(bdir, `${site}.pheno.tsv`);
      await writeFile(phenotypes[site], ['sample\tcancer', ...rows.map((r) => `${r[0]}\t${r[1]}`)].join('\n') + '\n');
    }
    c = await startConsortium({
      sites, vcfs: {}, phenotypes, expression: matrices,
      schema: parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: [{ name: 'cancer', type: 'categorical', values: ['Normal', 'Cancer', 'Biopsy'] }] }),
    });
  }, 180_000);

  afterAll(async () => {
    await c?.close();
    if (bdir) await rm(bdir, { recursive: true, force: true });
  });

  it('Cancer vs Normal over the 5 batch sites equals limma on the pooled 48 samples for every probe, trend FALSE and TRUE (k = 5: 8 normal samples)', async () => {
    await writeFile(join(bdir, 'limma.R'), R_BLADDER_LIMMA);
    const tables = parseRTables(execFileSync('Rscript', ['--vanilla', join(bdir, 'limma.R'), join(bdir, 'bladder.tsv'), join(bdir, 'bladder-pheno.tsv')], { encoding: 'utf8', maxBuffer: 1 << 27 }));
    const fed = await c.federationWith();
    const before = compared;
    try {
      for (const trend of [false, true]) {
        const answer = await fed.differentialExpression({ querier: 'alice', groupA: "cancer = 'Cancer'", groupB: "cancer = 'Normal'", trend });
        expect(answer.n).toBe(48);
        expect(answer.values).toBe('log');
        expect(answer.sites.responding).toHaveLength(5);
        compare(answer, tables.get(`Q${trend ? 'T' : 'F'}`)!, 1e-6, 1e-6);
      }
      bladderCompared = compared - before;
    } finally {
      await fed.close();
    }
  }, 180_000);
});

describe('bladderbatch comparison guard', () => {
  it('the bladderbatch comparison ran (r-bioc-bladderbatch must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_BLADDERBATCH).toBe(true);
    if (HAS_BLADDERBATCH) expect(bladderCompared).toBe(2 * 22_283);
  });
});
