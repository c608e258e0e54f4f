// `pnpm bench:speed`: tokens/second of each mechanism on each backend in Node (JS,
// WASM), neighbour-table build rate, pack load, peak memory, and the machine's
// bounds measured in the same run, printed as ratios; then the browser part
// (Chromium: WASM and WebGPU in Veil's worker, cold and warm load) through
// scripts/bench-web.mjs. One run of each on a noisy machine.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createVeil, readPack, tokenize, lookupKey, type MechanismOptions, type Veil } from "@veil/core";
import { backendOf } from "@veil/core/testing";
import { readDataset } from "./datasets.js";
import { ProgressBar } from "./progress.js";
import { environment, REPO_ROOT, SHARED_DATA, writeResult } from "./results.js";
import { measureBounds, timeBoxed, type MachineBounds } from "./speed.js";

export interface SpeedOptions {
  pack: string;
  outDir: string;
  smoke: boolean;
  /** Also build the whole 50k neighbour table (about 30 s on WASM). */
  fullTable?: boolean;
  browser?: boolean;
}

export interface SpeedRow {
  what: string;
  backend: string;
  unit: "tokens" | "rows";
  count: number;
  seconds: number;
  perSecond: number;
  /** The bound this rate is held against, in the same unit per second, and what it is. */
  bound?: number;
  boundWhat?: string;
  ratio?: number;
}

/** One loadVeil() in Chromium: wall time in the page, and the engine's own split of it. */
interface LoadTimes {
  ms: number;
  timings: { obtain: number; verify: number; cacheWrite: number; backend: number; total: number };
}

/** The warm-start budget in Chromium (README, "Loading"): for the default pack once packs are small. */
const WARM_START_BUDGET_MS = 300;

/** What scripts/bench-web.mjs writes. */
interface WebResults {
  chromium: string;
  coldLoad: LoadTimes;
  /** The median of `warmLoads`. */
  warmLoad: LoadTimes;
  warmLoads: LoadTimes[];
  /** Each pack type over a paced 20 Mbit/s link (gzip-precompressed): first visit, then warm. */
  packs?: { label: string; file: string; bytes: number; gzipBytes: number; linkMbps: number; cold: LoadTimes; warm: LoadTimes }[];
  /** The page's share of loadVeil (scripts/size.mjs): bytes raw and gzip, against its gzip budget. */
  pageBundle: { raw: number; gzip: number; chunks: number; budget: number };
  tableBuild: { n: number; backend: string; tableSeconds: number }[];
  perturb: { mechanism: "gumbel" | "laplace" | "exponential" | "tem"; backend: string; tokens: number; seconds: number; tokensPerSecond: number }[];
}

const TITLES = { gumbel: "M4 truncated Gumbel", laplace: "M1 multivariate Laplace", exponential: "M2 exponential", tem: "M3 TEM" } as const;

const SST_TRAIN = `${SHARED_DATA}/sst2/sentence-level/stsa.binary.train`;

