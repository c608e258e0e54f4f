// `node packages/bench/dist/main.js packs BASE OTHER...`: the same utility run on
// other packs (e.g. int8 and float16 vectors) against a base pack (float32): per
// dataset and mechanism, the largest change of mean N_w over the grid's points,
// and the accuracy at matched N_w (the M4-vs-M1 grid of N_w levels), with the
// change in points. The small-packs criterion: N_w within 0.01 and accuracy
// within 0.5 points, for M1 and M4 on SST-2 and TREC-6.
import type { UtilityReport } from "./utility-run.js";

export interface PackComparison {
  dataset: string;
  pack: string;
  /** Largest |ΔN_w| per mechanism over the points both runs have, and which point. */
  nw: Record<string, { maxChange: number; at: string }>;
  /** Accuracy at matched N_w: base and other, M1 and M4. */
  matched: { Nw: number; m1: [number, number]; m4: [number, number] }[];
}

/** Compares each other run with the base, dataset by dataset. */
export function comparePacks(base: UtilityReport, others: UtilityReport[]): PackComparison[] {
  const out: PackComparison[] = [];
  for (const other of others)
    for (const d of other.datasets) {
      const b = base.datasets.find((x) => x.name === d.name);
      if (!b) continue;
      const byKey = new Map(b.points.map((p) => [p.key, p]));
      const nw: PackComparison["nw"] = {};
      for (const p of d.points) {
        const q = byKey.get(p.key);
        if (!q) continue;
        const m = p.setting.mechanism;
        const change = p.Nw - q.Nw;
        if (!nw[m] || Math.abs(change) > Math.abs(nw[m].maxChange)) nw[m] = { maxChange: change, at: p.key };
      }
      const matched = d.m4VsM1.flatMap((c) => {
        const bc = b.m4VsM1.find((x) => Math.abs(x.Nw - c.Nw) < 1e-9);
        return bc ? [{ Nw: c.Nw, m1: [bc.m1, c.m1] as [number, number], m4: [bc.m4, c.m4] as [number, number] }] : [];
      });
      out.push({ dataset: d.name, pack: other.config.pack, nw, matched });
    }
  return out;
}

/** The comparison as markdown. */
export function packComparisonTable(base: UtilityReport, rows: PackComparison[]): string {
  const pts = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
  const out = [`Base: ${base.config.pack}. Accuracy at matched N_w, base → other (change in points); N_w: the largest change of mean N_w over the grid.`, ""];
  for (const r of rows) {
    out.push(`${r.dataset}, ${r.pack}:`, "", "| N_w | M1 accuracy | M4 accuracy |", "| --- | --- | --- |");
    for (const m of r.matched)
      out.push(
        `| ${m.Nw.toFixed(3)} | ${m.m1[0].toFixed(3)} → ${m.m1[1].toFixed(3)} (${pts(m.m1[1] - m.m1[0])}) | ${m.m4[0].toFixed(3)} → ${m.m4[1].toFixed(3)} (${pts(m.m4[1] - m.m4[0])}) |`,
      );
    out.push("", ...Object.entries(r.nw).map(([m, v]) => `- ${m}: largest N_w change ${v.maxChange >= 0 ? "+" : ""}${v.maxChange.toFixed(3)} (${v.at})`), "");
  }
  return out.join("\n");
}
