/**
 * coordinator/stats against R 4.x, run in the test through Rscript, on a few
 * hundred genotype tables drawn from realistic ranges: empty and tiny
 * groups, rare variants, common variants with and without association,
 * p-values down to 1e-300 and beyond, groups of 50,000 individuals.
 *
 * Tolerance: relative difference <= 1e-9 for every statistic. Exceptions,
 * stated: a p-value R puts below 1e-300 only has to be below 1e-290 here too
 * (both lose relative precision as doubles go subnormal near 1e-308); a
 * chi-square statistic also passes within 1e-12 absolute (R's
 * sum((O - E)^2 / E) and lm() lose digits for tables near independence).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allelicChiSquare,
  alleleTableFromGenotypes,
  benjaminiHochberg,
  faf95,
  fisherExact,
  genomicInflation,
  oddsRatio,
  poissonLowerBound,
  trendTest,
  type GenotypeCounts,
  type GenotypeTable,
} from '../../../coordinator/stats/index.js';
import { prng } from '../../bench/synthetic-vcf.js';
import { close, HAS_R, parseR, runR } from './r-oracle.js';

const REL = 1e-9;
const STAT_ABS = 1e-12;
const P_FLOOR = 1e-300;
let compared = 0;

const rnd = prng(20_240_610);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** n genotypes at ALT frequency f with inbreeding F (HWE when F = 0). */
function draw(n: number, f: number, F = 0): GenotypeCounts {
  const q = 1 - f;
  const pHomAlt = f * f + F * f * q;
  const pHet = 2 * f * q * (1 - F);
  let homAlt = 0;
  let het = 0;
  for (let i = 0; i < n; i++) {
    const u = rnd();
    if (u < pHomAlt) homAlt++;
    else if (u < pHomAlt + pHet) het++;
  }
  return { homRef: n - homAlt - het, het, homAlt };
}

function tablesFromRealisticRanges(): GenotypeTable[] {
  const out: GenotypeTable[] = [];
  const g = (homRef: number, het: number, homAlt: number): GenotypeCounts => ({ homRef, het, homAlt });
  // Fixed edges: empty table, an empty group, one genotype only, separated groups, zero cells.
  out.push(
    { cases: g(0, 0, 0), controls: g(0, 0, 0) },
    { cases: g(0, 0, 0), controls: g(3, 2, 1) },
    { cases: g(5, 0, 0), controls: g(7, 0, 0) },
    { cases: g(0, 6, 0), controls: g(0, 6, 0) },
    { cases: g(0, 0, 6), controls: g(6, 0, 0) },
    { cases: g(0, 0, 6), controls: g(1, 2, 3) },
    { cases: g(6, 0, 0), controls: g(1, 2, 3) },
    { cases: g(1, 0, 0), controls: g(0, 0, 1) },
    { cases: g(2503, 1, 0), controls: g(2504, 0, 0) },
    { cases: g(0, 1, 0), controls: g(0, 0, 0) },
  );
  // Tiny groups: zero cells everywhere.
  for (let i = 0; i < 60; i++) out.push({ cases: g(int(0, 4), int(0, 4), int(0, 3)), controls: g(int(0, 4), int(0, 4), int(0, 3)) });
  // Rare variants in 1000G-sized groups: zeros, singletons, doubletons.
  for (let i = 0; i < 60; i++) {
    const f = rnd() * 0.004;
    out.push({ cases: draw(int(100, 2504), f), controls: draw(int(100, 2504), f * 2 * rnd()) });
  }
  // Common, no association (with some inbreeding so trend and allelic differ).
  for (let i = 0; i < 80; i++) {
    const f = 0.02 + rnd() * 0.96;
    const F = rnd() * 0.2;
    out.push({ cases: draw(int(50, 2504), f, F), controls: draw(int(50, 2504), f, F) });
  }
  // Common, associated: p from 0.05 to ~1e-60.
  for (let i = 0; i < 80; i++) {
    const f = 0.05 + rnd() * 0.9;
    const d = (rnd() - 0.5) * 0.4;
    out.push({ cases: draw(int(200, 2504), f), controls: draw(int(200, 2504), Math.min(0.99, Math.max(0.01, f + d))) });
  }
  // Strongly associated, thousands of alleles: p from 1e-100 to below 1e-300.
  for (let i = 0; i < 60; i++) {
    const f = 0.25 + rnd() * 0.3;
    out.push({ cases: draw(int(1500, 3000), f), controls: draw(int(1500, 3000), f + 0.22 + rnd() * 0.2) });
  }
  // gnomAD-scale groups (up to 10^5 alleles each).
  for (let i = 0; i < 20; i++) {
    const f = rnd() < 0.5 ? rnd() * 0.001 : 0.01 + rnd() * 0.5;
    out.push({ cases: draw(int(20_000, 50_000), f), controls: draw(int(20_000, 50_000), f * (0.97 + rnd() * 0.06)) });
  }
  return out;
}

