/**
 * The cohort query family: how many genotyped samples match a cohort, which
 * ones (stable store sample indices, for node/privacy's differencing guard
 * and the size round), and which of them carry an ALT allele of given
 * variants. Sample indices never leave the node.
 */
import type { CohortAst } from '../../proto/cohort/index.js';
import { variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { carrierColumns } from './aggregate.js';
import type { QueryContext } from './record-scan.js';
import { selectSamples, type Population } from './sample-selection.js';

/** Genotyped samples matching the cohort; with carriersOf, only those carrying an ALT allele of any listed variant. */
export async function cohortCount(ctx: QueryContext, cohort: string | CohortAst, options: { carriersOf?: VariantKey[] }): Promise<number> {
  if (!options.carriersOf) return (await selectSamples(ctx.connection, ctx.catalog, cohort, undefined)).stratumOf.size;
  return (await carrierMembers(ctx, cohort, options.carriersOf)).length;
}

/**
 * Sorted store sample indices of the cohort's members carrying at least
 * one ALT allele of any of `carriersOf` (the population a cohort count
 * with carriers counts; the size round verifies its network size and the
 * differencing guard records it).
 */
export async function carrierMembers(ctx: QueryContext, cohort: string | CohortAst, carriersOf: VariantKey[]): Promise<Uint32Array> {
  const { stratumOf } = await selectSamples(ctx.connection, ctx.catalog, cohort, undefined);
  const wanted = new Set(carriersOf.map(variantMatchKey));
  const carriers = new Set<number>();
  await ctx.records.scanKeyPositions(carriersOf, 'genotypes', (contig, pos, ref, alts, rec) => {
    const cols = ctx.catalog.fileSamples.get(rec.fileId);
    if (!cols) return;
    const name = ctx.catalog.contigs[contig]?.name ?? '';
    alts.forEach((alt, i) => {
      if (!wanted.has(variantMatchKey({ chrom: name, pos, ref, alt }))) return;
      carrierColumns(rec, i + 1, (col) => {
        const idx = cols[col]!;
        if (stratumOf.has(idx)) carriers.add(idx);
      });
    });
  });
  return Uint32Array.from(carriers).sort();
}

/**
 * Sorted, distinct store sample indices (the samples table's row id:
 * assigned at first ingest, never renumbered or reused) matching the
 * cohort ('' or undefined: every genotyped sample, or with `expression`
 * every sample of the expression matrix); with `by`, one set per stratum.
 * For the differencing guard (node/privacy) and the size round; never
 * leaves the node.
 */
export async function cohortMembers(ctx: QueryContext, cohort: string | CohortAst | undefined, by: string | readonly string[] | undefined, population: Population = 'genotyped'): Promise<Uint32Array | Map<string, Uint32Array>> {
  const { stratumOf, strata } = await selectSamples(ctx.connection, ctx.catalog, cohort, by, population);
  const lists: number[][] = strata.map(() => []);
  for (const [idx, s] of stratumOf) lists[s]!.push(idx);
  const sets = lists.map((l) => Uint32Array.from(l).sort());
  if (by === undefined) return sets[0]!;
  return new Map(strata.map((name, i) => [name, sets[i]!]));
}
