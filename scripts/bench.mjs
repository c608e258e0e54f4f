#!/usr/bin/env node
// Speed of each mechanism on one core, on the default pack, with real text
// (SST-2 sentences from ../shared/data, read in place). Reports words/second next
// to the bound each is held against. One run; the machine is noisy.
//   node scripts/bench.mjs [--words N] [--json]
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createVeil, readPack } from "../packages/core/dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packFile = process.env.VEIL_PACK || path.join(root, "packs/glove-6b-100d-50k.veilpack");
const sst = path.resolve(root, "../shared/data/sst2/sentence-level/stsa.binary.train");
const lines = readFileSync(sst, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => l.slice(2));
const corpus = lines.join(" ");

const t0 = performance.now();
const bytes = readFileSync(packFile);
const tRead = performance.now();
const emb = await readPack(bytes);
const tVerify = performance.now();
const veil = await createVeil({ pack: emb, backend: process.env.VEIL_BACKEND || "wasm" });
const tReady = performance.now();
console.log(
  `pack: ${emb.n} x ${emb.d}, K ${emb.K}; read ${(tRead - t0).toFixed(0)} ms, verify+parse ${(tVerify - tRead).toFixed(0)} ms, backend ${veil.backend.name} ready ${(tReady - tVerify).toFixed(0)} ms`,
);

function wordsOf(text) {
  return veil.perturb(text, { mechanism: "tem", epsilon: 1e6 }).words.length;
}

function time(label, text, opts, bound, boundLabel) {
  veil.perturb(text.slice(0, 2000), opts); // warm-up (JIT, caches)
  const words = wordsOf(text);
  const t = performance.now();
  veil.perturb(text, opts);
  const s = (performance.now() - t) / 1000;
  const rate = words / s;
  const row = { label, words, seconds: +s.toFixed(3), wordsPerSecond: Math.round(rate), bound, ratio: +(rate / bound).toFixed(2) };
  console.log(
    `${label.padEnd(44)} ${String(words).padStart(7)} words ${s.toFixed(2).padStart(6)} s ${Math.round(rate).toLocaleString("en").padStart(11)} words/s  = ${row.ratio.toFixed(2)} x ${boundLabel}`,
  );
  return row;
}

const big = corpus.slice(0, 2_000_000 > corpus.length ? corpus.length : 2_000_000);
const small = corpus.slice(0, 12_000);
const rows = [];
const minEps = veil.minEpsilon("gumbel");
rows.push(time("M4 truncated Gumbel (eps 50), perturb()", big, { mechanism: "gumbel", epsilon: 50 }, 1_000_000, "target 1,000,000"));
{
  const ids = new Int32Array(2_000_000);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 2654435761) % 20000;
  veil.privatizeIds(ids.subarray(0, 100000), { mechanism: "gumbel", epsilon: 50 });
  const t = performance.now();
  veil.privatizeIds(ids, { mechanism: "gumbel", epsilon: 50 });
  const s = (performance.now() - t) / 1000;
  const rate = ids.length / s;
  console.log(
    `${"M4 sampler alone (ids in, ids out)".padEnd(44)} ${String(ids.length).padStart(7)} words ${s.toFixed(2).padStart(6)} s ${Math.round(rate).toLocaleString("en").padStart(11)} words/s`,
  );
  rows.push({ label: "M4 sampler alone", words: ids.length, seconds: +s.toFixed(3), wordsPerSecond: Math.round(rate) });
}
{
  const t = performance.now();
  const n = wordsOf(big);
  const s = (performance.now() - t) / 1000;
  console.log(
    `${"text handling alone (tokenise, look up, case)".padEnd(44)} ${String(n).padStart(7)} words ${s.toFixed(2).padStart(6)} s ${Math.round(n / s)
      .toLocaleString("en")
      .padStart(11)} words/s (TEM at huge epsilon: table path)`,
  );
}
rows.push(time("M1 multivariate Laplace (eps 15), perturb()", small, { mechanism: "laplace", epsilon: 15 }, 2_500, "target 2,500 (ceiling ~4,800)"));
rows.push(time("M2 exponential (eps 3), perturb()", small, { mechanism: "exponential", epsilon: 3 }, 2_500, "target 2,500 (ceiling ~4,800)"));
rows.push(time("M3 TEM (eps 3: radius beyond the table)", small, { mechanism: "tem", epsilon: 3 }, 2_500, "M2's target"));
rows.push(time("M3 TEM (eps 15: radius inside the table)", big, { mechanism: "tem", epsilon: 15 }, 1_000_000, "M4's target"));
if (process.argv.includes("--json")) console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, minEps, rows }, null, 2));
