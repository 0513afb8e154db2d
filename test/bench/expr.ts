/**
 * `npm run bench -- --suite expr [--quick] [--json]` (issue 12)
 *
 * The synthetic human RNA-seq counts of coordinator/demo/synthetic-expression.ts
 * (bench preset: 20,000 genes x 900 1000G samples; --quick 5,000 x 300)
 * split into 3 sites of equal size, each a separate node process (mTLS,
 * default BFV preset, masks and the node checks as `network init` writes
 * them). Figures, measured in the same run (median of the runs):
 * - `de_ms`: one differential-expression query end to end (gene listing,
 *   the scale round, the sums round: size rounds, exact sums, limbs,
 *   encryption, the coordinator's sums, limma's fit and eBayes), group A vs
 *   B with sex as covariate;
 * - `limma_ms`: Rscript on the pooled matrix, the whole process (R start,
 *   `read.delim` of the pooled TSV, edgeR `cpm(log = TRUE)`, `lmFit`,
 *   `eBayes`, `topTable`), and `limma_fit_ms`, R's own time of the part
 *   after reading (`system.time`); `de_vs_limma` = de_ms / limma_ms
 *   (target <= 2.0) and `de_vs_limma_fit`.
 * Sanity (the bench fails otherwise): every gene's moderated t of the
 * network equals R's on the quantized log-CPM within 1e-6.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { matrixText } from '../../coordinator/demo/demo-expression.js';
import { presetExpression } from '../../coordinator/demo/synthetic-expression-presets.js';
import { createFederation } from '../../coordinator/federation/create.js';
import { networkInit } from '../../coordinator/network/init.js';
import { ingest } from '../../node/store/index.js';
import { parsePhenotypeSchema, SCHEMA_FORMAT } from '../../proto/phenotype-schema.js';
import { startSiteNodes, stopNodeProcesses } from './node-processes.js';
import type { BenchSuite } from './suite.js';

const SITES = ['a', 'b', 'c'];

const R_SCRIPT = String.raw`
suppressPackageStartupMessages({ library(limma); library(edgeR) })
args <- commandArgs(TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], stringsAsFactors = FALSE)
tm <- system.time({
  counts <- counts[, sheet$sample]
  design <- model.matrix(~ factor(sheet$group, levels = c("B", "A")) + factor(sheet$sex, levels = c("female", "male")))
  lc <- cpm(counts, log = TRUE, prior.count = 2)
  q <- floor(lc * 2^24 + 0.5) / 2^24
  tt <- topTable(eBayes(lmFit(q, design)), coef = 2, number = Inf, sort.by = "P")
})
cat(sprintf("fit_ms\t%.1f\n", 1000 * tm[["elapsed"]]))
writeLines(paste(rownames(tt), sprintf("%.17g", tt$t), sep = "\t"))
`;

function runR(args: string[]): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p: ChildProcess = spawn('Rscript', ['--vanilla', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { err += d; });
    p.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(`Rscript exited ${code}: ${err.slice(0, 500)}`))));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const suite: BenchSuite = {
  name: 'expr',
  description: 'differential expression over 3 node processes vs R limma on the pooled matrix (issue 12)',
  async run(ctx) {
    const quick = ctx.quick;
    const data = presetExpression('bench', quick ? { genes: 5_000, samples: 300 } : {});
    const S = data.samples.length;
    ctx.log(`expr: ${data.genes.length} genes x ${S} samples, ${SITES.length} sites`);
    const dir = join(ctx.scratch, 'expr');
    await mkdir(dir, { recursive: true });
    const schema = parsePhenotypeSchema({
      format: SCHEMA_FORMAT, version: 1,
      columns: [{ name: 'group', type: 'categorical', values: ['A', 'B'] }, { name: 'sex', type: 'categorical', values: ['female', 'male'] }],
    });
    const layout = await networkInit({ sites: SITES, out: join(dir, 'net'), basePort: 0, schema });
    const phenotypeOf = new Map(data.phenotypes.map((p) => [p.sample, p]));
    for (const [s, site] of SITES.entries()) {
      const columns = data.samples.map((_, j) => j).filter((j) => j % SITES.length === s);
      const matrix = join(dir, `${site}.tsv`);
      const pheno = join(dir, `${site}.pheno.tsv`);
      await writeFile(matrix, matrixText(data, columns));
      await writeFile(pheno, ['sample\tgroup\tsex', ...columns.map((j) => { const p = phenotypeOf.get(data.samples[j]!)!; return `${p.sample}\t${p.group}\t${p.sex}`; })].join('\n') + '\n');
      await ingest(layout.siteStores[site]!, { rawIds: true, vcfs: [], phenotypes: pheno, schema, expression: matrix, expressionValues: 'counts' });
    }
    const pooled = join(dir, 'pooled.tsv');
    const sheet = join(dir, 'sheet.tsv');
    await writeFile(pooled, matrixText(data, data.samples.map((_, j) => j)));
    await writeFile(sheet, ['sample\tgroup\tsex', ...data.phenotypes.map((p) => `${p.sample}\t${p.group}\t${p.sex}`)].join('\n') + '\n');
    await writeFile(join(dir, 'limma.R'), R_SCRIPT);

    const children: ChildProcess[] = [];
    try {
      const config = await startSiteNodes(layout, SITES, children);
      const fed = await createFederation(config, { logger: pino({ level: 'silent' }) });
      try {
        const runs = quick ? 3 : 3;
        const deMs: number[] = [];
        let answer;
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          answer = await fed.differentialExpression({ querier: 'bench', groupA: "group = 'A'", groupB: "group = 'B'", covariates: ['sex'] });
          deMs.push(performance.now() - t0);
          ctx.log(`expr: run ${i + 1}: ${Math.round(deMs.at(-1)!)} ms, ${answer.rows.length} genes`);
        }
        const limmaMs: number[] = [];
        const fitMs: number[] = [];
        let rOut = '';
        for (let i = 0; i < runs; i++) {
          const r = await runR([join(dir, 'limma.R'), pooled, sheet]);
          limmaMs.push(r.ms);
          fitMs.push(Number(/^fit_ms\t(\S+)/m.exec(r.out)![1]));
          rOut = r.out;
        }
        // Sanity: every gene's t equals R's on the quantized log-CPM.
        const rT = new Map(rOut.split('\n').filter((l) => l && !l.startsWith('fit_ms')).map((l) => { const [g, t] = l.split('\t'); return [g!, Number(t)]; }));
        let worst = 0;
        for (const row of answer!.rows) worst = Math.max(worst, Math.abs(row.t - rT.get(row.gene)!));
        if (!(worst <= 1e-6) || rT.size !== answer!.rows.length) throw new Error(`expr: the network's t differs from R limma's by ${worst} (or the gene counts differ: ${answer!.rows.length} vs ${rT.size})`);
        const de = median(deMs);
        const limma = median(limmaMs);
        const fit = median(fitMs);
        return {
          genes: data.genes.length, samples: S, sites: SITES.length,
          de_ms: Math.round(de), limma_ms: Math.round(limma), limma_fit_ms: Math.round(fit),
          de_vs_limma: Number((de / limma).toFixed(2)), de_vs_limma_fit: Number((de / fit).toFixed(2)),
          max_t_difference_vs_limma: worst,
        };
      } finally {
        await fed.close();
      }
    } finally {
      await stopNodeProcesses(children);
    }
  },
};
