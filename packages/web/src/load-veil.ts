// loadVeil(): the one call a web app makes. It starts the engine in a worker (or
// in the page), loads the pack through the cache, and returns a small async API.
import { proxy, transfer, type Remote } from "comlink";
import { afterDeviceLoss } from "@veil/core/internal";
import {
  checkBackendPreference,
  InvalidOptionError,
  MissingPackError,
  type BackendPreference,
  type BackendReport,
  type MechanismName,
  type MechanismOptions,
  type PerturbOptions,
  type PerturbResult,
  type RealizedPrivacy,
  type WordStats,
  type AttackOptions,
  type AttackResult,
} from "@veil/core";
import { WorkerBridge, type WorkerOption } from "./bridge.js";
import type { VeilEngine, CacheStatus, LoadInfo, LoadRequest, PackInfo } from "./engine.js";
import { WorkerCrashedError, unwire, type Wire } from "./errors.js";
import { joinResults, splitText } from "./split-text.js";
import { unpackResult } from "./packed-words.js";
import type { LoadProgress, VeilEvent } from "./progress.js";

/** What `loadVeil` takes: the pack, and how to load and run it (README "In the browser" has the table). */
export interface LoadVeilOptions {
  /** The embedding pack: a URL (fetched, then cached in IndexedDB), `{ url, sha256 }` as `@veil/pack-en-50k` gives it (the hash pinned), or its bytes (an ArrayBuffer is transferred to the worker, and detached here). */
  pack: string | URL | ArrayBuffer | Uint8Array | { url: string | URL; sha256?: string };
  /** "auto" (default): WebGPU on a hardware adapter, else WebAssembly, else plain JS. */
  backend?: BackendPreference;
  /** true (default): Veil starts its own module worker. A Worker, or a function that makes one: the app's worker running `serveVeil()`. false: in this thread. */
  worker?: WorkerOption;
  /**
   * How many workers (default 1): a long text's `perturb` is split between them
   * (the same law: each word is perturbed on its own); other calls go to the
   * first. Each worker holds its own copy of the pack in memory (the default pack:
   * about 60 MB each); the others read it from the cache the first one filled.
   * With Veil's own worker or a function that makes one.
   */
  workers?: number;
  /** Load progress (download, verify, index, ready), throttled to about 10 per second. */
  onProgress?: (p: LoadProgress) => void;
  /** Cache fallbacks, dropped cache entries, WebGPU device loss, worker restarts. */
  onEvent?: (e: VeilEvent) => void;
  /** Aborts the load. */
  signal?: AbortSignal;
  /** Cache the pack in IndexedDB (default true). */
  cache?: boolean;
  /**
   * Ask the browser for persistent storage (navigator.storage.persist()), so the
   * cached pack is not evicted under storage pressure; `cache.storagePersisted` says
   * whether it was granted. Default false: browsers may prompt the user.
   */
  persist?: boolean;
  /**
   * On a cache hit, ask the server whether the pack at the URL changed: one
   * conditional request (If-None-Match / If-Modified-Since from the ETag and
   * Last-Modified recorded when it was cached); a new version replaces the cached
   * one (a `cache-dropped` event). Default false: no request on a warm start. Pinning
   * `sha256` is the other way to notice a replaced pack.
   */
  revalidate?: boolean;
  /** The pack's expected SHA-256 (hex): a cached copy with another hash is stale and is replaced. */
  sha256?: string;
  /** Where veil.wasm is, if your bundler does not serve it beside @veil/core. */
  wasmUrl?: string | URL;
  /** Neighbour-table width to build at load when the pack has none (default 64). */
  neighbours?: number;
  /** Cap on one WebGPU buffer binding in bytes (forces the vocabulary to be split; for tests). */
  maxBindingBytes?: number;
}

