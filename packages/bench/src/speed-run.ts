// `pnpm bench:speed`: tokens/second of each mechanism on each backend in Node (JS,
// WASM), neighbour-table build rate, pack load, peak memory, and the machine's
// bounds measured in the same run, printed as ratios; then the browser part
// (Chromium: WASM and WebGPU in Veil's worker, cold and warm load) through
// scripts/bench-web.mjs. One run of each on a noisy machine.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createVeil, readPack, tokenize, firstSensitive, DEFAULT_SANTEXT_S, type Embedding, type MechanismOptions, type Veil } from "@veil/core";
import { backendOf } from "@veil/core/testing";
import { readDataset } from "./datasets.js";
import { ProgressBar } from "./progress.js";
import { environment, REPO_ROOT, SHARED_DATA, writeResult } from "./results.js";
import {
  computeBoundsMeter,
  measureBounds,
  measureFirstWrite,
  pageFaults,
  timeBoxed,
  timeBoxedOn,
  type ComputeBounds,
  type FirstWriteRate,
  type MachineBounds,
} from "./speed.js";
import { measureThreadScaling, type ThreadScaling } from "./thread-scaling.js";
import { asciiWordIndex, casePatternAt, wordSpans } from "@veil/core/internal";

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
  /** The compute bounds measured just before and just after the row (Node rows), the better of each: what `bound` is made from. */
  boundsBeside?: ComputeBounds;
}

/** A row's bound from the bounds as measured beside it, and the row's in-vocabulary tokens per distinct word. */
type BoundOf = (b: DerivedBounds, tokensPerDistinct: number) => { bound: number; boundWhat: string };

/** A Node row before its bound: what was timed, and its tokens per distinct word where the bound counts passes per distinct word. */
type TimedRow = SpeedRow & { tokensPerDistinct?: number };

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
  /** M1 perturb() of one text with loadVeil({ workers: 1 }) and { workers: 2 }. */
  workers?: { workers: number; tokens: number; ms: number }[];
  /** Each pack type over a paced 20 Mbit/s link (gzip-precompressed): first visit, then warm. */
  packs?: { label: string; file: string; bytes: number; gzipBytes: number; linkMbps: number; cold: LoadTimes; warm: LoadTimes }[];
  /** The page's share of loadVeil (scripts/size.mjs): bytes raw and gzip, against its gzip budget. */
  pageBundle: { raw: number; gzip: number; chunks: number; budget: number };
  tableBuild: { n: number; backend: string; tableSeconds: number }[];
  /** The text's first call; warm*: the same text again (WASM only: SwiftShader's runs are kept short). */
  perturb: {
    mechanism: "gumbel" | "laplace" | "exponential" | "tem";
    backend: string;
    tokens: number;
    seconds: number;
    tokensPerSecond: number;
    warmSeconds?: number;
    warmTokensPerSecond?: number;
  }[];
}

const TITLES = { gumbel: "M4 truncated Gumbel", laplace: "M1 multivariate Laplace", exponential: "M2 exponential", tem: "M3 TEM" } as const;

const SST_TRAIN = `${SHARED_DATA}/sst2/sentence-level/stsa.binary.train`;

