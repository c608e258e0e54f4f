// The page the Playwright tests drive: @veil/web imported as an app would, plus
// helpers the tests call through page.evaluate (window.harness).
import { openLedger, loadVeil, isCached, clearCache, cacheInfo, WorkerCrashedError, type LoadVeilOptions, type VeilEvent, type LoadProgress } from "@veil/web";
import { createVeil, readPack, writePack } from "@veil/core";
import { loseWebGpuDevice, useSeededRandom } from "@veil/core/testing";
import { createStore, getMany, keys, setMany } from "idb-keyval";

const violations: string[] = [];
document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

export const PACK_URL = "/packs/glove-6b-100d-50k.veilpack";

function ownWorker(): Worker {
  return new Worker(new URL("./own-worker.ts", import.meta.url), { type: "module" });
}

async function fetchPack(): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(PACK_URL)).arrayBuffer());
}

/** The first `n` words of the default pack, written without a neighbour table. */
async function smallTablelessPack(n: number): Promise<ArrayBuffer> {
  const e = await readPack(await fetchPack());
  const bytes = await writePack({ words: e.words.slice(0, n), d: e.d, vectors: e.vectors.slice(0, n * e.d), neighbours: null, K: 0, dMin: 0, dMax: 0 });
  return bytes.buffer as ArrayBuffer;
}

/** Random points near vocabulary words (the inputs of M1's nearest-word search). */
function pointsNear(ids: number[], d: number, vectors: Float32Array, spread: number): Float64Array {
  const u = new Uint32Array(ids.length * d);
  crypto.getRandomValues(u);
  const p = new Float64Array(ids.length * d);
  ids.forEach((w, i) => {
    for (let k = 0; k < d; k++) p[i * d + k] = vectors[w * d + k]! + (u[i * d + k]! / 2 ** 32 - 0.5) * spread;
  });
  return p;
}