/** Per-call options of a loaded Veil: an AbortSignal. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A loaded Veil. Every method runs where the pack is (the worker, by default). */
export interface LoadedVeil {
  /** The backend in use and why (updated if a WebGPU device is lost). */
  readonly backend: BackendReport;
  readonly pack: PackInfo;
  readonly cache: CacheStatus;
  /** Load timings in milliseconds. */
  readonly timings: LoadInfo["timings"];
  /** "worker", "own-worker" or "in-thread". */
  readonly mode: "worker" | "own-worker" | "in-thread";
  /** The smallest epsilon each mechanism accepts on this pack (M4's is exclusive). */
  minEpsilon(mechanism: MechanismName): number;
  /** Rewrites `text` word by word with a differentially private mechanism. */
  perturb(text: string, options: PerturbOptions & CallOptions): Promise<PerturbResult>;
  /** N_w and S_w for a word, sampled, and exact where the law is known (M2-M4, M7-M9). */
  stats(word: string, options: MechanismOptions & CallOptions, o?: { samples?: number; top?: number }): Promise<WordStats>;
  /** Realized privacy of a word against its k nearest neighbours, from the exact laws (null for M1). */
  realizedPrivacy(word: string, options: MechanismOptions, k?: number): Promise<({ word: string; distance: number } & RealizedPrivacy)[] | null>;
  /**
   * How often the Bayes-optimal attacker recovers a word from its privatized
   * output at this setting (exact for M2-M4 and M7-M9, sampled for M1, M5, M6, M10); see @veil/core's
   * `Veil.attack`. Runs in the worker; rejects with InvalidOptionError on a bad prior or option.
   */
  attack(options: MechanismOptions, attack?: AttackOptions): Promise<AttackResult>;
  /** A word's nearest neighbours from the table, with distances. */
  neighbours(word: string, k?: number): Promise<{ word: string; distance: number }[]>;
  /** The exact nearest vocabulary word (id) to each point (count*d numbers). */
  nearestWords(points: Float64Array | Float32Array): Promise<Int32Array>;
  /** The whole n*K neighbour table. */
  neighbourTable(): Promise<Int32Array>;
  /** Stops the worker and frees the backend. */
  dispose(): void;
}

/**
 * The one call a web app makes: starts Veil's worker (or uses yours, or this
 * thread), fetches the pack once and caches it in IndexedDB (later visits read
 * it from there; two tabs share one download), verifies it, starts the best
 * backend, and returns the async API. Rejects with `PackFetchError`,
 * `EmbeddingFormatError`, `WorkerCrashedError`, `InvalidOptionError` or an
 * AbortError; each says what to do.
 */
export async function loadVeil(options: LoadVeilOptions): Promise<LoadedVeil> {
  if (!options || options.pack === undefined || options.pack === null)
    throw new MissingPackError("loadVeil needs `pack`: the URL of a .veilpack file or its bytes.");
  const req = loadRequest(options);
  options.signal?.throwIfAborted();
  const hooks = loadHooks(options);
  const workerOpt = options.worker ?? true;
  const workers = options.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16))
    throw new InvalidOptionError(`workers must be an integer from 1 to 16, got ${String(workers)}.`);
  if (workers > 1 && workerOpt !== true && typeof workerOpt !== "function")
    throw new InvalidOptionError("workers > 1 needs Veil's own worker (worker: true) or a function that makes one, so Veil can start several.");
  if (workerOpt === false) return loadInThread(req, options, hooks);
  if (workers === 1) return loadInWorker(req, options, hooks, workerOpt);
  // The first loads (and caches) the pack; the others wait on the pack's Web Lock and read the cache.
  const quiet = { ...hooks, onProgress: undefined };
  const all = await Promise.all(Array.from({ length: workers }, (_, i) => loadInWorker(req, options, i === 0 ? hooks : quiet, workerOpt)));
  return severalWorkers(all);
}

/** Several loaded workers as one: a long text's perturb split between them, everything else on the first. */
function severalWorkers(all: LoadedVeil[]): LoadedVeil {
  const first = all[0]!;
  return Object.assign(Object.create(first) as LoadedVeil, {
    async perturb(text: string, options: PerturbOptions & CallOptions): Promise<PerturbResult> {
      const parts = typeof text === "string" ? splitText(text, all.length) : [];
      if (parts.length < 2) return first.perturb(text, options);
      return joinResults(parts, await Promise.all(parts.map((p, i) => all[i]!.perturb(p.text, options))));
    },
    dispose: () => all.forEach((v) => v.dispose()),
  });
}