export async function runSpeed(o: SpeedOptions): Promise<void> {
  const t0 = performance.now();
  const env = environment();
  const textOf = textSampler(readDataset(SST_TRAIN, { format: "space" }).map((e) => e.text));
  const minSeconds = o.smoke ? 0.05 : 1;
  const backends = ["wasm", "js"] as const;
  const bar = new ProgressBar("speed", 5 + backends.length * 13 + (o.browser ? 1 : 0));
  const { packLoad, veil } = await measurePackLoad(o.pack);
  bar.tick("pack load");
  const e = veil.embedding;
  const bounds: MachineBounds = await measureBounds(e.vectors, o.smoke);
  bar.tick("machine bounds");
  const ctx: RunContext = { e, textOf, minSeconds, bar, meter: await computeBoundsMeter(o.smoke), ...derivedBounds(bounds, e) };
  const rows: SpeedRow[] = [textHandlingRow(veil, ctx, true), textHandlingRow(veil, ctx, false)];
  veil.dispose();
  for (const name of backends) rows.push(...(await backendRows(name, ctx)));
  const fullTableSeconds = o.fullTable ? await fullTableBuild(e) : undefined;
  rows.push(...bulkRows(o, ctx));
  const threadScaling = await measureThreadScaling(o.smoke);
  bar.tick("two threads at once");
  const memory = { peakRssMiB: process.resourceUsage().maxRSS / 1024, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  const browser = o.browser ? runBrowserPart() : null;
  if (browser) bar.tick("browser");
  if (browser && "perturb" in browser) rows.push(...browserRows(browser, ctx));
  const report = {
    benchmark: "speed",
    ...env,
    label: o.smoke ? "smoke run: not a measurement" : "",
    pack: { file: path.relative(REPO_ROOT, o.pack), n: e.n, d: e.d, K: e.K },
    seconds: Math.round((performance.now() - t0) / 1000),
    bounds,
    perPassBounds: { mulAddWordsPerSecond: ctx.perPass.fma, streamWordsPerSecond: ctx.perPass.stream, m4WordsPerSecond: ctx.m4.bound },
    packLoad,
    rows,
    fullTableSeconds,
    threadScaling,
    memory,
    browser,
  };
  const table = markdownTable(report);
  writeResult(o.outDir, "speed.json", report);
  writeResult(o.outDir, "speed.md", table);
  process.stdout.write(table);
}

/** What the measuring steps share: the embedding, the text, the time per measurement, the progress bar, the bounds derived for each row. */
interface RunContext extends DerivedBounds {
  e: Embedding;
  textOf: (words: number) => string;
  minSeconds: number;
  bar: ProgressBar;
  /** The compute bounds now (speed.ts computeBoundsMeter), for holding a row against the machine as it was while the row ran. */
  meter: () => ComputeBounds;
}

type DerivedBounds = ReturnType<typeof derivedBounds>;

/**
 * Times `timed` with the compute bounds measured just before and just after it,
 * and holds the row against the better of each (the best-of rule the run-start
 * bounds follow): a slow stretch of the machine then lowers the bound with the row.
 */
async function beside(ctx: RunContext, timed: () => TimedRow | Promise<TimedRow>, boundOf: BoundOf): Promise<SpeedRow> {
  const before = ctx.meter();
  const { tokensPerDistinct, ...row } = await timed();
  const after = ctx.meter();
  const boundsBeside = { mulAddGflops: Math.max(before.mulAddGflops, after.mulAddGflops), randomGBs: Math.max(before.randomGBs, after.randomGBs) };
  return withRatio({ ...row, ...boundOf(derivedBounds({ ...ctx.bounds, ...boundsBeside }, ctx.e), tokensPerDistinct ?? 1), boundsBeside });
}

/** About `words` words of real text (whole words, from the start of the corpus). */
function textSampler(sentences: string[]): (words: number) => string {
  const corpus = sentences.join(" ");
  return (words) => {
    let end = 0;
    for (let seen = 0; seen < words && end < corpus.length; seen++) {
      const next = corpus.indexOf(" ", end + 1);
      end = next < 0 ? corpus.length : next;
    }
    return corpus.slice(0, end);
  };
}

/** Pack load: the first in this process (file likely in the OS cache), then again warm; the second Veil stays open. */
async function measurePackLoad(file: string): Promise<{ packLoad: PackLoad; veil: Veil }> {
  const load = async (): Promise<PackLoadPhases & { bytes: number; veil: Veil }> => {
    const f0 = pageFaults();
    const a = performance.now();
    const bytes = readFileSync(file);
    const b = performance.now();
    const emb = await readPack(bytes);
    const c = performance.now();
    const veil = await createVeil({ pack: emb, backend: "wasm" });
    return { bytes: bytes.byteLength, readMs: b - a, verifyMs: c - b, readyMs: performance.now() - c, faults: pageFaults() - f0, veil };
  };
  const first = await load();
  first.veil.dispose();
  const again = await load();
  const times = ({ readMs, verifyMs, readyMs, faults }: PackLoadPhases): PackLoadPhases => ({ readMs, verifyMs, readyMs, faults });
  return { packLoad: { bytes: again.bytes, first: times(first), warm: times(again), firstWrite: measureFirstWrite() }, veil: again.veil };
}

/** One pack load's phases, and the page faults it took (memory it wrote for the first time). */
interface PackLoadPhases {
  readMs: number;
  verifyMs: number;
  readyMs: number;
  faults: number;
}

interface PackLoad {
  bytes: number;
  first: PackLoadPhases;
  warm: PackLoadPhases;
  /** This machine's price of writing fresh memory, measured after the loads. */
  firstWrite: FirstWriteRate;
}

/**
 * The pack load rows, each with the memory it wrote for the first time and what that costs here at
 * the first-write rate measured beside them: the part of the load no code change inside it can remove
 * short of writing less memory.
 */
function packLoadLines(p: PackLoad): string[] {
  const { msPerMiB, bytesPerFault } = p.firstWrite;
  const line = (what: string, x: PackLoadPhases): string => {
    const mib = (x.faults * bytesPerFault) / 2 ** 20;
    const total = x.readMs + x.verifyMs + x.readyMs;
    return `| ${what} | wasm | read ${x.readMs.toFixed(0)} + SHA-256 and checks ${x.verifyMs.toFixed(0)} + WASM ready ${x.readyMs.toFixed(0)} ms; ${mib.toFixed(0)} MiB written for the first time (${x.faults.toLocaleString("en")} page faults) | first write of fresh memory: ${msPerMiB.toFixed(2)} ms/MiB, so ${(mib * msPerMiB).toFixed(0)} ms of the ${total.toFixed(0)} | ${((mib * msPerMiB) / total).toFixed(2)}× of the load |`;
  };
  return [line("pack load, first in the process", p.first), line("pack load, again (warm)", p.warm)];
}

/** The per-row bounds: vocabulary passes per second (multiply-add, streaming) and M4's random-byte bound. */
function derivedBounds(bounds: MachineBounds, e: Embedding) {
  const perPass = { fma: (bounds.mulAddGflops * 1e9) / (2 * e.n * e.d), stream: (bounds.streamGBs * 1e9) / (4 * e.n * e.d) };
  const m4 = { bound: (bounds.randomGBs * 1e9) / ((e.K + 1) * 8), boundWhat: "random bytes: (K+1) uniforms of 8 B per word" }; // docs/mechanisms.md, M4 step 4
  /** One pass over the vocabulary per token, or per distinct word when repeated words share one. */
  const passBound = (perToken: number): { bound: number; boundWhat: string } => ({
    bound: perPass.fma * perToken,
    boundWhat: `SIMD multiply-add: 2nd flops per ${perToken > 1.001 ? `distinct word (${perToken.toFixed(2)} tokens each)` : "token"}`,
  });
  const randomBound = (uniforms: number): { bound: number; boundWhat: string } => ({
    bound: (bounds.randomGBs * 1e9) / (uniforms * 8),
    boundWhat: `random bytes: ${uniforms} uniform${uniforms > 1 ? "s" : ""} of 8 B per word`,
  });
  // M7 resamples within the sensitive set V_S: one multiply-add pass over |V_S| words (docs/mechanisms.md, M7).
  const sensitive = firstSensitive(e.n, DEFAULT_SANTEXT_S);
  const sensitivePassBound = (perToken: number): { bound: number; boundWhat: string } => ({
    bound: passBound(perToken).bound * (e.n / (e.n - sensitive)),
    boundWhat: `SIMD multiply-add over the ${e.n - sensitive} sensitive words, per distinct word (${perToken.toFixed(2)} tokens each)`,
  });
  return { bounds, perPass, m4, passBound, randomBound, sensitivePassBound };
}

/** A row with its ratio to its bound. */
function withRatio(r: SpeedRow): SpeedRow {
  return r.bound ? { ...r, ratio: r.perSecond / r.bound } : r;
}

/** A text and its number of word-like segments (the unit every perturb() row counts). */
function withWordCount(text: string): { text: string; words: number } {
  return { text, words: wordSpans(text).count };
}

/**
 * What perturb() costs before any mechanism, on its own path: on WebAssembly the
 * module's text pass (spans, look-up, then the output written with each word as
 * its own output: backends/wasm-text.ts); in JavaScript the word spans, each word
 * looked up in place and its case pattern read.
 */
function textHandlingRow(veil: Veil, ctx: RunContext, useModule: boolean): SpeedRow {
  const kernel = useModule ? backendOf(veil).text : undefined;
  const e = veil.embedding;
  const index = asciiWordIndex(e);
  const inModule = (text: string): number => {
    const scanned = kernel!.scan(text)!;
    kernel!.write(text, scanned.ids, false, "***");
    return scanned.spans.count;
  };
  const inJavaScript = (text: string): number => {
    const spans = wordSpans(text);
    let found = 0;
    for (let i = 0; i < spans.count; i++) {
      const [s, t] = [spans.starts[i]!, spans.ends[i]!];
      if (index.idOf(text, s, t, e.index) >= 0) found++;
      casePatternAt(text, s, t);
    }
    return found >= 0 ? spans.count : 0; // found is read, so the look-ups stay
  };
  const run = kernel ? inModule : inJavaScript;
  run(ctx.textOf(200_000)); // the module's buffers grown to the longest text first, as perturb()'s warm row does
  const r = timeBoxedOn((size) => ctx.textOf(size), run, 2000, ctx.minSeconds, 200_000);
  return {
    what: kernel
      ? "text handling alone (the module's text pass: spans, look-up in place, output written and decoded)"
      : "text handling alone, JavaScript path (word spans with the ASCII fast path, look-up in place, case pattern read; no output written)",
    backend: kernel ? backendOf(veil).name : "js",
    unit: "tokens",
    count: r.units,
    seconds: r.seconds,
    perSecond: r.perSecond,
  };
}

/** Every mechanism's perturb(), M4's sampler alone and the table build, on one backend. */
async function backendRows(name: "wasm" | "js", ctx: RunContext): Promise<SpeedRow[]> {
  const veil = await createVeil({ pack: ctx.e, backend: name });
  const js = name === "js";
  const rows: SpeedRow[] = [];
  const push = async (timed: () => TimedRow | Promise<TimedRow>, boundOf?: BoundOf): Promise<void> => {
    const r = boundOf ? await beside(ctx, timed, boundOf) : await timed();
    rows.push(r);
    ctx.bar.tick(`${r.backend} ${r.what}`);
  };
  const perturb = (what: string, opts: MechanismOptions, start: number, boundOf?: BoundOf, warm = 0) =>
    push(() => perturbRow(veil, name, what, opts, start, ctx, warm), boundOf);
  const m4: MechanismOptions = { mechanism: "gumbel", epsilon: 50 };
  const m4Bound: BoundOf = (b) => b.m4;
  const onePass: BoundOf = (b) => b.passBound(1);
  const perDistinct: BoundOf = (b, t) => b.passBound(t);
  const oneUniform: BoundOf = (b) => b.randomBound(1);
  await perturb("M4 truncated Gumbel perturb(), eps 50, warm", m4, 2000, m4Bound, PERTURB_WORDS_MAX);
  await push(() => firstCallRow(name, "M4 truncated Gumbel perturb(), eps 50, first call on a fresh Veil (caches cold)", m4, ctx), m4Bound);
  await push(() => samplerRow(veil, name, ctx), m4Bound);
  await perturb("M1 multivariate Laplace perturb(), eps 10", { mechanism: "laplace", epsilon: 10 }, js ? 8 : 200, onePass);
  await perturb("M2 exponential perturb(), eps 3", { mechanism: "exponential", epsilon: 3 }, js ? 8 : 200, perDistinct);
  await perturb("M3 TEM perturb(), eps 3 (radius beyond the table)", { mechanism: "tem", epsilon: 3 }, js ? 8 : 200, perDistinct);
  await perturb("M3 TEM perturb(), eps 15 (radius inside the table), warm", { mechanism: "tem", epsilon: 15 }, 2000, undefined, PERTURB_WORDS_MAX);
  // The peers' mechanisms, each against its own bound (M5, M6, M10: M1's; M7: M2's on V_S; M8, M9: random bytes).
  await perturb("M5 Mahalanobis perturb(), eps 10", { mechanism: "mahalanobis", epsilon: 10 }, js ? 8 : 200, onePass);
  await perturb("M6 Vickrey perturb(), eps 10", { mechanism: "vickrey", epsilon: 10 }, js ? 8 : 200, onePass);
  await perturb("M7 SanText+ perturb(), eps 3", { mechanism: "santext", epsilon: 3 }, js ? 8 : 200, (b, t) => b.sensitivePassBound(t));
  await perturb("M8 CusText perturb(), eps 3, warm", { mechanism: "custext", epsilon: 3 }, 2000, oneUniform, PERTURB_WORDS_MAX);
  await perturb("M9 1-Diffractor perturb(), eps 1", { mechanism: "diffractor", epsilon: 1 }, 2000, oneUniform);
  await perturb("M10 rank-based Laplace perturb(), eps 10", { mechanism: "laplace-rank", epsilon: 10 }, js ? 8 : 200, onePass);
  await push(
    () => tableRow(veil, name, ctx),
    (b) => ({ bound: b.perPass.fma, boundWhat: "SIMD multiply-add: 2nd flops per row" }),
  );
  veil.dispose();
  return rows;
}

/** The longest text a perturb() row times, in words. */
const PERTURB_WORDS_MAX = 200_000;

/**
 * Tokens/second of perturb() on real text, with the bound for its tokens per distinct in-vocabulary
 * word. `warm` > 0: one untimed call on that many words first, so the per-word caches a long-lived
 * Veil keeps (M4's distances and exp(d/b), M3's table distances, M8's cumulative probabilities) hold the words the timed call meets.
 */
function perturbRow(veil: Veil, backend: string, what: string, opts: MechanismOptions, start: number, ctx: RunContext, warm = 0): TimedRow {
  if (warm > 0) veil.perturb(ctx.textOf(warm), opts);
  // Only perturb() is timed: the text is made, and the last result's words counted, outside it
  // (reading `words` of a long text makes its 100,000 result objects, which a caller sending `text` never does).
  let last: ReturnType<Veil["perturb"]> | undefined;
  const r = timeBoxedOn(
    (size) => withWordCount(ctx.textOf(size)),
    ({ text, words }) => ((last = veil.perturb(text, opts)), words),
    start,
    ctx.minSeconds,
    PERTURB_WORDS_MAX,
  );
  return { what, backend, unit: "tokens", count: r.units, seconds: r.seconds, perSecond: r.perSecond, tokensPerDistinct: tokensPerDistinct(last!) };
}

/** In-vocabulary tokens per distinct in-vocabulary word of a result. */
function tokensPerDistinct(res: ReturnType<Veil["perturb"]>): number {
  const known = res.words.filter((w) => w.inVocabulary);
  return known.length / new Set(known.map((w) => w.source.toLowerCase())).size;
}

/** One timed perturb() of PERTURB_WORDS_MAX words on a Veil just made: every word's caches start empty. */
async function firstCallRow(backend: "wasm" | "js", what: string, opts: MechanismOptions, ctx: RunContext): Promise<TimedRow> {
  const fresh = await createVeil({ pack: ctx.e, backend });
  const { text, words } = withWordCount(ctx.textOf(PERTURB_WORDS_MAX));
  const t = performance.now();
  const res = fresh.perturb(text, opts);
  const seconds = (performance.now() - t) / 1000;
  fresh.dispose();
  return { what, backend, unit: "tokens", count: words, seconds, perSecond: words / seconds, tokensPerDistinct: tokensPerDistinct(res) };
}

/** M4's sampler alone: ids in, ids out, no text handling. */
function samplerRow(veil: Veil, backend: string, ctx: RunContext): TimedRow {
  const ids = new Int32Array(2_000_000);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 2654435761) % 20000;
  const r = timeBoxed((size) => (veil.privatizeIds(ids.subarray(0, size), { mechanism: "gumbel", epsilon: 50 }), size), 20_000, ctx.minSeconds, ids.length);
  return { what: "M4 sampler alone (ids in, ids out)", backend, unit: "tokens", count: r.units, seconds: r.seconds, perSecond: r.perSecond };
}

