// Two small SVG charts, drawn as strings (no chart library needed for this).
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Horizontal bars: label, probability (0..1). `highlight` marks the source word. */
export function barChart(rows: { label: string; p: number; highlight?: boolean }[]): string {
  const rowH = 24,
    labelW = 130,
    w = 520,
    barW = w - labelW - 70;
  const max = Math.max(...rows.map((r) => r.p), 1e-12);
  const body = rows
    .map((r, i) => {
      const y = i * rowH;
      const len = Math.max(1, (r.p / max) * barW);
      return `<g transform="translate(0 ${y})" data-p="${r.p}" data-label="${esc(r.label)}">
        <text x="${labelW - 8}" y="16" text-anchor="end" class="${r.highlight ? "hl" : ""}">${esc(r.label)}</text>
        <rect x="${labelW}" y="4" width="${len}" height="16" rx="3" class="${r.highlight ? "bar hl" : r.label.startsWith("all other") ? "bar rest" : "bar"}"/>
        <text x="${labelW + len + 6}" y="16" class="num">${(r.p * 100).toFixed(r.p < 0.001 ? 3 : 1)}%</text>
      </g>`;
    })
    .join("");
  return `<svg viewBox="0 0 ${w} ${rows.length * rowH}" role="img" aria-label="Output probabilities">${body}</svg>`;
}

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: { x: number; y: number }[];
}

/** Lines on a log-x axis (epsilon) from 0 to 1 (N_w). */
export function lineChart(series: Series[], mark?: { x: number; name: string }): string {
  const w = 520,
    h = 220,
    l = 40,
    r = 10,
    t = 10,
    b = 34;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const x0 = Math.log(Math.min(...xs)),
    x1 = Math.log(Math.max(...xs));
  const X = (x: number) => l + ((Math.log(x) - x0) / (x1 - x0 || 1)) * (w - l - r);
  const Y = (y: number) => t + (1 - y) * (h - t - b);
  const ticks = [0.5, 1, 2, 5, 10, 20, 50, 100, 200].filter((v) => Math.log(v) >= x0 - 1e-9 && Math.log(v) <= x1 + 1e-9);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${l}" x2="${w - r}" y1="${Y(v)}" y2="${Y(v)}" class="grid"/><text x="${l - 6}" y="${Y(v) + 4}" text-anchor="end" class="num">${v}</text>`,
    )
    .join("");
  const xt = ticks.map((v) => `<text x="${X(v)}" y="${h - 16}" text-anchor="middle" class="num">${v}</text>`).join("");
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${s.points.map((p) => `${X(p.x)},${Y(p.y)}`).join(" ")}"/>` +
        s.points
          .map(
            (p) =>
              `<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="3" fill="${s.color}"><title>${s.name}: epsilon ${p.x.toFixed(2)}, N_w ${p.y.toFixed(3)}</title></circle>`,
          )
          .join(""),
    )
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${l + i * 118} ${h - 4})"><rect width="10" height="10" y="-9" fill="${s.color}"/><text x="14" class="num">${s.name}</text></g>`,
    )
    .join("");
  const m = mark ? `<line x1="${X(mark.x)}" x2="${X(mark.x)}" y1="${t}" y2="${h - b}" class="mark"/>` : "";
  return `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="N_w against epsilon for each mechanism">${grid}${xt}${m}${lines}${legend}<text x="${w - r}" y="${h - 16}" text-anchor="end" class="num">ε</text></svg>`;
}