const R_ASSOCIATION = String.raw`
d <- read.table(commandArgs(TRUE)[1], header = TRUE, sep = "\t")
f <- function(x) format(unname(x), digits = 17)
z <- qnorm(0.975)
for (i in seq_len(nrow(d))) {
  cs <- c(d$caseHomRef[i], d$caseHet[i], d$caseHomAlt[i]); ct <- c(d$ctrlHomRef[i], d$ctrlHet[i], d$ctrlHomAlt[i])
  a <- cs[2] + 2 * cs[3]; b <- cs[2] + 2 * cs[1]; c <- ct[2] + 2 * ct[3]; dd <- ct[2] + 2 * ct[1]
  m <- matrix(c(a, c, b, dd), 2)
  ch <- tryCatch(suppressWarnings(chisq.test(m, correct = FALSE)), error = function(e) list(statistic = NaN, p.value = NaN)) # all-zero table
  fp <- fisher.test(m, conf.int = FALSE)$p.value
  or <- (a * dd) / (b * c); se <- sqrt(1 / a + 1 / b + 1 / c + 1 / dd)
  tr <- tryCatch(suppressWarnings(prop.trend.test(cs, cs + ct, score = 0:2)), error = function(e) list(statistic = NA, p.value = NA))
  cat(f(ch$statistic), f(ch$p.value), f(fp), f(or), f(se), f(exp(log(or) - z * se)), f(exp(log(or) + z * se)), f(tr$statistic), f(tr$p.value), sep = "\t")
  cat("\n")
}
`;

const TABLES = tablesFromRealisticRanges();