/** Exact 64-NN table rows per second on one thread. */
function tableRow(veil: Veil, backend: string, ctx: RunContext): TimedRow {
  const b = backendOf(veil);
  const r = timeBoxed((size) => (b.knn(Math.min(64, ctx.e.n - 1), 0, size), size), backend === "js" ? 2 : 100, ctx.minSeconds * 2, ctx.e.n);
  return {
    what: "neighbour table rows (K = 64, exact)",
    backend,
    unit: "rows",
    count: r.units,
    seconds: r.seconds,
    perSecond: r.perSecond,
  };
}

/** The machine's own two-thread scaling on the bounds' work: the ceiling for the two-thread rows' 1.8x target. */
function threadScalingLines(scaling: ThreadScaling[]): string[] {
  return scaling.map(
    (s) =>
      `| two threads at once on the bound's own work (${s.work}), best of 3 interleaved | worker threads | one alone ${s.oneMs.toFixed(0)} ms, two at once ${s.twoMs.toFixed(0)} ms each | 2.0×: two threads' throughput over one, perfect | ${s.ratio.toFixed(2)}× |`,
  );
}

/**
 * `veil perturb --input --output` (M4) on a corpus of SST-2 sentences repeated
 * to about 200 MB (1 MB in a smoke run), on one thread and on two: records and
 * tokens per second, two threads against one. The runs go 1, 2, 1, 2 and each
 * thread count keeps its faster run: this machine's speed drifts by a third
 * over a minute, which one run of each would read as scaling. 200 MB, because a
 * corpus is what the command is for, and a smaller one is mostly start-up.
 */
