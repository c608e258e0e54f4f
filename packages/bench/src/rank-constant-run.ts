// `main.js rank-c`: loads the pack and SST-2's training words, runs the c grid
// (rank-constant.ts), writes rank-c.json and rank-c.md, and returns the table.
import { readFileSync } from "node:fs";
import { createVeil } from "@veil/core";
import { words } from "./classifier.js";
import { readDataset, shuffleSeeded } from "./datasets.js";
import { SHARED_DATA, writeResult } from "./results.js";
import { bestRankConstant, rankConstantMarkdown, rankConstantTable } from "./rank-constant.js";

/** Word tokens of SST-2's training sentences (public data), a seeded sample of `count`. */
function publicTokens(wordId: (w: string) => number | undefined, count: number): Int32Array {
  const examples = readDataset(`${SHARED_DATA}/sst2/sentence-level/stsa.binary.train`, { format: "space" });
  const ids: number[] = [];
  for (const e of shuffleSeeded(examples, 21)) {
    for (const w of words(e.text)) {
      const id = wordId(w);
      if (id !== undefined) ids.push(id);
    }
    if (ids.length >= count) break;
  }
  return Int32Array.from(ids.slice(0, count));
}

/** Runs the grid on `pack` and writes the results to `outDir`; returns the markdown table and the choice. */
export async function chooseRankConstant(pack: string, outDir: string): Promise<string> {
  const veil = await createVeil({ pack: readFileSync(pack), backend: "wasm" });
  const ids = publicTokens((w) => veil.wordId(w), 3000);
  const rows = rankConstantTable(veil, ids);
  const best = bestRankConstant(rows);
  writeResult(outDir, "rank-c.json", { pack: veil.embedding.sha256, tokens: ids.length, rows, best });
  const md = `${rankConstantMarkdown(rows)}\n\nChosen: c = ${best}, the largest c whose mean output distance at N_w 0.5 is within 1% of the best (${ids.length} SST-2 training tokens; packages/bench/src/rank-constant.ts says why).`;
  writeResult(outDir, "rank-c.md", md + "\n");
  return md;
}
