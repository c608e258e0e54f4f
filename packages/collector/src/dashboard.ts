// A small server-rendered dashboard: no script, so the strict CSP holds, and
// bounded in size whatever reports arrive (the task fixes every label; texts
// are the last 20, each cut to 500 characters).
import type { QuestionEstimate } from "./estimates.js";
import type { BatchRow, StoredTask } from "./store.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const SHOWN_TEXTS = 20;
const SHOWN_CHARS = 500;

export const DASHBOARD_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d232a}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde}
.bar{background:#e8ecf4;height:.8rem;position:relative;min-width:12rem}.bar span{position:absolute;top:0;bottom:0;background:#9db3e0}.bar b{position:absolute;top:-.15rem;bottom:-.15rem;width:2px;background:#1b3f8f}
.muted{color:#5b6571}blockquote{margin:.4rem 0;padding:.4rem .8rem;background:#f4f6fa;border-left:3px solid #9db3e0}`;

/** What the dashboard shows of one task. */
export interface DashboardData {
  name: string;
  role: string;
  task: StoredTask;
  estimates: QuestionEstimate[];
  batches: BatchRow[];
  texts: { received: string; text: string }[];
}

export function renderDashboard(d: DashboardData): string {
  const parts = [
    `<h1>Veil collector: ${esc(d.name)}</h1><p class="muted" id="report-count">Task ${esc(d.task.task.name)} (${d.task.id.slice(0, 12)}…), ${d.role}: ${d.task.reports} reports stored. Every figure below is estimated from privatized reports; intervals are 95%.</p>`,
    ...d.estimates.map(renderEstimate),
    renderBatches(d),
    renderTexts(d.texts),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Veil collector: ${esc(d.name)}</title><link rel="stylesheet" href="/dashboard.css"></head><body><main>${parts.join("\n")}</main></body></html>`;
}

function renderEstimate(q: QuestionEstimate): string {
  if (q.type === "bounded") {
    // A small or noisy sample can put the unbiased mean outside the bounds: show it clipped, marked, as for shares below.
    const clip = (x: number) => Math.min(q.upper, Math.max(q.lower, x));
    const note = clip(q.mean) !== q.mean ? ` <span class="muted" title="unbiased estimate ${q.mean.toFixed(2)}, clipped for display">*</span>` : "";
    return `<h2>${esc(q.question)}</h2><p class="muted">Bounded number in [${q.lower}, ${q.upper}], ε = ${q.epsilon}, ${q.total} reports.</p><table><tr><th>estimated mean</th><th>95% interval</th></tr><tr><td>${clip(q.mean).toFixed(2)}${note}</td><td>${clip(q.interval[0]).toFixed(2)} – ${clip(q.interval[1]).toFixed(2)}</td></tr></table>`;
  }
  const rows = q.categories
    .map((c) => {
      const lo = Math.max(0, c.interval[0]);
      const hi = Math.min(1, c.interval[1]);
      const shown = Math.min(1, Math.max(0, c.estimate));
      const note = shown !== c.estimate ? ` <span class="muted" title="unbiased estimate ${pct(c.estimate)}, clipped for display">*</span>` : "";
      return `<tr><td>${esc(c.label)}</td><td>${c.reported}</td><td>${pct(shown)}${note}</td><td>${pct(lo)} – ${pct(hi)}</td><td><div class="bar"><span style="left:${pct(lo)};width:${pct(hi - lo)}"></span><b style="left:${pct(shown)}"></b></div></td></tr>`;
    })
    .join("");
  return `<h2>${esc(q.question)}</h2><p class="muted">Randomized response, ${q.k} answers, ε = ${q.epsilon}, ${q.total} reports.</p><table><tr><th>answer</th><th>reported</th><th>estimated share</th><th>95% interval</th><th></th></tr>${rows}</table>`;
}

function renderBatches(d: DashboardData): string {
  if (d.task.task.aggregates.length === 0) return "";
  const rows = d.batches
    .slice(-20)
    .map(
      (b) =>
        `<tr><td>${b.batch}</td><td>${b.count}</td><td>${b.released ? `released ${esc(b.released.at)}` : b.batch === d.task.openBatch || d.role === "helper" ? "open" : ""}</td></tr>`,
    )
    .join("");
  return `<h2>Secret-shared aggregates (Prio3)</h2><p class="muted">${d.task.task.aggregates.map((a) => esc(a.id)).join(", ")}: this collector holds one share of each; alone they are uniformly random field elements. A batch is released once, with at least ${d.task.task.minBatchSize} valid reports; only the combine step, with the other collector's release, gives the noised totals.</p><table><tr><th>batch</th><th>valid reports</th><th></th></tr>${rows}</table>`;
}

function renderTexts(texts: { received: string; text: string }[]): string {
  const shown = texts.slice(0, SHOWN_TEXTS).map((t) => {
    const cut = t.text.length > SHOWN_CHARS ? `${t.text.slice(0, SHOWN_CHARS)}…` : t.text;
    return `<blockquote class="text">${esc(cut)}<br><span class="muted">received ${esc(t.received)} (to the hour)</span></blockquote>`;
  });
  return `<h2>Privatized texts</h2>${shown.join("") || '<p class="muted">None yet.</p>'}`;
}