export async function runSpeed(o: SpeedOptions): Promise<void> {
  const t0 = performance.now();
  const env = environment();
  const sentences = readDataset(SST_TRAIN, { format: "space" }).map((e) => e.text);
  const corpus = sentences.join(" ");
  /** About `words` words of real text (whole sentences). */
  const textOf = (words: number): string => {
    let end = 0;
    for (let seen = 0; seen < words && end < corpus.length; seen++) {
      const next = corpus.indexOf(" ", end + 1);
      end = next < 0 ? corpus.length : next;
    }
    return corpus.slice(0, end);
  };
  const minSeconds = o.smoke ? 0.05 : 1;
  const backends = ["wasm", "js"] as const;
  const bar = new ProgressBar("speed", 3 + backends.length * 7 + (o.browser ? 1 : 0));

  // Pack load: the first in this process (file likely in the OS cache), then again warm.
  const load = async (): Promise<{ bytes: number; readMs: number; verifyMs: number; readyMs: number; veil: Veil }> => {
    const a = performance.now();
    const bytes = readFileSync(o.pack);
    const b = performance.now();
    const emb = await readPack(bytes);
    const c = performance.now();
    const veil = await createVeil({ pack: emb, backend: "wasm" });
    return { bytes: bytes.byteLength, readMs: b - a, verifyMs: c - b, readyMs: performance.now() - c, veil };
  };
  const first = await load();
  first.veil.dispose();
  const again = await load();
  const packLoad = {
    bytes: again.bytes,
    first: { readMs: first.readMs, verifyMs: first.verifyMs, readyMs: first.readyMs },
    warm: { readMs: again.readMs, verifyMs: again.verifyMs, readyMs: again.readyMs },
  };
  bar.tick("pack load");
  const e = again.veil.embedding;

  const bounds: MachineBounds = await measureBounds(e.vectors, o.smoke);
  bar.tick("machine bounds");
  const perPass = { fma: (bounds.mulAddGflops * 1e9) / (2 * e.n * e.d), stream: (bounds.streamGBs * 1e9) / (4 * e.n * e.d) };
  const m4Bound = (bounds.randomGBs * 1e9) / ((e.K + 1) * 8); // K + 1 uniforms of 8 bytes per word (SPEC M4 step 4)
  const m4 = { bound: m4Bound, boundWhat: "random bytes: (K+1) uniforms of 8 B per word" };
  /** One pass over the vocabulary per token, or per distinct word when repeated words share one. */
  const passBound = (perToken: number): { bound: number; boundWhat: string } => ({
    bound: perPass.fma * perToken,
    boundWhat: `SIMD multiply-add: 2nd flops per ${perToken > 1.001 ? `distinct word (${perToken.toFixed(2)} tokens each)` : "token"}`,
  });

  const rows: SpeedRow[] = [];
  {
    // What perturb() costs before any mechanism: segmenting, lower-casing and looking words up.
    const r = timeBoxed(
      (size) => {
        let n = 0;
        for (const t of tokenize(textOf(size))) if (t.wordLike) (again.veil.wordId(lookupKey(t.text)), n++);
        return n;
      },
      2000,
      minSeconds,
      200_000,
    );
    rows.push({
      what: "text handling alone (Intl.Segmenter, case, look-up)",
      backend: "any",
      unit: "tokens",
      count: r.units,
      seconds: r.seconds,
      perSecond: r.perSecond,
    });
    again.veil.dispose();
  }
  const push = (r: SpeedRow, tick = true): void => {
    if (r.bound) r.ratio = r.perSecond / r.bound;
    rows.push(r);
    if (tick) bar.tick(`${r.backend} ${r.what}`);
  };
  for (const name of backends) {
    const veil = await createVeil({ pack: e, backend: name });
    const js = name === "js";
    /** Tokens/second of perturb() and the distinct in-vocabulary words of the timed text. */
    const perturbRate = (
      what: string,
      opts: MechanismOptions,
      start: number,
      bound?: (tokensPerDistinct: number) => { bound: number; boundWhat: string },
    ): void => {
      let distinct = 1,
        tokens = 1;
      const r = timeBoxed(
        (size) => {
          const res = veil.perturb(textOf(size), opts);
          const known = res.words.filter((w) => w.inVocabulary);
          tokens = known.length;
          distinct = new Set(known.map((w) => w.source.toLowerCase())).size;
          return res.words.length;
        },
        start,
        minSeconds,
        200_000,
      );
      push({ what, backend: name, unit: "tokens", count: r.units, seconds: r.seconds, perSecond: r.perSecond, ...bound?.(tokens / distinct) });
    };
    perturbRate("M4 truncated Gumbel perturb(), eps 50", { mechanism: "gumbel", epsilon: 50 }, 2000, () => m4);
    {
      const ids = new Int32Array(2_000_000);
      for (let i = 0; i < ids.length; i++) ids[i] = (i * 2654435761) % 20000;
      const r = timeBoxed((size) => (veil.privatizeIds(ids.subarray(0, size), { mechanism: "gumbel", epsilon: 50 }), size), 20_000, minSeconds, ids.length);
      push({
        what: "M4 sampler alone (ids in, ids out)",
        backend: name,
        unit: "tokens",
        count: r.units,
        seconds: r.seconds,
        perSecond: r.perSecond,
        ...m4,
      });
    }
    perturbRate("M1 multivariate Laplace perturb(), eps 10", { mechanism: "laplace", epsilon: 10 }, js ? 8 : 200, () => passBound(1));
    perturbRate("M2 exponential perturb(), eps 3", { mechanism: "exponential", epsilon: 3 }, js ? 8 : 200, passBound);
    perturbRate("M3 TEM perturb(), eps 3 (radius beyond the table)", { mechanism: "tem", epsilon: 3 }, js ? 8 : 200, passBound);
    perturbRate("M3 TEM perturb(), eps 15 (radius inside the table)", { mechanism: "tem", epsilon: 15 }, 2000);
    {
      const b = backendOf(veil);
      const r = timeBoxed((size) => (b.knn(Math.min(64, e.n - 1), 0, size), size), js ? 2 : 100, minSeconds * 2, e.n);
      push({
        what: "neighbour table rows (K = 64, exact)",
        backend: name,
        unit: "rows",
        count: r.units,
        seconds: r.seconds,
        perSecond: r.perSecond,
        bound: perPass.fma,
        boundWhat: "SIMD multiply-add: 2nd flops per row",
      });
    }
    veil.dispose();
  }
  let fullTableSeconds: number | undefined;
  if (o.fullTable) {
    const veil = await createVeil({ pack: e, backend: "wasm" });
    const t = performance.now();
    backendOf(veil).knn(64, 0, e.n);
    fullTableSeconds = (performance.now() - t) / 1000;
    veil.dispose();
  }
  const memory = { peakRssMiB: process.resourceUsage().maxRSS / 1024, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 };

  let browser: WebResults | { error: string } | null = null;
  if (o.browser) {
    const tmp = path.join(mkdtempSync(path.join(os.tmpdir(), "veil-bench-web-")), "web.json");
    const r = spawnSync("node", [path.join(REPO_ROOT, "scripts/bench-web.mjs"), "--out", tmp], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] });
    browser =
      r.status === 0 && existsSync(tmp)
        ? (JSON.parse(readFileSync(tmp, "utf8")) as WebResults)
        : { error: `scripts/bench-web.mjs exited with ${r.status ?? r.signal}` };
    bar.tick("browser");
    if ("perturb" in browser) {
      const where = (b: string): string => (b === "webgpu" ? "webgpu (SwiftShader, Chromium worker)" : `${b} (Chromium worker)`);
      for (const p of browser.perturb)
        push(
          {
            what: `${TITLES[p.mechanism]} perturb()`,
            backend: where(p.backend),
            unit: "tokens",
            count: p.tokens,
            seconds: p.seconds,
            perSecond: p.tokensPerSecond,
            ...(p.mechanism === "gumbel" && m4),
            ...(p.mechanism === "laplace" && passBound(1)),
          },
          false,
        );
      for (const t of browser.tableBuild)
        push(
          {
            what: `neighbour table at load, ${t.n.toLocaleString("en")} words`,
            backend: where(t.backend),
            unit: "rows",
            count: t.n,
            seconds: t.tableSeconds,
            perSecond: t.n / t.tableSeconds,
            ...(t.backend === "wasm" && { bound: (bounds.mulAddGflops * 1e9) / (2 * t.n * e.d), boundWhat: `SIMD multiply-add: 2·${t.n}·d flops per row` }),
          },
          false,
        );
    }
  }

  const report = {
    benchmark: "speed",
    ...env,
    label: o.smoke ? "smoke run: not a measurement" : "",
    pack: { file: path.relative(REPO_ROOT, o.pack), n: e.n, d: e.d, K: e.K },
    seconds: Math.round((performance.now() - t0) / 1000),
    bounds,
    perPassBounds: { mulAddWordsPerSecond: perPass.fma, streamWordsPerSecond: perPass.stream, m4WordsPerSecond: m4Bound },
    packLoad,
    rows,
    fullTableSeconds,
    memory,
    browser,
  };
  const table = markdownTable(report);
  writeResult(o.outDir, "speed.json", report);
  writeResult(o.outDir, "speed.md", table);
  process.stdout.write(table);
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString("en") : x.toPrecision(3));