describe.skipIf(!HAS_R)('association statistics equal R on realistic tables', () => {
  const header = 'caseHomRef\tcaseHet\tcaseHomAlt\tctrlHomRef\tctrlHet\tctrlHomAlt\n';
  const input = header + TABLES.map((t) => [t.cases.homRef, t.cases.het, t.cases.homAlt, t.controls.homRef, t.controls.het, t.controls.homAlt].join('\t')).join('\n') + '\n';
  let rows: (number | null)[][] = [];
  beforeAll(() => {
    rows = runR(R_ASSOCIATION, input).map((r) => r.map(parseR));
  });
  const bad: string[] = [];
  beforeEach(() => {
    bad.length = 0;
  });
  const label = (i: number): string => `table ${i} ${JSON.stringify(TABLES[i])}`;

  /** A statistic: ours null exactly where R gives NA/NaN, else within REL (or STAT_ABS). */
  const stat = (i: number, name: string, ours: number | null, r: number | null): void => {
    compared++;
    const rDefined = r !== null && !Number.isNaN(r);
    if (ours === null || !rDefined) {
      if ((ours === null) !== !rDefined) bad.push(`${label(i)} ${name}: ours ${ours} R ${r}`);
      return;
    }
    if (!close(ours, r, REL, STAT_ABS)) bad.push(`${label(i)} ${name}: ours ${ours} R ${r}`);
  };
  /** A p-value: within REL down to 1e-300; below that both under 1e-290. */
  const pValue = (i: number, name: string, ours: number | null, r: number | null): void => {
    compared++;
    const rDefined = r !== null && !Number.isNaN(r);
    if (ours === null || !rDefined) {
      if ((ours === null) !== !rDefined) bad.push(`${label(i)} ${name}: ours ${ours} R ${r}`);
      return;
    }
    const ok = r >= P_FLOOR ? close(ours, r, REL) : ours < 1e-290;
    if (!ok || ours < 0 || ours > 1) bad.push(`${label(i)} ${name}: ours ${ours} R ${r}`);
  };

  it(`R printed one row per table (${TABLES.length} tables)`, () => {
    expect(rows.length).toBe(TABLES.length);
    expect(TABLES.length).toBeGreaterThan(350);
  });

  it('allelic chi-square and p equal chisq.test(correct = FALSE), null where R gives NaN', () => {
    rows.forEach((r, i) => {
      const chi = allelicChiSquare(alleleTableFromGenotypes(TABLES[i]!));
      stat(i, 'chisq', chi?.chisq ?? null, r[0]!);
      pValue(i, 'p', chi?.p ?? null, r[1]!);
    });
    expect(bad).toEqual([]);
  });

  it('Fisher p equals fisher.test on every table, 1 where the margins allow one table', () => {
    rows.forEach((r, i) => pValue(i, 'fisher', fisherExact(alleleTableFromGenotypes(TABLES[i]!)), r[2]!));
    expect(bad).toEqual([]);
  });

  it("OR, SE and Woolf's CI equal the formula evaluated in R; null exactly where b c = 0 (R: Inf or NaN)", () => {
    rows.forEach((r, i) => {
      const t = alleleTableFromGenotypes(TABLES[i]!);
      const or = oddsRatio(t);
      compared++;
      if (or === null) {
        if (t.caseA2 * t.controlA1 !== 0) bad.push(`${label(i)} OR null with b c > 0`);
        return;
      }
      const pairs: [string, number, number | null][] = [['or', or.or, r[3]!], ['se', or.se, r[4]!], ['lower', or.lower, r[5]!], ['upper', or.upper, r[6]!]];
      for (const [name, ours, theirs] of pairs) {
        const same = theirs !== null && (Number.isNaN(theirs) ? Number.isNaN(ours) : close(ours, theirs, REL));
        if (!same) bad.push(`${label(i)} ${name}: ours ${ours} R ${theirs}`);
      }
    });
    expect(bad).toEqual([]);
  });

  it('Cochran-Armitage trend equals prop.trend.test(score = 0:2), null where R gives NA', () => {
    rows.forEach((r, i) => {
      const tr = trendTest(TABLES[i]!);
      stat(i, 'trend', tr?.chisq ?? null, r[7]!);
      pValue(i, 'trend p', tr?.p ?? null, r[8]!);
    });
    expect(bad).toEqual([]);
  });

  it('the tables reach every range the tolerance statement names', () => {
    const ps = rows.map((r) => r[1]).filter((p): p is number => p !== null && !Number.isNaN(p));
    expect(ps.filter((p) => p < 1e-200 && p >= P_FLOOR).length).toBeGreaterThan(5);
    expect(ps.filter((p) => p < P_FLOOR).length).toBeGreaterThan(5);
    expect(ps.filter((p) => p > 0.05).length).toBeGreaterThan(50);
    expect(rows.filter((r) => r[0] === null || Number.isNaN(r[0]!)).length).toBeGreaterThan(5);
  });

  it('Benjamini-Hochberg equals p.adjust(method = "BH") with ties, 0, 1 and missing values', () => {
    const ps: (number | null)[] = TABLES.map((t) => allelicChiSquare(alleleTableFromGenotypes(t))?.p ?? null);
    ps.push(0, 1, 1, 0.5, 0.5, 0.5, ps[20] ?? 0.3, ps[120] ?? 0.2);
    const r = runR(String.raw`p <- as.numeric(readLines(commandArgs(TRUE)[1])); cat(format(p.adjust(p, method = "BH"), digits = 17), sep = "\n")`, ps.map((p) => (p === null ? 'NA' : String(p))).join('\n') + '\n').map((x) => parseR(x[0]!));
    const ours = benjaminiHochberg(ps);
    expect(r.length).toBe(ps.length);
    ours.forEach((q, i) => {
      compared++;
      const theirs = r[i]!;
      if (q === null || theirs === null) {
        if (q !== theirs) bad.push(`BH ${i}: ours ${q} R ${theirs}`);
      } else if (!close(q, theirs, 1e-15)) bad.push(`BH ${i}: ours ${q} R ${theirs}`);
    });
    expect(bad).toEqual([]);
  });

  it('genomic inflation equals median(chisq) / qchisq(0.5, 1) in R', () => {
    const chis = TABLES.map((t) => allelicChiSquare(alleleTableFromGenotypes(t))?.chisq ?? null);
    const kept = chis.filter((x): x is number => x !== null);
    const [[r]] = runR(String.raw`x <- as.numeric(readLines(commandArgs(TRUE)[1])); cat(format(median(x) / qchisq(0.5, 1), digits = 17), "\n")`, kept.map(String).join('\n') + '\n') as [[string]];
    compared++;
    expect(close(genomicInflation(chis)!, parseR(r)!, 1e-14)).toBe(true);
    // An odd count takes the middle value, as R's median.
    const [[r2]] = runR(String.raw`x <- as.numeric(readLines(commandArgs(TRUE)[1])); cat(format(median(x) / qchisq(0.5, 1), digits = 17), "\n")`, kept.slice(1).map(String).join('\n') + '\n') as [[string]];
    expect(close(genomicInflation(kept.slice(1))!, parseR(r2)!, 1e-14)).toBe(true);
  });
});