function bulkRows(o: SpeedOptions, ctx: RunContext): SpeedRow[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), "veil-bench-bulk-"));
  const input = path.join(dir, "corpus.txt");
  const lines = ctx.textOf(50_000).split(" . ").join(" .\n");
  const copies = o.smoke ? 1 : Math.ceil(BULK_BENCH_BYTES / lines.length);
  writeFileSync(input, "");
  for (let c = 0; c < copies; c++) appendFileSync(input, lines + "\n"); // a copy at a time: 200 MB never held in memory
  const tokens = tokenize(lines).filter((t) => t.wordLike).length * copies; // the copies' words, without tokenizing 30 MB here
  const run = (threads: number): BulkRun => {
    const output = path.join(dir, `out-${threads}.txt`);
    const cli = path.join(REPO_ROOT, "packages/cli/dist/main.js");
    const args = [cli, "perturb", "-m", "gumbel", "-e", "50", "--pack", o.pack, "--input", input, "--output", output, "--threads", String(threads), "--json"];
    const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`veil perturb --input failed: ${r.stderr.slice(-300)}`);
    rmSync(output, { force: true });
    return JSON.parse(r.stdout) as BulkRun;
  };
  const runs = (o.smoke ? [1, 2] : [1, 2, 1, 2]).map((threads) => ({ threads, r: run(threads) }));
  rmSync(dir, { recursive: true, force: true });
  const fastest = (threads: number, time: (r: BulkRun) => number): BulkRun =>
    runs.filter((x) => x.threads === threads).reduce((a, b) => (time(b.r) < time(a.r) ? b : a)).r;
  ctx.bar.tick("bulk");
  const mb = ((Buffer.byteLength(lines) * copies) / 1e6).toFixed(0);
  const row = (threads: number, r: BulkRun, seconds: number, part: string, base?: number): SpeedRow => ({
    what: `bulk: veil perturb --input (M4, ${mb} MB, ${r.records.toLocaleString("en")} records), ${threads} thread${threads > 1 ? "s" : ""}${part}`,
    backend: "wasm (worker threads)",
    unit: "tokens",
    count: tokens,
    seconds,
    perSecond: tokens / seconds,
    ...(base !== undefined && { bound: base, boundWhat: "the same on one thread", ratio: tokens / seconds / base }),
  });
  // The whole run, and its privatizing alone (after the pack is read once and the workers are up: a fixed second that a 1 GB corpus does not notice).
  const after = (r: BulkRun): number => r.seconds - r.loadSeconds;
  const part = (r: BulkRun): string => `, after the load (${r.loadSeconds.toFixed(2)} s)`;
  const [one, two] = [fastest(1, (r) => r.seconds), fastest(2, (r) => r.seconds)];
  const [oneAfter, twoAfter] = [fastest(1, after), fastest(2, after)];
  const best = runs.length > 2 ? ", faster of 2" : "";
  return [
    row(1, one, one.seconds, best),
    row(2, two, two.seconds, best, tokens / one.seconds),
    row(1, oneAfter, after(oneAfter), best + part(oneAfter)),
    row(2, twoAfter, after(twoAfter), best + part(twoAfter), tokens / after(oneAfter)),
  ];
}