function markdownTable(r: {
  bounds: MachineBounds;
  perPassBounds: { streamWordsPerSecond: number };
  packLoad: { first: { readMs: number; verifyMs: number; readyMs: number }; warm: { readMs: number; verifyMs: number; readyMs: number } };
  rows: SpeedRow[];
  memory: { peakRssMiB: number };
  fullTableSeconds?: number | undefined;
  browser: WebResults | { error: string } | null;
  date: string;
  machine: { cpu: string };
}): string {
  const out = [
    `Speed, one run, ${r.date.slice(0, 10)}, ${r.machine.cpu}, one thread. Bounds measured in the same run: streaming read of the vectors ${r.bounds.streamGBs.toFixed(1)} GB/s, WASM SIMD multiply-add ${r.bounds.mulAddGflops.toFixed(1)} GFLOP/s, crypto.getRandomValues ${r.bounds.randomGBs.toFixed(2)} GB/s.`,
    "",
    "| what | backend | measured | bound (same run) | ratio |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const row of r.rows)
    out.push(
      `| ${row.what} | ${row.backend} | ${fmt(row.perSecond)} ${row.unit}/s | ${row.bound ? `${fmt(row.bound)}/s: ${row.boundWhat}` : ""} | ${row.ratio !== undefined ? `${row.ratio.toFixed(2)}×` : ""} |`,
    );
  const l = (x: { readMs: number; verifyMs: number; readyMs: number }): string =>
    `read ${x.readMs.toFixed(0)} + SHA-256 and checks ${x.verifyMs.toFixed(0)} + WASM ready ${x.readyMs.toFixed(0)} ms`;
  out.push(
    `| pack load, first in the process | wasm | ${l(r.packLoad.first)} | | |`,
    `| pack load, again (warm) | wasm | ${l(r.packLoad.warm)} | | |`,
    `| peak memory (RSS) of the Node run | | ${r.memory.peakRssMiB.toFixed(0)} MiB | | |`,
  );
  if (r.browser && "coldLoad" in r.browser) out.push(...browserLoadRows(r.browser));
  if (r.browser && "coldLoad" in r.browser && r.browser.packs) out.push("", ...packRows(r.browser.packs));
  if (r.fullTableSeconds !== undefined) out.push(`| full neighbour table, 50k words | wasm | ${r.fullTableSeconds.toFixed(1)} s | | |`);
  out.push(
    "",
    `A one-pass-per-token search (M1 without batching) would be held to the streaming bound, ${fmt(r.perPassBounds.streamWordsPerSecond)} tokens/s; Veil batches M1's searches as a matrix product, so the multiply-add rate is its ceiling.`,
    "",
  );
  return out.join("\n");
}

/** Cold and warm start in Chromium, and the page bundle, each against its budget where it has one. */
function browserLoadRows(b: WebResults): string[] {
  const split = (t: LoadTimes): string =>
    `${t.ms.toFixed(0)} ms (read ${t.timings.obtain.toFixed(0)}, SHA-256 and checks ${t.timings.verify.toFixed(0)}, cache write ${t.timings.cacheWrite.toFixed(0)}, WASM up ${t.timings.backend.toFixed(0)})`;
  const warm = b.warmLoad;
  const all = b.warmLoads?.map((w) => w.ms.toFixed(0)).join(", ");
  const bundle = b.pageBundle;
  return [
    `| pack load in Chromium, cold (download from 127.0.0.1, SHA-256, IndexedDB write, WASM up) | wasm (Chromium worker) | ${split(b.coldLoad)} | | |`,
    `| warm start in Chromium (new page, pack from IndexedDB, to ready; median of ${all ?? "one"} ms) | wasm (Chromium worker) | ${split(warm)} | ${WARM_START_BUDGET_MS} ms budget | ${(warm.ms / WARM_START_BUDGET_MS).toFixed(2)}× the budget |`,
    ...(bundle
      ? [
          `| page bundle of loadVeil (scripts/size.mjs) | | ${(bundle.gzip / 1024).toFixed(1)} KB gzip (${(bundle.raw / 1024).toFixed(1)} KB raw, ${bundle.chunks} chunks) | ${(bundle.budget / 1024).toFixed(0)} KB gzip budget | ${(bundle.gzip / bundle.budget).toFixed(2)}× the budget |`,
        ]
      : []),
  ];
}

/** The first-visit budget at 20 Mbit/s for the default pack (small-packs issue; README "Packs"). */
const FIRST_VISIT_BUDGET_MS = 4000;

/** The pack table: size, and first-visit and warm times in Chromium, per pack type. */
function packRows(packs: NonNullable<WebResults["packs"]>): string[] {
  const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
  return [
    `Packs over a paced ${packs[0]?.linkMbps ?? 20} Mbit/s link, sent gzip-precompressed, in Chromium (fresh profile, then a new page from IndexedDB); budgets for the default pack: first visit ${FIRST_VISIT_BUDGET_MS} ms, warm start ${WARM_START_BUDGET_MS} ms.`,
    "",
    "| pack | size | gzip | first visit to ready | warm start to ready |",
    "| --- | --- | --- | --- | --- |",
    ...packs.map(
      (p) =>
        `| ${p.label} | ${mb(p.bytes)} | ${mb(p.gzipBytes)} | ${p.cold.ms.toFixed(0)} ms (${(p.cold.ms / FIRST_VISIT_BUDGET_MS).toFixed(2)}× budget) | ${p.warm.ms.toFixed(0)} ms (${(p.warm.ms / WARM_START_BUDGET_MS).toFixed(2)}× budget) |`,
    ),
  ];
}
