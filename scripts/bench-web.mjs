#!/usr/bin/env node
// Browser measurements of @veil/web in Debian's Chromium (headless; its WebGPU
// adapter is SwiftShader, a CPU emulation): cold load (download + verify +
// ready), warm load from IndexedDB, neighbour-table build by backend, and
// perturbation tokens/second in the worker by backend, on SST-2 text read in
// place from ../shared/data. One run each; prints JSON. Not part of `npm test`.
//   node scripts/bench-web.mjs [--table-words N] [--full-table] [--out FILE]
// `pnpm bench:speed` runs it and merges its JSON into bench/results/speed.json.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import { chromiumLaunchOptions } from "../e2e/chromium.mjs";
import { pageBundle } from "./size.mjs";
import { serveStatic } from "./static-server.mjs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const tableWords = arg("--table-words", 2000);
const port = 4199;

spawnSync(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "e2e/vite.config.mjs", "--logLevel", "warn"], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});
const server = spawn("node", ["e2e/serve.mjs"], { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
await new Promise((r) => server.stdout.once("data", r));

const sst = readFileSync(path.resolve(root, "../shared/data/sst2/sentence-level/stsa.binary.train"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => l.slice(2));
const textOf = (words) => {
  const out = [];
  let n = 0;
  for (const s of sst) {
    out.push(s);
    n += s.split(" ").length;
    if (n >= words) break;
  }
  return out.join(" ");
};

/** The packs compared in the README's pack table: the default and the other vector types, built when missing. */
const PACK_VARIANTS = [
  { label: "int8, K 20, table as sets (default)", file: "packs/glove-6b-100d-50k.veilpack", build: null },
  { label: "float16, K 24", file: "packs/glove-6b-100d-50k-f16.veilpack", build: ["--vectors", "f16", "--k", "24"] },
  { label: "float32, K 64 (the default before)", file: "packs/glove-6b-100d-50k-f32.veilpack", build: ["--vectors", "f32", "--k", "64"] },
];
/** 20 Mbit/s, the link the small-packs budget is for (4 s to ready on a first visit). */
const LINK_BYTES_PER_SECOND = 20e6 / 8;

/**
 * One pack in a fresh profile over a paced link: the e2e page and the pack (as
 * the harness names it) from a server that sends the pack gzip-precompressed at
 * 20 Mbit/s; then a new page reads it from IndexedDB.
 */
async function firstVisit(browser, variant) {
  const file = path.join(root, variant.file);
  if (!existsSync(file) && variant.build)
    spawnSync("node", [path.join(root, "packages/cli/dist/main.js"), "pack", "--from", "wink", "--words", "50000", ...variant.build, "--out", file], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  const dir = mkdtempSync(path.join(tmpdir(), "veil-bench-pack-"));
  const served = path.join(dir, "glove-6b-100d-50k.veilpack");
  copyFileSync(file, served);
  const raw = readFileSync(served);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${served}.gz`, gz);
  const server = await serveStatic({
    roots: { "/packs/": dir, "/": path.join(root, "e2e/dist") },
    port: 0,
    precompressed: true,
    bytesPerSecond: LINK_BYTES_PER_SECOND,
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const call = async (name, ...args) => {
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => "harness" in window);
      return page.evaluate(([n, a]) => window.harness[n](...a), [name, args]);
    };
    const cold = await call("benchLoad", "wasm");
    const warm = await call("benchLoad", "wasm");
    const r = { label: variant.label, file: variant.file, bytes: raw.length, gzipBytes: gz.length, linkMbps: 20, cold, warm };
    step(
      `${variant.label}: ${(r.bytes / 1e6).toFixed(1)} MB (${(r.gzipBytes / 1e6).toFixed(1)} MB gzip): first visit ${cold.ms.toFixed(0)} ms, warm ${warm.ms.toFixed(0)} ms`,
    );
    return r;
  } finally {
    await context.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Progress on stderr, one line a step (stdout may carry the JSON).
const step = (what) => process.stderr.write(`[bench-web] ${what}\n`);
step(`Chromium: cold and warm load, tables of ${tableWords} words, perturb() on WASM then WebGPU`);
const browser = await chromium.launch(chromiumLaunchOptions);
const results = { machine: "this machine (see README: 2 vCPUs, noisy)", chromium: browser.version() };
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const open = async () => {
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => "harness" in window);
  };
  const call = (name, ...args) => page.evaluate(([n, a]) => window.harness[n](...a), [name, args]);
  await open();
  await call("clearCache");
  results.coldLoad = await call("benchLoad", "wasm");
  // Warm: three new page loads, the pack from IndexedDB each time; the median is reported, all three kept.
  results.warmLoads = [];
  for (let i = 0; i < 3; i++) {
    await open();
    results.warmLoads.push(await call("benchLoad", "wasm"));
  }
  results.warmLoad = [...results.warmLoads].sort((a, b) => a.ms - b.ms)[1];
  step(`loads: cold ${results.coldLoad.ms.toFixed(0)} ms, warm ${results.warmLoads.map((w) => w.ms.toFixed(0)).join(", ")} ms; building tables`);
  results.tableBuild = [await call("benchTable", tableWords, "wasm"), await call("benchTable", tableWords, "webgpu")];
  if (process.argv.includes("--full-table")) results.tableBuild.push(await call("benchTable", 50_000, "wasm"));
  const runs = (scale) => [
    { mechanism: "gumbel", epsilon: 60, text: textOf(100_000 * scale) },
    { mechanism: "laplace", epsilon: 10, text: textOf(4000 * scale) },
    { mechanism: "exponential", epsilon: 2, text: textOf(4000 * scale) },
    { mechanism: "tem", epsilon: 2, text: textOf(4000 * scale) },
  ];
  // SwiftShader emulates the GPU on the CPU: a small text shows the path works without taking minutes.
  step("perturb() on WASM");
  const wasmRuns = await call("benchPerturb", "wasm", runs(1), true);
  step("perturb() on WebGPU (SwiftShader: about a minute)");
  results.perturb = [...wasmRuns, ...(await call("benchPerturb", "webgpu", runs(0.05)))];
  step("M1 perturb() with one worker, then with workers: 2");
  const m1Text = textOf(2000);
  results.workers = [];
  for (const n of [1, 2]) results.workers.push({ workers: n, ...(await call("perturbWithWorkers", n, m1Text, "laplace", 10)) });
  results.workers = results.workers.map((w) => ({ workers: w.workers, tokens: w.words.length, ms: w.ms }));
  step("each pack: first visit over a 20 Mbit/s link (served gzip-precompressed), then warm");
  results.packs = [];
  for (const variant of PACK_VARIANTS) results.packs.push(await firstVisit(browser, variant));
  results.pageBundle = await pageBundle();
  step(`page bundle ${(results.pageBundle.gzip / 1024).toFixed(1)} KB gzip`);
  step("done");
  await context.close();
} finally {
  await browser.close();
  server.kill();
}
const outIndex = process.argv.indexOf("--out");
if (outIndex >= 0) writeFileSync(process.argv[outIndex + 1], JSON.stringify(results, null, 2));
else console.log(JSON.stringify(results, null, 2));