/** The bulk rows' corpus: SST-2 sentences repeated to about this many bytes. */
const BULK_BENCH_BYTES = 200e6;

/** What `veil perturb --input --json` reports (packages/cli/src/bulk/bulk.ts, BulkReport). */
interface BulkRun {
  seconds: number;
  loadSeconds: number;
  records: number;
}

/** The whole 64-NN table on one thread (--full-table), in seconds. */
async function fullTableBuild(e: Embedding): Promise<number> {
  const veil = await createVeil({ pack: e, backend: "wasm" });
  const t = performance.now();
  backendOf(veil).knn(64, 0, e.n);
  const seconds = (performance.now() - t) / 1000;
  veil.dispose();
  return seconds;
}

/** scripts/bench-web.mjs in a child process: its JSON, or why it failed. */
function runBrowserPart(): WebResults | { error: string } {
  const tmp = path.join(mkdtempSync(path.join(os.tmpdir(), "veil-bench-web-")), "web.json");
  const r = spawnSync("node", [path.join(REPO_ROOT, "scripts/bench-web.mjs"), "--out", tmp], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return r.status === 0 && existsSync(tmp)
    ? (JSON.parse(readFileSync(tmp, "utf8")) as WebResults)
    : { error: `scripts/bench-web.mjs exited with ${r.status ?? r.signal}` };
}

/** The Chromium rows: perturb() per mechanism and backend in Veil's worker, and the table build at load. */
function browserRows(browser: WebResults, ctx: RunContext): SpeedRow[] {
  const where = (b: string): string => (b === "webgpu" ? "webgpu (SwiftShader, Chromium worker)" : `${b} (Chromium worker)`);
  const row = (p: WebResults["perturb"][number], what: string, seconds: number, perSecond: number): SpeedRow =>
    withRatio({
      what: `${TITLES[p.mechanism]} perturb()${what}`,
      backend: where(p.backend),
      unit: "tokens",
      count: p.tokens,
      seconds,
      perSecond,
      ...(p.mechanism === "gumbel" && ctx.m4),
      ...(p.mechanism === "laplace" && ctx.passBound(1)),
    });
  const perturb = browser.perturb.flatMap((p) =>
    p.warmSeconds === undefined
      ? [row(p, "", p.seconds, p.tokensPerSecond)]
      : [row(p, ", first call of the text", p.seconds, p.tokensPerSecond), row(p, ", warm (the same text again)", p.warmSeconds, p.warmTokensPerSecond!)],
  );
  const tables = browser.tableBuild.map((t) =>
    withRatio({
      what: `neighbour table at load, ${t.n.toLocaleString("en")} words`,
      backend: where(t.backend),
      unit: "rows",
      count: t.n,
      seconds: t.tableSeconds,
      perSecond: t.n / t.tableSeconds,
      ...(t.backend === "wasm" && { bound: (ctx.bounds.mulAddGflops * 1e9) / (2 * t.n * ctx.e.d), boundWhat: `SIMD multiply-add: 2·${t.n}·d flops per row` }),
    }),
  );
  const one = browser.workers?.find((w) => w.workers === 1);
  const several = (browser.workers ?? []).map((w) =>
    withRatio({
      what: `M1 multivariate Laplace perturb(), loadVeil({ workers: ${w.workers} })`,
      backend: "wasm (Chromium workers)",
      unit: "tokens",
      count: w.tokens,
      seconds: w.ms / 1000,
      perSecond: w.tokens / (w.ms / 1000),
      ...(one && w.workers > 1 && { bound: one.tokens / (one.ms / 1000), boundWhat: "the same text on one worker" }),
    }),
  );
  return [...perturb, ...tables, ...several];
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString("en") : x.toPrecision(3));

/** How the Node rows' bounds were taken, and how far the machine drifted between them. */
function besideLine(rows: SpeedRow[]): string {
  const beside = rows.flatMap((x) => (x.boundsBeside ? [x.boundsBeside] : []));
  if (!beside.length) return "";
  const range = (key: keyof ComputeBounds, digits: number): string => {
    const xs = beside.map((b) => b[key]);
    return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  };
  const [flops, bytes] = [range("mulAddGflops", 1), range("randomGBs", 2)];
  return `Each Node row with a bound is held against the multiply-add and random-byte rates measured just before and just after it (the better of each; over the run ${flops} GFLOP/s and ${bytes} GB/s); the Chromium rows are held against the run's start.`;
}

function markdownTable(r: {
  bounds: MachineBounds;
  perPassBounds: { streamWordsPerSecond: number };
  packLoad: PackLoad;
  rows: SpeedRow[];
  memory: { peakRssMiB: number };
  fullTableSeconds?: number | undefined;
  threadScaling: ThreadScaling[];
  browser: WebResults | { error: string } | null;
  date: string;
  machine: { cpu: string };
}): string {
  const out = [
    `Speed, one run, ${r.date.slice(0, 10)}, ${r.machine.cpu}, one thread. Bounds measured at the run's start: streaming read of the vectors ${r.bounds.streamGBs.toFixed(1)} GB/s, WASM SIMD multiply-add ${r.bounds.mulAddGflops.toFixed(1)} GFLOP/s, crypto.getRandomValues ${r.bounds.randomGBs.toFixed(2)} GB/s. ${besideLine(r.rows)}`,
    "",
    "| what | backend | measured | bound (measured beside the row) | ratio |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const row of r.rows)
    out.push(
      `| ${row.what} | ${row.backend} | ${fmt(row.perSecond)} ${row.unit}/s | ${row.bound ? `${fmt(row.bound)}/s: ${row.boundWhat}` : ""} | ${row.ratio !== undefined ? `${row.ratio.toFixed(2)}×` : ""} |`,
    );
  out.push(
    ...packLoadLines(r.packLoad),
    `| peak memory (RSS) of the Node run | | ${r.memory.peakRssMiB.toFixed(0)} MiB | | |`,
    ...threadScalingLines(r.threadScaling),
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
