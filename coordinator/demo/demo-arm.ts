/**
 * A demo-only phenotype column for a null association: `demo_arm`, A or B,
 * a seeded random permutation of the table's samples cut in half. Nothing
 * in the 1000 Genomes panel can express a split that is independent of
 * ancestry (pop, super_pop and gender are all that is there), and a random
 * split is the textbook null: its genomic inflation should be near 1.
 * Pure text-in/text-out (no I/O); the consortium adds the column before it
 * drafts the schema, so the column is in the roster every site signs and in
 * every site's share of the table, like any other phenotype.
 */
import { CoordinatorError } from '../errors.js';

export const DEMO_ARM_COLUMN = 'demo_arm';
/** Fixed, so every run splits the panel the same way (the panel's release date). */
export const DEMO_ARM_SEED = 20130502;

/** mulberry32: a 32-bit seeded generator, enough to shuffle 2,504 ids (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arm of every id: a seeded Fisher-Yates shuffle, the first half A, the rest B (sizes differ by at most 1). */
export function assignArms(ids: readonly string[], seed = DEMO_ARM_SEED): Map<string, 'A' | 'B'> {
  const order = [...new Set(ids)];
  const rand = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const half = Math.ceil(order.length / 2);
  return new Map(order.map((id, i) => [id, i < half ? 'A' : 'B']));
}

/**
 * The phenotype table (TSV, first column the sample id) with a `demo_arm`
 * column appended. Trailing empty header columns (the 1000G panel has two)
 * are trimmed first and rows cut or padded to the header's width, so the
 * new column lines up.
 */
export function withDemoArm(text: string, seed = DEMO_ARM_SEED): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').replace(/\t+$/, '').split('\t');
  if (header.some((h) => h.toLowerCase() === DEMO_ARM_COLUMN)) {
    throw new CoordinatorError('GENOFED_USAGE', `phenotype table: it already has a column '${DEMO_ARM_COLUMN}', which the demo adds itself`);
  }
  const rows = lines.slice(1).map((l) => {
    const f = l.split('\t').slice(0, header.length);
    while (f.length < header.length) f.push('');
    return f;
  });
  const arms = assignArms(rows.map((f) => f[0]!), seed);
  return `${[[...header, DEMO_ARM_COLUMN], ...rows.map((f) => [...f, arms.get(f[0]!)!])].map((f) => f.join('\t')).join('\n')}\n`;
}