const harness = {
  PACK_URL,
  violations,
  async load(kind: "worker" | "in-thread" | "own-worker" | "own-worker-instance", extra: Partial<LoadVeilOptions> = {}) {
    const events: VeilEvent[] = [];
    const progress: LoadProgress[] = [];
    const worker = kind === "worker" ? true : kind === "in-thread" ? false : kind === "own-worker" ? ownWorker : ownWorker();
    const t0 = performance.now();
    const veil = await loadVeil({ pack: PACK_URL, worker, onEvent: (e) => events.push(e), onProgress: (p) => progress.push(p), ...extra });
    const ms = performance.now() - t0;
    (window as unknown as { veil: unknown }).veil = veil;
    return { veil, events, progress, ms };
  },
  /** Loads, perturbs a sentence, and reports what a test checks. */
  async loadAndPerturb(kind: "worker" | "in-thread" | "own-worker", extra: Partial<LoadVeilOptions> = {}) {
    const { veil, events, progress, ms } = await harness.load(kind, extra);
    const r = await veil.perturb("The quick brown fox jumps over the lazy dog", { mechanism: "gumbel", epsilon: 60 });
    const law = await veil.stats("dog", { mechanism: "gumbel", epsilon: 60 }, { samples: 200 });
    const out = {
      mode: veil.mode,
      backend: veil.backend,
      pack: veil.pack,
      cache: veil.cache,
      events,
      phases: [...new Set(progress.map((p) => p.phase))],
      progressCount: progress.length,
      text: r.text,
      words: r.words.length,
      inVocabulary: r.words.filter((w) => w.inVocabulary).length,
      statsWord: law.word,
      exactNw: law.exact?.Nw ?? null,
      ms,
    };
    veil.dispose();
    return out;
  },
  async cacheState() {
    return { cached: await isCached(PACK_URL), info: await cacheInfo() };
  },
  clearCache,
  /** Overwrites 64 KB of the cached pack's body at fraction `at` of its length with garbage of the same size (SHA-256 must catch it). */
  async corruptCachedBody(at: number) {
    const store = createStore("veil-cache", "packs");
    const key = new URL(PACK_URL, location.href).href;
    const [body] = (await getMany([["body", key]], store)) as [Blob | undefined];
    if (!body) throw new Error("the pack is not cached");
    const bytes = new Uint8Array(await body.arrayBuffer());
    const from = Math.floor(bytes.length * at);
    bytes.fill(0x5a, from, Math.min(bytes.length, from + 65536));
    await setMany([[["body", key], new Blob([bytes])]], store);
    return { bytes: body.size, keys: (await keys(store)).length };
  },
  /** Builds the table of a table-less pack on WebGPU and on WebAssembly; compares tables. */
  async tablesAgree(n: number, maxBindingBytes?: number) {
    const bytes = await smallTablelessPack(n);
    const gpu = await loadVeil({ pack: bytes.slice(0), backend: "webgpu", cache: false, neighbours: 16, ...(maxBindingBytes && { maxBindingBytes }) });
    const cpu = await loadVeil({ pack: bytes.slice(0), backend: "wasm", cache: false, neighbours: 16 });
    const a = await gpu.neighbourTable();
    const b = await cpu.neighbourTable();
    let differ = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
    const res = {
      gpuBackend: gpu.backend,
      cpuBackend: cpu.backend.name,
      length: a.length,
      differ,
      dMin: [gpu.pack.dMin, cpu.pack.dMin],
      dMax: [gpu.pack.dMax, cpu.pack.dMax],
      seconds: [gpu.timings.backend / 1000, cpu.timings.backend / 1000],
    };
    gpu.dispose();
    cpu.dispose();
    return res;
  },
  /** Nearest words of the same random points near `count` words, on WebGPU and on WebAssembly (default pack). */
  async nearestAgree(count: number) {
    const e = await readPack(await fetchPack());
    const ids = Array.from({ length: count }, (_, i) => 7 + i * 997);
    const near = pointsNear(ids, e.d, e.vectors, 0.5);
    const far = pointsNear(ids, e.d, e.vectors, 6);
    const gpu = await loadVeil({ pack: PACK_URL, backend: "webgpu" });
    const cpu = await loadVeil({ pack: PACK_URL, backend: "wasm" });
    const out = { gpuBackend: gpu.backend.name, near: [[], []] as number[][], far: [[], []] as number[][] };
    out.near = [Array.from(await gpu.nearestWords(near)), Array.from(await cpu.nearestWords(near))];
    out.far = [Array.from(await gpu.nearestWords(far)), Array.from(await cpu.nearestWords(far))];
    // M1 and M2 run end to end on the GPU path.
    const m1 = await gpu.perturb("the cat sat on the mat", { mechanism: "laplace", epsilon: 10 });
    const m2 = await gpu.perturb("the cat sat on the mat", { mechanism: "exponential", epsilon: 2 });
    gpu.dispose();
    cpu.dispose();
    return { ...out, m1: m1.backend, m2: m2.backend, m2words: m2.words.length };
  },
  /**
   * The peers' mechanisms that batch on WebGPU (M5's and M10's nearest words in one dispatch):
   * with one seeded stream, the same outputs as WebAssembly's synchronous path.
   */
  async peersOnGpu() {
    const bytes = await smallTablelessPack(800);
    const gpu = await createVeil({ pack: bytes.slice(0), backend: "webgpu", neighbours: 16 });
    const cpu = await createVeil({ pack: bytes.slice(0), backend: "wasm", neighbours: 16 });
    const ids = Int32Array.from({ length: 300 }, (_, i) => (i * 37) % 800);
    const out: Record<string, { same: boolean; changed: boolean }> = {};
    for (const o of [
      { mechanism: "laplace-rank", epsilon: 6, c: 0.1 },
      { mechanism: "mahalanobis", epsilon: 6 },
    ] as const) {
      useSeededRandom(gpu, 5);
      useSeededRandom(cpu, 5);
      const a = await gpu.privatizeIdsAsync(ids, o);
      const b = cpu.privatizeIds(ids, o);
      out[o.mechanism] = { same: a.every((y, i) => y === b[i]), changed: a.some((y, i) => y !== ids[i]) };
    }
    const backend = gpu.backend.name;
    gpu.dispose();
    cpu.dispose();
    return { backend, out };
  },
  /** "auto" on a fallback (software) adapter: WebAssembly, with the reason. */
  async autoBackend() {
    const veil = await loadVeil({ pack: PACK_URL, backend: "auto" });
    const b = veil.backend;
    veil.dispose();
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter() : null;
    const adapterKind = !adapter ? "none" : (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) ? "fallback" : "hardware";
    return { b, hasGpu: !!gpu, adapterKind };
  },
  /** WebGPU device loss in this thread: the backend falls back to WebAssembly and keeps working. */
  async deviceLoss() {
    const bytes = await smallTablelessPack(800);
    const veil = await createVeil({ pack: bytes, backend: "webgpu", neighbours: 16 });
    const before = veil.backend.name;
    await loseWebGpuDevice(veil);
    const after = veil.backend;
    const r = await veil.perturbAsync("the of and", { mechanism: "laplace", epsilon: 5 });
    veil.dispose();
    return { before, after, resultBackend: r.backend, words: r.words.length };
  },
  /** A long text perturbed with `workers` workers: its words (source, offset), what was spent, and the time. */
  async perturbWithWorkers(workers: number, text: string, mechanism: "gumbel" | "laplace" = "gumbel", epsilon = 60) {
    const veil = await loadVeil({ pack: PACK_URL, workers });
    // Long enough to be split across every worker (parts of at least 2,048 characters), so each one's
    // kernels are compiled to their optimised tier and its panels packed before the timed call.
    await veil.perturb("warm up the kernels ".repeat(150 * workers), { mechanism, epsilon });
    const t0 = performance.now();
    const r = await veil.perturb(text, { mechanism, epsilon });
    const ms = performance.now() - t0;
    veil.dispose();
    return {
      words: r.words.map((w) => [w.source, w.start]),
      wordsPerturbed: r.privacy.wordsPerturbed,
      epsilonTotal: r.privacy.epsilonTotal,
      length: r.text.length > 0,
      ms,
    };
  },
  /** Starts a long call, terminates the worker under it, and calls again. */
  async killMidCall(instance: boolean) {
    let w: Worker | null = null;
    const factory = () => (w = ownWorker());
    const events: VeilEvent[] = [];
    const veil = await loadVeil({ pack: PACK_URL, worker: instance ? factory() : factory, onEvent: (e) => events.push(e) });
    const long = "the people of the world and the time of the day ".repeat(400);
    const t0 = performance.now();
    const pending = veil.perturb(long, { mechanism: "exponential", epsilon: 1 });
    w!.terminate(); // the call is pending in the page: whether or not the worker began it, it must fail, not hang
    let first: { name: string; code?: string; message: string; isTyped: boolean; ms: number } | null = null;
    try {
      await pending;
    } catch (err) {
      const e = err as Error & { code?: string };
      first = {
        name: e.name,
        ...(e.code !== undefined && { code: e.code }),
        message: e.message,
        isTyped: err instanceof WorkerCrashedError,
        ms: performance.now() - t0,
      };
    }
    let second: { ok: boolean; text?: string; name?: string; isTyped?: boolean };
    try {
      const r = await veil.perturb("hello world", { mechanism: "gumbel", epsilon: 60 });
      second = { ok: true, text: r.text };
    } catch (err) {
      second = { ok: false, name: (err as Error).name, isTyped: err instanceof WorkerCrashedError };
    }
    veil.dispose();
    return { first, second, events: events.map((e) => e.type) };
  },
  // --- benchmarks (scripts/bench-web.mjs) ---------------------------------------
  /** One load of the default pack in Veil's worker: total ms and the engine's breakdown. */
  async benchLoad(backend: "wasm" | "webgpu" | "auto" = "wasm") {
    const t0 = performance.now();
    const veil = await loadVeil({ pack: PACK_URL, backend });
    const ms = performance.now() - t0;
    const out = { ms, timings: veil.timings, source: veil.pack.source, bytes: veil.pack.bytes, backend: veil.backend.name };
    veil.dispose();
    return out;
  },
  /** Neighbour-table build at load for the first n words, in the worker, on one backend. */
  async benchTable(n: number, backend: "wasm" | "webgpu") {
    const bytes = await smallTablelessPack(n);
    const t0 = performance.now();
    const veil = await loadVeil({ pack: bytes, backend, cache: false });
    const ms = performance.now() - t0;
    const out = { n, backend: veil.backend.name, K: veil.pack.K, loadMs: ms, tableSeconds: veil.timings.backend / 1000 };
    veil.dispose();
    return out;
  },
  /**
   * Tokens per second of perturb() in the worker, per mechanism, on one backend: the text's
   * first call (the per-word caches of a fresh Veil empty), and with `warm` a second call of
   * the same text (the caches a long-lived Veil keeps hold its words, as Node's warm rows).
   */
  async benchPerturb(
    backend: "wasm" | "webgpu",
    runs: { mechanism: "gumbel" | "laplace" | "exponential" | "tem"; epsilon: number; text: string }[],
    warm = false,
  ) {
    const veil = await loadVeil({ pack: PACK_URL, backend });
    const out = [];
    const timed = async (r: (typeof runs)[number]) => {
      const t0 = performance.now();
      const res = await veil.perturb(r.text, { mechanism: r.mechanism, epsilon: r.epsilon });
      return { res, seconds: (performance.now() - t0) / 1000 }; // the words are read after the clock stops, as a caller that only sends the text
    };
    for (const r of runs) {
      await veil.perturb("warm up the kernels", { mechanism: r.mechanism, epsilon: r.epsilon });
      const first = await timed(r);
      const tokens = first.res.words.length;
      const again = warm ? await timed(r) : null;
      out.push({
        mechanism: r.mechanism,
        backend: first.res.backend,
        tokens,
        seconds: first.seconds,
        tokensPerSecond: tokens / first.seconds,
        ...(again && { warmSeconds: again.seconds, warmTokensPerSecond: tokens / again.seconds }),
      });
    }
    veil.dispose();
    return out;
  },
  /** Opens (or creates) the ledger "race" and fires `count` releases of `epsilon` at once; returns how many were granted. */
  async ledgerRace(count: number, epsilon: number, cap: number) {
    const ledger = await openLedger({ database: "veil-ledger-race", cap, period: "all", ifMissing: "create" });
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => ledger.release({ scope: "race", epsilon, response: i })));
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.name);
    return { granted: results.length - refused.length, refusedWith: [...new Set(refused)], spent: (await ledger.budget("race")).spent };
  },
  /** Loads Veil in a worker whose entropy then fails (throws or vanishes); returns what each perturb call gave. */
  async brokenEntropy() {
    let w: Worker | undefined;
    const veil = await loadVeil({ pack: PACK_URL, worker: () => (w = new Worker(new URL("./broken-entropy-worker.ts", import.meta.url), { type: "module" })) });
    const before = (await veil.perturb("the cat sat", { mechanism: "exponential", epsilon: 5 })).text;
    const outcomes: string[] = [];
    for (const mode of ["throws", "missing"] as const) {
      w!.postMessage({ breakEntropy: mode });
      for (const mechanism of ["laplace", "exponential", "tem", "gumbel"] as const) {
        try {
          // A text long enough to need a fresh pool of random bytes.
          const r = await veil.perturb("the cat sat on the mat ".repeat(3000), { mechanism, epsilon: mechanism === "gumbel" ? 50 : 5 });
          outcomes.push(`${mode}/${mechanism}: released ${r.text.length} characters`);
        } catch (e) {
          outcomes.push(`${mode}/${mechanism}: ${(e as Error).name}`);
        }
      }
    }
    w!.postMessage({ breakEntropy: "no" });
    const after = (await veil.perturb("the cat sat", { mechanism: "exponential", epsilon: 5 })).text;
    veil.dispose();
    return { before, outcomes, after };
  },
  async abortLoad() {
    await clearCache();
    const ctl = new AbortController();
    const p = loadVeil({ pack: PACK_URL, signal: ctl.signal, onProgress: (pr) => pr.phase === "download" && pr.loaded > 0 && ctl.abort() });
    try {
      await p;
      return "resolved";
    } catch (err) {
      return (err as Error).name;
    }
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
document.getElementById("log")!.textContent = "harness ready";
