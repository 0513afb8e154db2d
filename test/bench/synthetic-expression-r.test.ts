/**
 * The synthetic expression data (small preset) analysed in R the way the
 * network's answers will be checked: limma on edgeR's log-CPM (prior.count
 * 2), ~ group + sex + age + batch, and a cis scan: the slope t of
 * lm(log-CPM ~ dosage) for every variant within 1 Mb of the gene's start
 * (from the correlation, which gives lm's t exactly and 1,000 times
 * faster), per gene the best p with Bonferroni over its variants, then BH
 * over the genes. Both must find most planted genes at 5% FDR with few
 * false discoveries. Skips only without Rscript; fails in CI then. One
 * Rscript run, about 3 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAS_R, parseR, runR } from '../coordinator/stats/r-oracle.js';
import { presetExpression } from './synthetic-expression-cli.js';
import { writeExpressionFiles } from './synthetic-expression-files.js';
import { dosageOf } from '../../coordinator/demo/synthetic-expression-genotypes.js';

const SCRIPT = `
suppressPackageStartupMessages({ library(limma); library(edgeR) })
d <- readLines(commandArgs(TRUE)[1])[1]
y <- as.matrix(read.delim(file.path(d, "expression.tsv"), row.names = 1, check.names = FALSE))
ph <- read.delim(file.path(d, "phenotypes.tsv"), stringsAsFactors = TRUE)
tr <- read.delim(file.path(d, "truth.tsv"), stringsAsFactors = FALSE)
an <- read.delim(file.path(d, "genes.tsv"), stringsAsFactors = FALSE)
g <- read.delim(file.path(d, "dosages.tsv"), check.names = FALSE, stringsAsFactors = FALSE)
stopifnot(identical(colnames(y), as.character(ph$sample)), identical(rownames(y), tr$gene), identical(colnames(g)[-(1:3)], colnames(y)))
l <- cpm(y, log = TRUE, prior.count = 2)
fit <- eBayes(lmFit(l, model.matrix(~ group + sex + age + batch, ph)))
tt <- topTable(fit, coef = "groupB", n = Inf, sort.by = "none")
called <- tt$adj.P.Val < 0.05; de <- tr$de_log2fc != 0
cat("DE", sum(de), sum(called), sum(called & de), sum(called & !de), format(cor(tt$logFC[de], tr$de_log2fc[de]), digits = 17), sep = "\\t"); cat("\\n")
G <- t(as.matrix(g[, -(1:3)])); n <- ncol(l)
cis <- which(sapply(seq_len(nrow(an)), function(i) any(g$chrom == an$chrom[i] & abs(g$pos - an$start[i]) <= 1e6)))
best <- sapply(cis, function(i) {
  w <- which(g$chrom == an$chrom[i] & abs(g$pos - an$start[i]) <= 1e6)
  # lm(y ~ dosage)'s slope t for every variant at once: t = r sqrt((n - 2) / (1 - r^2)).
  r <- suppressWarnings(cor(G[, w, drop = FALSE], l[i, ])); r[is.na(r)] <- 0
  p <- 2 * pt(-abs(r * sqrt((n - 2) / (1 - r^2))), n - 2)
  min(1, min(p) * length(w))
})
q <- p.adjust(best, "BH") < 0.05; planted <- tr$eqtl_variant[cis] != ""
cat("EQTL", length(cis), sum(planted), sum(q), sum(q & planted), sum(q & !planted), sep = "\\t"); cat("\\n")
`;

describe('synthetic expression data in R (limma, lm)', () => {
  it('R is installed (CI fails here when it is not)', () => {
    if (process.env.CI) expect(HAS_R).toBe(true);
    else expect(typeof HAS_R).toBe('boolean');
  });

  const dir = mkdtempSync(join(tmpdir(), 'genofed-synexpr-r-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!HAS_R)('limma finds most planted DE genes and lm most planted eQTL genes at 5% FDR, with few false discoveries', () => {
    const data = presetExpression('small');
    writeExpressionFiles(dir, data);
    const g = data.genotypes!;
    const lines = [`id\tchrom\tpos\t${data.samples.join('\t')}`, ...g.variants.map((v, k) => `${v.id}\t${v.chrom}\t${v.pos}\t${Array.from(dosageOf(g, k)).join('\t')}`)];
    writeFileSync(join(dir, 'dosages.tsv'), `${lines.join('\n')}\n`);
    const out = new Map(runR(SCRIPT, `${dir}\n`).map((r) => [r[0]!, r.slice(1).map((x) => parseR(x)!)]));
    const [planted, called, tp, fp, cor] = out.get('DE')!;
    expect(planted).toBe(200);
    expect(tp! / planted!).toBeGreaterThan(0.9); // power
    expect(fp! / called!).toBeLessThan(0.1); // false discovery proportion (5% FDR, one draw)
    expect(cor).toBeGreaterThan(0.95);
    const [cis, eqtl, eCalled, eTp, eFp] = out.get('EQTL')!;
    expect([cis, eqtl]).toEqual([100, 20]);
    expect(eTp! / eqtl!).toBeGreaterThan(0.5);
    expect(eFp! / Math.max(1, eCalled!)).toBeLessThan(0.15);
  });
});
