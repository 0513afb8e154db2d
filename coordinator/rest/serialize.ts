/**
 * Serializer of the allele-frequency answer. fast-json-stringify (fastify's
 * default, driven by the response schema) took 1.8 s for 1,000,000 rows
 * (103 MB) where copying the declared fields and calling JSON.stringify
 * took 0.47 s (same bytes, measured on the dev machine). The explicit copy
 * keeps what the schema gave us: only declared fields ever leave, whatever
 * else the engine's objects carry.
 */
import type { AlleleFrequencyAnswer, AlleleFrequencyRow, DisclosureSummary, GroupMaxima, NoiseScale, SiteOutcome } from '../federation/types.js';

export function sites(s: SiteOutcome): SiteOutcome {
  return { responding: s.responding.map(String), missing: s.missing.map((m) => ({ site: String(m.site), reason: String(m.reason) })) };
}

/** Declared fields only; an engine that gave no note (front-end fakes) states the empty one rather than omitting it. */
export function disclosure(d: DisclosureSummary | undefined): DisclosureSummary {
  if (!d) throw new Error('answer without a disclosure note');
  return {
    policy: { k: d.policy.k, smallCounts: d.policy.smallCounts, roundTo: d.policy.roundTo },
    rowsAffected: d.rowsAffected,
    rules: d.rules.map((r) => ({ rule: String(r.rule), action: r.action, rows: r.rows, reason: String(r.reason), ...(r.strata ? { strata: r.strata.map(String) } : {}) })),
  };
}

export function noise(n: NoiseScale | null | undefined): NoiseScale | null {
  return n ? { mu: n.mu, sd: n.sd } : null;
}

/** The querier's remaining epsilon (DP on), or null. */
export function remaining(e: number | null | undefined): number | null {
  return typeof e === 'number' ? e : null;
}

function groupMaxima(g: GroupMaxima | null | undefined): GroupMaxima | null {
  if (!g) return null;
  return {
    column: String(g.column),
    exclude: g.exclude.map(String),
    rows: g.rows.map((r) => ({
      chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt,
      grpmax: r.grpmax ? { group: String(r.grpmax.group), ac: r.grpmax.ac, an: r.grpmax.an, af: r.grpmax.af, nhomalt: r.grpmax.nhomalt } : null,
      faf95_max: r.faf95_max ? { group: String(r.faf95_max.group), faf95: r.faf95_max.faf95 } : null,
    })),
  };
}

/** One row's declared fields. */
export function afRow(r: AlleleFrequencyRow): object {
  return { ...(r.strata ? { strata: Object.fromEntries(Object.entries(r.strata).map(([k, v]) => [String(k), String(v)])) } : {}), chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt, ac: r.ac, an: r.an, af: r.af, nhomalt: r.nhomalt, faf95: r.faf95 ?? null, ...(r.exists !== undefined ? { exists: r.exists } : {}) };
}

/** Everything of the answer but its rows, declared fields only (the JSON document's tail, the NDJSON summary line). */
export function afSummary(a: Omit<AlleleFrequencyAnswer, 'rows'>): { queryId: string; groupMaxima: GroupMaxima | null; sites: SiteOutcome; disclosure: DisclosureSummary; noise: NoiseScale | null; remainingEpsilon: number | null; unresolved?: string[] } {
  return {
    queryId: String(a.queryId),
    groupMaxima: groupMaxima(a.groupMaxima),
    sites: sites(a.sites),
    disclosure: disclosure(a.disclosure),
    noise: noise(a.noise),
    remainingEpsilon: remaining(a.remainingEpsilon),
    ...(a.unresolved?.length ? { unresolved: a.unresolved.map(String) } : {}),
  };
}

export function serializeAlleleFrequency(a: AlleleFrequencyAnswer): string {
  const { queryId, ...tail } = afSummary(a);
  return JSON.stringify({ queryId, rows: a.rows.map(afRow), ...tail });
}

/** Error bodies on the same route: `{ error: { code, message } }` and nothing else. */
export function serializeError(body: { error?: { code?: unknown; message?: unknown } }): string {
  return JSON.stringify({ error: { code: String(body.error?.code ?? 'GENOFED_INTERNAL'), message: String(body.error?.message ?? '') } });
}
