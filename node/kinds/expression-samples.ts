/**
 * Shared by the expression kinds at the node: the analysed samples (group
 * A and group B among the samples with expression values, every covariate
 * present; disjoint, or refused), their populations in the order
 * proto/expression-design.ts designPopulations lists them, and the design
 * rows rebuilt from those populations (a sample's cell gives its covariate
 * values).
 */
import { designCells, designColumns, designRow, type DesignColumn } from '../../proto/expression-design.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { NodeError } from '../errors.js';
import type { ServedExpression, ServedStore } from '../server/ports.js';
import { overlap } from './members.js';

export async function expressionOf(store: ServedStore): Promise<ServedExpression> {
  const e = store.expression ? await store.expression() : null;
  if (!e) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: this site holds no expression matrix');
  return e;
}

function union(sets: readonly Uint32Array[]): Uint32Array {
  const all = new Set<number>();
  for (const s of sets) for (const x of s) all.add(x);
  return Uint32Array.from([...all].sort((a, b) => a - b));
}

async function groupCells(e: ServedExpression, cohort: string, schema: PhenotypeSchema, covariates: readonly string[]): Promise<Uint32Array[]> {
  if (covariates.length === 0) {
    const m = await e.members(cohort);
    if (!(m instanceof Uint32Array)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: unexpected stratified member set');
    return [m];
  }
  const byCell = await e.members(cohort, { by: covariates });
  if (byCell instanceof Uint32Array) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: expected a member set per covariate cell');
  return designCells(schema, covariates).map((c) => byCell.get(c.label) ?? new Uint32Array(0));
}

/** [group A, group B, then with covariates each (A, cell) and each (B, cell)]: designPopulations' order. */
export async function expressionMembers(store: ServedStore, p: { groupA: string; groupB: string; covariates: readonly string[] }, schema: PhenotypeSchema): Promise<Uint32Array[]> {
  const e = await expressionOf(store);
  const cellsA = await groupCells(e, p.groupA, schema, p.covariates);
  const cellsB = await groupCells(e, p.groupB, schema, p.covariates);
  const a = union(cellsA);
  const b = union(cellsB);
  // A person in both groups would sit on both sides of the contrast.
  if (overlap(a, b)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: group A and group B share patients at this site; they must be disjoint');
  return p.covariates.length === 0 ? [a, b] : [a, b, ...cellsA, ...cellsB];
}

/** The analysed samples (sorted) and their design rows (samples x p, row-major), from the members. */
export function analysedDesign(members: readonly Uint32Array[], p: { covariates: readonly string[] }, schema: PhenotypeSchema): { samples: Uint32Array; design: Float64Array; columns: DesignColumn[] } {
  const columns = designColumns(schema, p.covariates, 'group');
  const cells = designCells(schema, p.covariates);
  const samples = union([members[0]!, members[1]!]);
  const index = new Map<number, number>();
  samples.forEach((s, i) => index.set(s, i));
  const P = columns.length;
  const design = new Float64Array(samples.length * P);
  const names = p.covariates.map((n) => n.toLowerCase());
  for (let g = 0; g < 2; g++) {
    const term = g === 0 ? 1 : 0;
    const sets = p.covariates.length === 0 ? [members[g]!] : members.slice(2 + g * cells.length, 2 + (g + 1) * cells.length);
    sets.forEach((set, c) => {
      const values = cells[c]!.values;
      const row = designRow(columns, term, (column) => values[names.indexOf(column.toLowerCase())]);
      if (!row) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a covariate cell has no value');
      for (const s of set) design.set(row, index.get(s)! * P);
    });
  }
  return { samples, design, columns };
}

function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) { out.push(a[i]!); i++; j++; }
    else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return Uint32Array.from(out);
}

/**
 * The analysed cells of an eQTL query (and of its scale round): the
 * cohort's samples with expression values AND genotypes, every covariate
 * present, one sorted set per design cell (designCells order).
 */
export async function eqtlAnalysedCells(store: ServedStore, cohort: string, schema: PhenotypeSchema, covariates: readonly string[]): Promise<Uint32Array[]> {
  const e = await expressionOf(store);
  const genotyped = await store.cohortMembers(cohort || undefined);
  if (!(genotyped instanceof Uint32Array)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: unexpected stratified member set');
  return (await groupCells(e, cohort, schema, covariates)).map((c) => intersect(c, genotyped));
}

/** The union of sorted sets, sorted. */
export function unionOf(sets: readonly Uint32Array[]): Uint32Array {
  return union(sets);
}