/** The request the engine gets: the pack as it can cross the worker boundary, and the options it needs. */
function loadRequest(options: LoadVeilOptions): LoadRequest {
  const sha256 = options.sha256 ?? packSha256(options.pack);
  return {
    pack: packSpec(options.pack),
    backend: checkBackendPreference(options.backend ?? "auto"),
    cache: options.cache ?? true,
    ...(options.persist && { persist: true }),
    ...(options.revalidate && { revalidate: true }),
    ...(sha256 && { sha256 }),
    ...(options.wasmUrl && { wasmUrl: new URL(options.wasmUrl, baseUrl()).href }),
    ...(options.neighbours && { neighbours: options.neighbours }),
    ...(options.maxBindingBytes && { maxBindingBytes: options.maxBindingBytes }),
  };
}

/** The callbacks passed to the engine (proxied for the worker), and the backend report they keep current. */
interface LoadHooks {
  onProgress: ((p: LoadProgress) => void) | undefined;
  onEvent: (e: VeilEvent) => void;
  state: { backend: BackendReport | null };
}

function loadHooks(options: LoadVeilOptions): LoadHooks {
  const state: LoadHooks["state"] = { backend: null };
  const onEvent = proxy((e: VeilEvent) => {
    if (e.type === "backend-fallback" && e.from === "webgpu" && state.backend) state.backend = afterDeviceLoss(state.backend, e.reason);
    options.onEvent?.(e);
  });
  return { onProgress: options.onProgress ? proxy(options.onProgress) : undefined, onEvent, state };
}

/**
 * In this thread only: the engine (and with it the whole core) is loaded on
 * demand, so a page that runs Veil in its worker does not carry it in its own bundle.
 */
async function loadInThread(req: LoadRequest, options: LoadVeilOptions, hooks: LoadHooks): Promise<LoadedVeil> {
  const { VeilEngine } = await import("./engine.js");
  const engine = new VeilEngine();
  const api = engine as unknown as Remote<VeilEngine>;
  const info = unwire(
    await abortable(
      options.signal,
      () => engine.load(req, hooks.onProgress, hooks.onEvent),
      () => engine.abortLoad(),
    ),
  );
  hooks.state.backend = info.backend;
  return client(
    info,
    "in-thread",
    (fn) => fn(api),
    () => engine.dispose(),
    () => hooks.state.backend!,
  );
}

/** In Veil's worker or the app's: start it, load there, and restart it (reloading from the cache) if it dies. */
async function loadInWorker(req: LoadRequest, options: LoadVeilOptions, hooks: LoadHooks, workerOpt: Exclude<WorkerOption, false>): Promise<LoadedVeil> {
  const bridge =
    workerOpt === true
      ? new WorkerBridge(WorkerBridge.ownWorker, null)
      : typeof workerOpt === "function"
        ? new WorkerBridge(workerOpt, null)
        : new WorkerBridge(null, workerOpt);
  let info: LoadInfo;
  try {
    await bridge.start();
    const first = "bytes" in req.pack ? transfer(req, [req.pack.bytes]) : req;
    info = unwire(
      await abortable(
        options.signal,
        () => bridge.call((r) => r.load(first, hooks.onProgress, hooks.onEvent) as Promise<Wire<LoadInfo>>),
        // Veil's own worker is simply stopped (even mid-computation); the app's is asked to stop loading.
        () => (bridge.canRestart ? bridge.dispose() : void bridge.call((r) => r.abortLoad()).catch(() => {})),
      ),
    );
  } catch (err) {
    if (bridge.canRestart || !(err instanceof WorkerCrashedError)) bridge.dispose();
    throw err;
  }
  hooks.state.backend = info.backend;
  // After a restart the new worker reloads from the cache (a URL pack may be fetched again if the cache was memory-only).
  const reload: LoadRequest = { ...req, pack: "url" in req.pack ? req.pack : { cached: info.pack.cacheKey } };
  return client(
    info,
    workerOpt === true ? "worker" : "own-worker",
    restartingRunner(bridge, reload, options, hooks),
    () => bridge.dispose(),
    () => hooks.state.backend!,
  );
}

