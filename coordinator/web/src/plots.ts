/**
 * The plots of an answer (Chart.js, bundled): allele frequency along the
 * region by stratum; Manhattan and QQ plots for association; a volcano
 * plot for expression. Points are {x, y} objects given pre-parsed
 * (`parsing: false`) and drawn without animation: the MTHFR window by
 * super_pop is ~26,000 points, drawn in well under a second that way.
 * Reference lines (p = 5e-8, y = x, adj. p = 0.05) are `line` datasets;
 * data points are `scatter` datasets.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Title, Tooltip, type ChartDataset } from 'chart.js';
import type { AfRow, Answer, AssocRow, ExprRow } from './types.js';

Chart.register(ScatterController, LineController, PointElement, LineElement, LinearScale, Legend, Tooltip, Title);

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
/** -log10 of the smallest positive double: where a p of 0 (underflow) is drawn. */
const P_FLOOR = -Math.log10(Number.MIN_VALUE);

type Point = { x: number; y: number };
const charts: Chart[] = [];

function figure(id: string, caption: string): HTMLCanvasElement {
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  const canvas = document.createElement('canvas');
  canvas.id = id;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', caption);
  const box = document.createElement('div');
  box.style.position = 'relative';
  box.style.height = '320px';
  box.append(canvas);
  fig.append(cap, box);
  document.getElementById('plots')!.append(fig);
  return canvas;
}

function scatter(canvas: HTMLCanvasElement, datasets: ChartDataset<'scatter' | 'line', Point[]>[], x: string, y: string, legend = true): void {
  charts.push(new Chart(canvas, {
    type: 'scatter',
    data: { datasets: datasets as ChartDataset<'scatter', Point[]>[] },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: legend }, tooltip: { mode: 'nearest', intersect: true } },
      scales: { x: { type: 'linear', title: { display: true, text: x } }, y: { type: 'linear', title: { display: true, text: y } } },
    },
  }));
}

const points = (label: string, data: Point[], color: string): ChartDataset<'scatter', Point[]> =>
  ({ type: 'scatter', label, data, backgroundColor: color, borderColor: color, pointRadius: data.length > 5000 ? 1.2 : 2, pointHoverRadius: 4 });
const line = (label: string, data: Point[]): ChartDataset<'line', Point[]> =>
  ({ type: 'line', label, data, borderColor: '#888', borderDash: [4, 4], borderWidth: 1, pointRadius: 0, fill: false });
const neglog = (p: number): number => (p > 0 ? -Math.log10(p) : P_FLOOR);

/** AF against position, one series per stratum (the `all` rows first); rows without an AF (withheld, AN 0) are not drawn. */
function afTrack(rows: AfRow[], by: string[]): void {
  const series = new Map<string, Point[]>();
  for (const r of rows) {
    const label = by.length === 0 ? 'all' : by.map((b) => r.strata?.[b] ?? 'all').join(' ');
    if (!series.has(label)) series.set(label, []);
    if (r.af !== null) series.get(label)!.push({ x: r.pos, y: r.af });
  }
  const chroms = new Set(rows.map((r) => r.chrom));
  const canvas = figure('plot-af', `Allele frequency along the region${by.length ? ` by ${by.join(' x ')}` : ''}`);
  scatter(canvas, [...series].map(([label, data], i) => points(label, data, PALETTE[i % PALETTE.length]!)), `position${chroms.size === 1 ? ` on chromosome ${[...chroms][0]}` : ''}`, 'allele frequency');
}

/** Chromosomes in natural order (1, 2, ..., 10, X), each placed after the previous one's last position. */
function genomeAxis(rows: { chrom: string; pos: number }[]): Map<string, number> {
  const end = new Map<string, number>();
  for (const r of rows) end.set(r.chrom, Math.max(end.get(r.chrom) ?? 0, r.pos));
  const offsets = new Map<string, number>();
  let at = 0;
  for (const c of [...end.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))) {
    offsets.set(c, at);
    at += end.get(c)!;
  }
  return offsets;
}

function manhattanAndQq(rows: AssocRow[]): void {
  const tested = rows.filter((r): r is AssocRow & { p: number } => r.p !== null);
  const offsets = genomeAxis(tested);
  const byChrom = new Map<string, Point[]>();
  for (const r of tested) {
    if (!byChrom.has(r.chrom)) byChrom.set(r.chrom, []);
    byChrom.get(r.chrom)!.push({ x: offsets.get(r.chrom)! + r.pos, y: neglog(r.p) });
  }
  const xs = tested.map((r) => offsets.get(r.chrom)! + r.pos);
  // A loop, not Math.min(...xs): spreading a million arguments overflows the stack.
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) { if (x < lo) lo = x; if (x > hi) hi = x; }
  const chroms = [...offsets.keys()];
  const m = figure('plot-manhattan', `Manhattan plot: -log10 p of ${tested.length.toLocaleString('en')} tested variants`);
  scatter(m, [
    ...chroms.map((c, i) => points(`chr ${c}`, byChrom.get(c)!, i % 2 === 0 ? '#1f4e99' : '#6aa0e0')),
    line('p = 5e-8', [{ x: lo, y: -Math.log10(5e-8) }, { x: hi, y: -Math.log10(5e-8) }]),
  ], chroms.length === 1 ? `position on chromosome ${chroms[0]}` : 'position (chromosomes in order)', '-log10 p');

  // QQ: the i-th smallest p against its expectation under the null, (i - 0.5) / n.
  const obs = tested.map((r) => neglog(r.p)).sort((a, b) => b - a);
  const n = obs.length;
  const qq = obs.map((y, i) => ({ x: -Math.log10((i + 0.5) / n), y }));
  const top = n ? Math.max(qq[0]!.x, 1) : 1;
  scatter(figure('plot-qq', `QQ plot: observed against expected -log10 p (n = ${n.toLocaleString('en')})`), [
    points('variants', qq, '#1f4e99'),
    line('y = x', [{ x: 0, y: 0 }, { x: top, y: top }]),
  ], 'expected -log10 p', 'observed -log10 p');
}

function volcano(rows: ExprRow[]): void {
  const sig = rows.filter((r) => r.adj_p < 0.05).map((r) => ({ x: r.logfc, y: neglog(r.p) }));
  const rest = rows.filter((r) => !(r.adj_p < 0.05)).map((r) => ({ x: r.logfc, y: neglog(r.p) }));
  scatter(figure('plot-volcano', `Volcano plot: ${rows.length.toLocaleString('en')} genes, log2 fold change (A - B) against -log10 p`), [
    points('adj. p < 0.05', sig, '#d62728'),
    points('others', rest, '#7f7f7f'),
  ], 'log2 fold change (A - B)', '-log10 p');
}

export function showPlots(answer: Answer): void {
  clearPlots();
  if (answer.rows.length === 0) return;
  if (answer.kind === 'allele-frequency') afTrack(answer.rows, answer.by);
  else if (answer.kind === 'association') manhattanAndQq(answer.rows);
  else volcano(answer.rows);
}

export function clearPlots(): void {
  for (const c of charts.splice(0)) c.destroy();
  document.getElementById('plots')!.replaceChildren();
}
