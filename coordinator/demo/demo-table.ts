/**
 * The demo's printed tables: right-aligned columns two spaces apart,
 * indented by two, long cells (indel alleles) clipped.
 */

export function tableLines(cols: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const table = [cols, ...rows];
  const widths = cols.map((_, j) => Math.max(...table.map((t) => (t[j] ?? '').length)));
  return table.map((t) => `  ${t.map((c, j) => c.padStart(widths[j]!)).join('  ')}`);
}

/** An allele of more than 12 characters as its first 9 and `...`. */
export function clip(s: string): string {
  return s.length > 12 ? `${s.slice(0, 9)}...` : s;
}
