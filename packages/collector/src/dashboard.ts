// A small server-rendered dashboard: no script, so the strict CSP holds.
import type { QuestionEstimate } from "./estimates.js";
import type { ReportStore } from "./store.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const DASHBOARD_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d232a}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde}
.bar{background:#e8ecf4;height:.8rem;position:relative;min-width:12rem}.bar span{position:absolute;top:0;bottom:0;background:#9db3e0}.bar b{position:absolute;top:-.15rem;bottom:-.15rem;width:2px;background:#1b3f8f}
.muted{color:#5b6571}blockquote{margin:.4rem 0;padding:.4rem .8rem;background:#f4f6fa;border-left:3px solid #9db3e0}`;

export function renderDashboard(name: string, store: ReportStore, est: QuestionEstimate[]): string {
  const parts: string[] = [];
  parts.push(
    `<h1>Veil collector: ${esc(name)}</h1><p class="muted" id="report-count">${store.reportCount()} reports stored. Every figure below is estimated from privatized reports; intervals are 95%.</p>`,
  );
  for (const q of est) {
    if (q.type === "rr") {
      const rows = q.categories
        .map((c) => {
          const lo = Math.max(0, c.interval[0]);
          const hi = Math.min(1, c.interval[1]);
          const shown = Math.min(1, Math.max(0, c.estimate));
          const note = shown !== c.estimate ? ` <span class="muted" title="unbiased estimate ${pct(c.estimate)}, clipped for display">*</span>` : "";
          return `<tr><td>${esc(c.label)}</td><td>${c.reported}</td><td>${pct(shown)}${note}</td><td>${pct(lo)} – ${pct(hi)}</td><td><div class="bar"><span style="left:${pct(lo)};width:${pct(hi - lo)}"></span><b style="left:${pct(Math.min(1, Math.max(0, c.estimate)))}"></b></div></td></tr>`;
        })
        .join("");
      parts.push(
        `<h2>${esc(q.question)}</h2><p class="muted">Randomized response, ${q.k} answers, ε = ${q.epsilon}, ${q.total} reports.</p><table><tr><th>answer</th><th>reported</th><th>estimated share</th><th>95% interval</th><th></th></tr>${rows}</table>`,
      );
    } else {
      parts.push(
        `<h2>${esc(q.question)}</h2><p class="muted">Bounded number in [${q.lower}, ${q.upper}], ε = ${q.epsilon}, ${q.total} reports.</p><table><tr><th>estimated mean</th><th>95% interval</th></tr><tr><td>${q.mean.toFixed(2)}</td><td>${Math.max(q.lower, q.interval[0]).toFixed(2)} – ${Math.min(q.upper, q.interval[1]).toFixed(2)}</td></tr></table>`,
      );
    }
  }
  for (const s of store.sums()) {
    const rel = s.releases.map((r) => `<li>round ${r.round}: ${r.count} shares, ε = ${r.epsilon}, released noised share ${esc(r.released)}</li>`).join("");
    parts.push(
      `<h2>Secret-shared sum: ${esc(s.name)}</h2><p class="muted">This server holds one share per report (${s.pending} in the open round); alone they are uniformly random numbers. Only the combine step, with the other server's release, gives the noised total.</p><ul>${rel}</ul>`,
    );
  }
  const texts = store.texts(20);
  parts.push(
    `<h2>Privatized texts</h2>${texts.map((t) => `<blockquote class="text">${esc(t.text)}<br><span class="muted">${esc(t.mechanism)}, ε = ${t.epsilon} per word, ${esc(t.received)}</span></blockquote>`).join("") || '<p class="muted">None yet.</p>'}`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Veil collector: ${esc(name)}</title><link rel="stylesheet" href="/dashboard.css"></head><body>${parts.join("\n")}</body></html>`;
}