describe.skipIf(!HAS_R)('faf95 equals an independent computation in R', () => {
  const ANS = [100, 1000, 5008, 20_000, 152_312, 1_614_000];
  const grid: [number, number][] = [];
  for (const an of ANS) for (let ac = 0; ac <= 50; ac++) if (ac <= an) grid.push([ac, an]);
  for (const ac of [100, 1000, 10_000, 100_000]) grid.push([ac, 1_614_000]);
  // R: qgamma, a 200-step bisection on ppois (upper tail P(X >= ac)), and Hail's definition: the AF where qpois(0.95, AN AF) steps from AC - 1 to AC.
  const script = String.raw`
d <- read.table(commandArgs(TRUE)[1], header = TRUE)
f <- function(x) format(x, digits = 17)
for (i in seq_len(nrow(d))) {
  ac <- d$ac[i]; an <- d$an[i]
  if (ac == 0) { cat("0", "0", "NA", "NA", sep = "\t"); cat("\n"); next }
  q <- qgamma(0.05, ac) / an
  lo <- 0; hi <- ac
  for (k in 1:200) { mid <- (lo + hi) / 2; if (ppois(ac - 1, mid, lower.tail = FALSE) < 0.05) lo <- mid else hi <- mid }
  cat(f(q), f(lo / an), qpois(0.95, an * q * (1 - 1e-9)), qpois(0.95, an * q * (1 + 1e-9)), sep = "\t"); cat("\n")
}`;
  let rows: string[][] = [];
  beforeAll(() => {
    rows = runR(script, 'ac\tan\n' + grid.map(([ac, an]) => `${ac}\t${an}`).join('\n') + '\n');
  });

  it(`the exact bound equals qgamma(0.05, AC) / AN and a bisection on ppois, AC 0..50 at AN ${ANS.join(', ')} and AC up to 100,000`, () => {
    expect(rows.length).toBe(grid.length);
    const bad: string[] = [];
    grid.forEach(([ac, an], i) => {
      const ours = poissonLowerBound(ac, an)!;
      const [q, bisect] = [parseR(rows[i]![0]!)!, parseR(rows[i]![1]!)!];
      compared++;
      if (!close(ours, q, REL) || !close(ours, bisect, REL)) bad.push(`ac ${ac} an ${an}: ours ${ours} qgamma ${q} bisection ${bisect}`);
    });
    expect(bad).toEqual([]);
  });

  it("it is where Hail's definition puts it: qpois(0.95, AN AF) is AC - 1 just below and AC just above", () => {
    grid.forEach(([ac], i) => {
      if (ac === 0) return;
      expect([Number(rows[i]![2]), Number(rows[i]![3])]).toEqual([ac - 1, ac]);
    });
  });

  it('faf95 is that bound for AC >= 2 and 0 for AC 0 and 1 (gnomAD)', () => {
    grid.forEach(([ac, an], i) => {
      const expected = ac <= 1 ? 0 : parseR(rows[i]![0]!)!;
      expect(close(faf95(ac, an), expected, REL), `ac ${ac} an ${an}`).toBe(true);
    });
  });
});

describe('R comparison guard', () => {
  it('the R comparison ran (Rscript must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_R).toBe(true);
    if (HAS_R) expect(compared).toBeGreaterThan(2000);
  });
});