/** Runs a call on the worker, first starting a new one (and reloading the pack) if the last one died; one restart at a time. */
function restartingRunner(bridge: WorkerBridge, reload: LoadRequest, options: LoadVeilOptions, hooks: LoadHooks) {
  let restarting: Promise<void> | null = null;
  return async <T>(fn: (r: Remote<VeilEngine>) => Promise<Wire<T>>): Promise<Wire<T>> => {
    if (!bridge.alive) {
      restarting ??= (async () => {
        await bridge.start();
        const again = unwire(await bridge.call((r) => r.load(reload, undefined, hooks.onEvent) as Promise<Wire<LoadInfo>>));
        hooks.state.backend = again.backend;
        options.onEvent?.({ type: "worker-restarted", reason: "the previous worker stopped" });
      })().finally(() => (restarting = null));
      await restarting;
    }
    return bridge.call(fn);
  };
}

function client(
  info: LoadInfo,
  mode: LoadedVeil["mode"],
  run: <T>(fn: (r: Remote<VeilEngine>) => Promise<Wire<T>>) => Promise<Wire<T>>,
  dispose: () => void,
  backend: () => BackendReport,
): LoadedVeil {
  const call = async <T>(signal: AbortSignal | undefined, fn: (r: Remote<VeilEngine>) => Promise<Wire<T>>): Promise<T> =>
    unwire(
      await abortable(
        signal,
        () => run(fn),
        () => {},
      ),
    );
  return {
    get backend() {
      return backend();
    },
    pack: info.pack,
    cache: info.cache,
    timings: info.timings,
    mode,
    minEpsilon: (m) => {
      const v = info.minEpsilon[m];
      if (v === undefined) throw new InvalidOptionError(`Unknown mechanism ${JSON.stringify(String(m))}.`);
      return v;
    },
    perturb: async (text, { signal, ...o }) => unpackResult(text, await call(signal, (r) => r.perturb(text, o))),
    stats: (word, { signal, ...o }, so) => call(signal, (r) => r.stats(word, o, so ?? {})),
    neighbours: (word, k) => call(undefined, (r) => r.neighbours(word, k)),
    realizedPrivacy: (word, o, k) => call(undefined, (r) => r.realizedPrivacy(word, o, k)),
    attack: (o, a) => call(undefined, (r) => r.attack(o, a ?? {})),
    nearestWords: (points) => call(undefined, (r) => r.nearestWords(points)),
    neighbourTable: () => call(undefined, (r) => r.neighbourTable()),
    dispose,
  };
}

/** Rejects with the signal's reason as soon as it aborts (calling `onAbort`), else settles with `f()`. */
async function abortable<T>(signal: AbortSignal | undefined, f: () => Promise<T>, onAbort: () => void): Promise<T> {
  if (!signal) return f();
  signal.throwIfAborted();
  let off = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const h = () => {
      onAbort();
      reject(signal.reason ?? new DOMException("Aborted", "AbortError"));
    };
    signal.addEventListener("abort", h, { once: true });
    off = () => signal.removeEventListener("abort", h);
  });
  try {
    return await Promise.race([f(), aborted]);
  } finally {
    off();
  }
}

function baseUrl(): string {
  return (globalThis as { location?: { href: string } }).location?.href ?? "http://localhost/";
}

/** The SHA-256 a `{ url, sha256 }` pack pins, if any. */
function packSha256(pack: LoadVeilOptions["pack"]): string | undefined {
  return pack && typeof pack === "object" && "url" in pack ? pack.sha256 : undefined;
}

function packSpec(pack: LoadVeilOptions["pack"]): LoadRequest["pack"] {
  if (pack instanceof ArrayBuffer) return { bytes: pack };
  if (pack instanceof Uint8Array)
    return {
      bytes: pack.byteOffset === 0 && pack.byteLength === pack.buffer.byteLength && pack.buffer instanceof ArrayBuffer ? pack.buffer : pack.slice().buffer,
    };
  if (typeof pack === "string" || pack instanceof URL) return { url: new URL(pack, baseUrl()).href };
  if (pack && typeof pack === "object" && "url" in pack) return { url: new URL(pack.url, baseUrl()).href };
  throw new InvalidOptionError("pack must be a URL, { url, sha256 } (as @veil/pack-en-50k gives it) or the pack's bytes (ArrayBuffer or Uint8Array).");
}
