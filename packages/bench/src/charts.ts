// Line charts with error bars as standalone SVG: no dependency, readable on
// GitHub and in any browser, diffable in review. One chart = a few series of
// (x, y ± err) points plus horizontal reference lines.

export interface ChartPoint {
  x: number;
  y: number;
  /** Half-height of the error bar (one standard deviation over seeds). */
  err?: number;
}

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: ChartPoint[];
}

export interface ReferenceLine {
  name: string;
  y: number;
  color: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  series: Series[];
  references?: ReferenceLine[];
  /** Lines of small print under the chart (what was run). */
  note?: string[];
  width?: number;
  height?: number;
}

/** Colours that stay distinct for colour-blind readers (Okabe-Ito). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000"];

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v: number): string => String(Math.round(v * 10) / 10);

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

/** 1, 2, 5 times powers of ten within [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(+t.toPrecision(12));
    }
  return ticks;
}

/** A line chart as SVG: axes with ticks, one polyline per series with error bars, dashed reference lines, a legend, notes. */
export function lineChart(spec: ChartSpec): string {
  const f = chartFrame(spec);
  const legend = new Legend(f);
  const out = [...chartAxes(spec, f)];
  for (const r of spec.references ?? []) {
    out.push(
      `<line x1="${f.m.left}" x2="${f.m.left + f.pw}" y1="${num(f.Y(r.y))}" y2="${num(f.Y(r.y))}" stroke="${r.color}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
    );
    legend.add(`stroke="${r.color}" stroke-width="1.5" stroke-dasharray="2 3"`, `${esc(r.name)} (${r.y.toFixed(3)})`);
  }
  for (const s of spec.series) {
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(...seriesSvg(s, dash, f));
    legend.add(`stroke="${s.color}" stroke-width="2"${dash}`, esc(s.name));
  }
  out.push(...legend.lines);
  const notes = spec.note ?? [];
  notes.forEach((line, i) => out.push(`<text x="${f.m.left}" y="${f.H - 12 - 15 * (notes.length - 1 - i)}" font-size="11" fill="#555">${esc(line)}</text>`));
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** Where everything goes: the size, margins, plot area, data ranges and the maps from data to pixels. */
function chartFrame(spec: ChartSpec) {
  // The legend column grows with its longest label (about 6.6 px a character at 12 px), and the chart with it.
  const labels = [...spec.series.map((s) => s.name), ...(spec.references ?? []).map((r) => `${r.name} (0.000)`)];
  const right = Math.max(210, Math.ceil(44 + 6.6 * Math.max(0, ...labels.map((l) => l.length))));
  const W = (spec.width ?? 760) + right - 210,
    H = spec.height ?? 430;
  const m = { left: 64, right, top: 40, bottom: 56 + 15 * (spec.note ?? []).length };
  const pw = W - m.left - m.right,
    ph = H - m.top - m.bottom;
  const pts = spec.series.flatMap((s) => s.points);
  if (pts.length === 0) throw new Error(`chart "${spec.title}" has no points`);
  const xs = pts.map((p) => p.x);
  const ys = [...pts.flatMap((p) => [p.y - (p.err ?? 0), p.y + (p.err ?? 0)]), ...(spec.references ?? []).map((r) => r.y)];
  let x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  if (spec.xLog) {
    if (x0 <= 0) throw new Error(`chart "${spec.title}": a log axis needs x > 0`);
    ((x0 /= 1.15), (x1 *= 1.15));
  } else {
    const pad = (x1 - x0 || 1) * 0.04;
    ((x0 -= pad), (x1 += pad));
  }
  const yTicks = linearTicks(Math.min(...ys), Math.max(...ys), 6);
  const y0 = Math.min(yTicks[0]!, Math.min(...ys)),
    y1 = Math.max(yTicks[yTicks.length - 1]!, Math.max(...ys));
  const X = (x: number): number => m.left + (spec.xLog ? (Math.log(x / x0) / Math.log(x1 / x0)) * pw : ((x - x0) / (x1 - x0)) * pw);
  const Y = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  return { W, H, m, pw, ph, x0, x1, yTicks, X, Y };
}

type Frame = ReturnType<typeof chartFrame>;

/** The SVG head, title, grid lines with tick labels, the plot frame and the axis labels. */
function chartAxes(spec: ChartSpec, f: Frame): string[] {
  const { W, H, m, pw, ph, X, Y } = f;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.left}" y="24" font-size="15" font-weight="600">${esc(spec.title)}</text>`,
  ];
  for (const t of f.yTicks)
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${num(Y(t))}" y2="${num(Y(t))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${num(Y(t) + 4)}" text-anchor="end" fill="#444">${+t.toFixed(3)}</text>`,
    );
  for (const t of spec.xLog ? logTicks(f.x0, f.x1) : linearTicks(f.x0, f.x1, 8))
    out.push(
      `<line x1="${num(X(t))}" x2="${num(X(t))}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`,
      `<text x="${num(X(t))}" y="${m.top + ph + 16}" text-anchor="middle" fill="#444">${+t.toFixed(3)}</text>`,
    );
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  return out;
}

/** One series: its polyline, and a marker (with error bar) per point, in x order. */
function seriesSvg(s: ChartSpec["series"][number], dash: string, f: Frame): string[] {
  const { X, Y } = f;
  const ps = [...s.points].sort((a, b) => a.x - b.x);
  const out = [`<g><title>${esc(s.name)}</title>`];
  out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${ps.map((p) => `${num(X(p.x))},${num(Y(p.y))}`).join(" ")}"/>`);
  for (const p of ps) {
    const cx = num(X(p.x));
    if (p.err)
      out.push(
        `<line x1="${cx}" x2="${cx}" y1="${num(Y(p.y - p.err))}" y2="${num(Y(p.y + p.err))}" stroke="${s.color}"/>`,
        `<line x1="${num(X(p.x) - 3)}" x2="${num(X(p.x) + 3)}" y1="${num(Y(p.y - p.err))}" y2="${num(Y(p.y - p.err))}" stroke="${s.color}"/>`,
        `<line x1="${num(X(p.x) - 3)}" x2="${num(X(p.x) + 3)}" y1="${num(Y(p.y + p.err))}" y2="${num(Y(p.y + p.err))}" stroke="${s.color}"/>`,
      );
    out.push(`<circle cx="${cx}" cy="${num(Y(p.y))}" r="3" fill="${s.dashed ? "#fff" : s.color}" stroke="${s.color}"/>`);
  }
  out.push(`</g>`);
  return out;
}

/** The legend on the right: a line sample and a label per entry, 20 px apart. */
class Legend {
  readonly lines: string[] = [];
  #y: number;
  constructor(private readonly f: Frame) {
    this.#y = f.m.top + 8;
  }
  add(stroke: string, label: string): void {
    const x = this.f.W - this.f.m.right;
    this.lines.push(
      `<line x1="${x + 14}" x2="${x + 40}" y1="${this.#y}" y2="${this.#y}" ${stroke}/>`,
      `<text x="${x + 46}" y="${this.#y + 4}">${label}</text>`,
    );
    this.#y += 20;
  }
}
