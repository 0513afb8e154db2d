/**
 * The R side of the limma comparisons (limma 3.54, edgeR 3.40 on R 4.2):
 * every value printed with %.17g so that each double round-trips.
 *
 * A fit row: tag, trend (F|T), then per gene (original order): the p
 * coefficients, the p stdev.unscaled, sigma, df.residual, Amean, s2.prior,
 * s2.post, t, df.total, P.Value, adj.P.Val (topTable, matched back by row
 * name), rank in topTable(sort.by = "P"), df.prior.
 */

const EMIT = String.raw`
suppressPackageStartupMessages(library(limma))
f <- function(x) sprintf("%.17g", x)
emitRows <- function(tag, M) {
  out <- matrix(f(M), nrow(M))
  writeLines(paste(tag, apply(out, 1, paste, collapse = "\t"), sep = "\t"))
}
emit <- function(tag, y, design, coef) {
  rownames(y) <- paste0("g", seq_len(nrow(y)))
  invisible(capture.output(fit <- lmFit(y, design)))
  for (trend in c(FALSE, TRUE)) {
    eb <- suppressWarnings(eBayes(fit, trend = trend))
    tt <- topTable(eb, coef = coef, number = Inf, sort.by = "P")
    rank <- match(rownames(y), rownames(tt))
    M <- cbind(eb$coefficients, eb$stdev.unscaled, eb$sigma, eb$df.residual, eb$Amean,
      rep_len(eb$s2.prior, nrow(y)), eb$s2.post, eb$t[, coef], eb$df.total, eb$p.value[, coef],
      tt$adj.P.Val[rank], rank, eb$df.prior)
    emitRows(paste(tag, if (trend) "T" else "F", sep = "\t"), M)
  }
}
`;

/** args: counts TSV, annotation CSV. Prints the design, edgeR's log-CPM ("cpm"), and fits on the quantized ("Q") and the raw ("U") log-CPM. */
export const R_PASILLA = EMIT + String.raw`
suppressPackageStartupMessages(library(edgeR))
args <- commandArgs(TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
ann <- read.csv(args[2])
type <- factor(ann$type[match(colnames(counts), sub("fb$", "", ann$file))])
cond <- factor(ifelse(grepl("^treated", colnames(counts)), "treated", "untreated"), levels = c("untreated", "treated"))
design <- model.matrix(~ cond + type)
emitRows("design", design)
lc <- cpm(counts, log = TRUE, prior.count = 2)
emitRows("cpm", lc)
q <- floor(lc * 2^24 + 0.5) / 2^24
emit("Q", q, design, 2)
emit("U", lc, design, 2)
`;

/** args: values TSV (genes x samples), design TSV (samples x p, header), coefficient (1-based) in a file. */
export const R_MATRIX = EMIT + String.raw`
args <- commandArgs(TRUE)
y <- as.matrix(read.table(args[1], sep = "\t"))
design <- as.matrix(read.table(args[2], sep = "\t", header = TRUE))
coef <- as.integer(readLines(args[3]))
emit("S", y, design, coef)
`;

/** args: rows file (per row: y values, then dosages, tab-separated, n each), covariate file (n values). Per row: estimate, SE, t, p of dosage (NA when R drops it). */
export const R_OLS = String.raw`
f <- function(x) sprintf("%.17g", x)
args <- commandArgs(TRUE)
rows <- as.matrix(read.table(args[1], sep = "\t"))
age <- scan(args[2], quiet = TRUE)
n <- length(age)
for (i in seq_len(nrow(rows))) {
  y <- rows[i, 1:n]; dosage <- rows[i, (n + 1):(2 * n)]
  s <- suppressWarnings(summary(lm(y ~ dosage + age)))$coefficients
  v <- if ("dosage" %in% rownames(s)) s["dosage", ] else rep(NA, 4)
  cat(f(v), sep = "\t"); cat("\n")
}
`;

/** args: case, x, df1, covariate (NA = none) as columns. Per case: a row of scale (one per x), then a row with df2. */
export const R_FIT_F_DIST = String.raw`
f <- function(x) sprintf("%.17g", x)
dat <- read.table(commandArgs(TRUE)[1], sep = "\t", header = TRUE)
for (k in unique(dat$case)) {
  d <- dat[dat$case == k, ]
  cv <- if (all(is.na(d$covariate))) NULL else d$covariate
  fit <- suppressWarnings(limma:::fitFDist(d$x, d$df1, covariate = cv))
  cat(f(rep_len(fit$scale, nrow(d))), sep = "\t"); cat("\n")
  cat(f(fit$df2), "\n")
}
`;

/** args: x; knots spec file: df, intercept (0/1), then optional "predict" x values. Prints the ns basis rows, then predict() rows at the new x. */
export const R_NS = String.raw`
f <- function(x) sprintf("%.17g", x)
args <- commandArgs(TRUE)
x <- scan(args[1], quiet = TRUE)
spec <- scan(args[2], quiet = TRUE)
b <- splines::ns(x, df = spec[1], intercept = spec[2] == 1)
M <- unclass(b)[, , drop = FALSE]
writeLines(paste("basis", apply(matrix(f(M), nrow(M)), 1, paste, collapse = "\t"), sep = "\t"))
if (length(spec) > 2) {
  P <- predict(b, spec[-(1:2)])[, , drop = FALSE]
  writeLines(paste("predict", apply(matrix(f(P), nrow(P)), 1, paste, collapse = "\t"), sep = "\t"))
}
`;
