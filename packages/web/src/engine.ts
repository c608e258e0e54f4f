// The engine: everything that runs where the pack lives (in the worker, or in the
// page with `worker: false`). It downloads or reads the pack from the cache,
// verifies it, starts a backend, and answers calls. Every method returns a
// `Wire` result so errors keep their class across the worker boundary.
import {
  EmbeddingFormatError,
  MECHANISMS,
  MissingPackError,
  PACK_VERSIONS,
  Veil,
  readPack,
  readPackHeader,
  packByteLength,
  type BackendPreference,
  type BackendReport,
  type MechanismName,
  type MechanismOptions,
  type PerturbOptions,
  type PerturbResult,
  type RealizedPrivacy,
  type AttackOptions,
  type AttackResult,
  type Embedding,
  type WordStats,
} from "@veil/core";
import { transfer } from "comlink";
import { deleteEntry, readCachedPack, writeCachedPack, type CacheManifest, type PackValidator } from "./cache/pack-cache.js";
import { idbCacheStore, memoryCacheStore, type CacheStore } from "./cache/store.js";
import { PackFetchError, wire, type Wire } from "./errors.js";
import { packResult, type PackedResult } from "./packed-words.js";
import { throttleProgress, type LoadProgress, type VeilEvent } from "./progress.js";

export interface LoadRequest {
  /** An absolute URL, bytes (transferred), or the key of a pack cached earlier. */
  pack: { url: string } | { bytes: ArrayBuffer } | { cached: string };
  backend: BackendPreference;
  /** Where veil.wasm is, if not beside @veil/core's JS. */
  wasmUrl?: string;
  /** Use IndexedDB (default true). */
  cache: boolean;
  /** Ask the browser to keep Veil's storage under storage pressure (navigator.storage.persist()). */
  persist?: boolean;
  /** On a cache hit, ask the server (one conditional request) whether the pack at the URL changed. */
  revalidate?: boolean;
  /** Expected SHA-256 of the pack body (hex): a cached pack with another one is stale. */
  sha256?: string;
  /** Neighbour-table width to build when the pack has none. */
  neighbours?: number;
  /** WebGPU binding cap in bytes (tests force vocabulary slicing with it). */
  maxBindingBytes?: number;
}

/** The loaded pack: its size and figures, how it stores its vectors, where it came from this time. */
export interface PackInfo {
  n: number;
  d: number;
  K: number;
  dMin: number;
  dMax: number;
  sha256: string;
  bytes: number;
  /** How the pack stores its vectors (the values they mean are what every mechanism uses) and its neighbour ids. */
  stored: { vectorType: "f32" | "f16" | "int8"; idBytes: number; formatVersion: number };
  metadata: Record<string, unknown>;
  /** Where the pack came from this time. */
  source: "network" | "cache" | "bytes";
  /** The cache key, to reload it without the bytes (worker restart). */
  cacheKey: string;
}

/** Whether the pack is cached persistently (IndexedDB) or only in memory for this session, and why. */
export interface CacheStatus {
  /** False when IndexedDB refused and the pack is kept in memory for this session. */
  persistent: boolean;
  reason?: string;
  /**
   * With `persist: true`: whether the browser granted persistent storage, so it
   * will not evict the cached pack under storage pressure (false when it refused
   * or has no navigator.storage).
   */
  storagePersisted?: boolean;
}

/** What a load reports: the backend and why, the pack, the cache, each mechanism's smallest epsilon, and where the time went. */
export interface LoadInfo {
  backend: BackendReport;
  pack: PackInfo;
  cache: CacheStatus;
  minEpsilon: Record<MechanismName, number>;
  /** Milliseconds: obtaining the bytes (download or cache read), verifying them, storing them in the cache, starting the backend (and any table build). */
  timings: { obtain: number; verify: number; cacheWrite: number; backend: number; total: number };
  tableBuildSeconds: number;
}

const ABORTED = () => new DOMException("Loading the pack was aborted.", "AbortError");

export class VeilEngine {
  #veil: Veil | null = null;
  #load: AbortController | null = null;
  #events: ((e: VeilEvent) => void) | undefined;
  /** The session's memory store once IndexedDB has refused. */
  #memory: CacheStore | null = null;

  /** `openStore` opens the persistent cache (IndexedDB by default; tests inject failures). */
  constructor(private readonly openStore: () => CacheStore = idbCacheStore) {}

  /** Holds a Web Lock for as long as this realm lives; the page learns of the worker's death when it is released. */
  async hello(lockName: string): Promise<boolean> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return false;
    await new Promise<void>((granted) => {
      void locks.request(lockName, () => {
        granted();
        return new Promise<never>(() => {});
      });
    });
    return true;
  }

  abortLoad(): void {
    this.#load?.abort();
  }

  load(req: LoadRequest, onProgress?: (p: LoadProgress) => void, onEvent?: (e: VeilEvent) => void): Promise<Wire<LoadInfo>> {
    return wire(() => this.#loadImpl(req, onProgress, onEvent));
  }

  async #loadImpl(req: LoadRequest, onProgressRaw?: (p: LoadProgress) => void, onEvent?: (e: VeilEvent) => void): Promise<LoadInfo> {
    this.#load?.abort();
    const ctl = (this.#load = new AbortController());
    this.#events = onEvent;
    const t0 = performance.now();
    const run = this.#startRun(req, ctl.signal, onProgressRaw, onEvent);
    const key = "url" in req.pack ? req.pack.url : "cached" in req.pack ? req.pack.cached : null;
    // One tab at a time per pack (Web Locks): a second tab waits while the first downloads and caches
    // it, then reads it from IndexedDB instead of downloading it again.
    const got = await withPackLock(key, run.signal, () => obtainVerifiedPack(run, key));
    if (req.persist && run.cache.status.persistent) run.cache.status = { ...run.cache.status, storagePersisted: await requestPersistence() };
    const t2c = performance.now();
    const veil = await this.#startBackend(run, got);
    const t3 = performance.now();
    run.progress({ phase: "ready", loaded: 1, total: 1, fromCache: got.source === "cache" });
    const e = veil.embedding;
    return {
      backend: veil.backend,
      pack: {
        n: e.n,
        d: e.d,
        K: e.K,
        dMin: e.dMin,
        dMax: e.dMax,
        sha256: e.sha256,
        bytes: got.bytes.length,
        stored: e.stored ? { ...e.stored } : { vectorType: "f32", idBytes: 4, formatVersion: 1 },
        metadata: { ...e.metadata },
        source: got.source,
        cacheKey: got.cacheKey,
      },
      cache: run.cache.status,
      minEpsilon: Object.fromEntries(MECHANISMS.map((m) => [m, veil.minEpsilon(m)])) as Record<MechanismName, number>,
      timings: { obtain: got.t1 - t0, verify: got.t2 - got.t1, cacheWrite: t2c - got.t2, backend: t3 - t2c, total: t3 - t0 },
      tableBuildSeconds: veil.tableBuildSeconds,
    };
  }

  /** What the steps of one load share: abort, throttled progress, events, and the cache in use. */
  #startRun(req: LoadRequest, signal: AbortSignal, onProgressRaw?: (p: LoadProgress) => void, onEvent?: (e: VeilEvent) => void): LoadRun {
    const emit = (e: VeilEvent) => onEvent?.(e);
    const memory = { get: () => this.#memory, make: () => (this.#memory ??= memoryCacheStore()) };
    return {
      req,
      signal,
      check: () => {
        if (signal.aborted) throw ABORTED();
      },
      progress: onProgressRaw ? throttleProgress(onProgressRaw) : () => {},
      emit,
      cache: new CacheSession(req.cache, this.openStore, memory, emit),
    };
  }

  /** Step 3: the backend (and the neighbour table, if the pack has none); says so if WebAssembly would not load. */
  async #startBackend(run: LoadRun, got: ObtainedPack): Promise<Veil> {
    const { req } = run;
    this.#veil?.dispose();
    this.#veil = null;
    const veil = await Veil.create({
      pack: got.embedding,
      backend: req.backend,
      ...(req.wasmUrl && { wasmUrl: req.wasmUrl }),
      ...(req.neighbours && { neighbours: req.neighbours }),
      onIndexProgress: (done, total) => run.progress({ phase: "index", loaded: done, total, fromCache: got.source === "cache" }),
      webgpu: {
        ...(req.maxBindingBytes && { maxBindingBytes: req.maxBindingBytes }),
        onLost: (reason) => this.#events?.({ type: "backend-fallback", from: "webgpu", to: "wasm", reason }),
      },
    });
    run.check();
    this.#veil = veil;
    const wasmFailure = veil.backend.failures.wasm;
    if (veil.backend.name === "js" && wasmFailure) run.emit({ type: "backend-fallback", from: "wasm", to: "js", reason: wasmFailure });
    return veil;
  }

  #require(): Veil {
    if (!this.#veil) throw new MissingPackError("No pack is loaded in this worker.");
    return this.#veil;
  }

  /** The result with its words packed into transferred columns (packed-words.ts); the page unpacks it. */
  async perturb(text: string, options: PerturbOptions): Promise<Wire<PackedResult>> {
    let buffers: ArrayBuffer[] = [];
    const w = await wire(async () => {
      const { packed, transfer } = packResult(await this.#require().perturbAsync(text, options));
      buffers = transfer;
      return packed;
    });
    return transfer(w, buffers);
  }

  stats(word: string, options: MechanismOptions, o: { samples?: number; top?: number } = {}): Promise<Wire<WordStats>> {
    return wire(() => this.#require().stats(word, options, o));
  }

  realizedPrivacy(word: string, options: MechanismOptions, k?: number): Promise<Wire<({ word: string; distance: number } & RealizedPrivacy)[] | null>> {
    return wire(() => this.#require().realizedPrivacy(word, options, k));
  }

  attack(options: MechanismOptions, attack: AttackOptions = {}): Promise<Wire<AttackResult>> {
    return wire(() => this.#require().attack(options, attack));
  }

  nearestWords(points: Float64Array | Float32Array, count?: number): Promise<Wire<Int32Array>> {
    return wire(() => this.#require().nearestWords(points, count));
  }

  neighbours(word: string, k?: number): Promise<Wire<{ word: string; distance: number }[]>> {
    return wire(() => this.#require().neighbours(word, k));
  }

  /** The n*K neighbour table (a copy, transferred rather than cloned across the boundary). */
  async neighbourTable(): Promise<Wire<Int32Array>> {
    const w = await wire(() => Int32Array.from(this.#require().embedding.neighbours ?? []));
    return w.ok ? transfer(w, [w.value.buffer]) : w;
  }

  dispose(): void {
    this.#load?.abort();
    this.#veil?.dispose();
    this.#veil = null;
  }
}

function describe(err: unknown): string {
  if (err instanceof DOMException || err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** What the steps of one load share. */
interface LoadRun {
  req: LoadRequest;
  signal: AbortSignal;
  /** Throws AbortError once the load was aborted. */
  check(): void;
  progress(p: LoadProgress): void;
  emit(e: VeilEvent): void;
  cache: CacheSession;
}

/** The pack as verified, how it came, and when each step ended. */
interface ObtainedPack {
  bytes: Uint8Array;
  embedding: Embedding;
  source: PackInfo["source"];
  cacheKey: string;
  t1: number;
  t2: number;
}

/**
 * The cache for one load: IndexedDB, or the session's memory store once
 * IndexedDB refused (quota, private window, none at all), with a
 * `cache-fallback` event the first time.
 */
class CacheSession {
  status: CacheStatus;
  store: CacheStore | null = null;

  constructor(
    enabled: boolean,
    open: () => CacheStore,
    private readonly memory: { get(): CacheStore | null; make(): CacheStore },
    private readonly emit: (e: VeilEvent) => void,
  ) {
    this.status = { persistent: enabled };
    if (!enabled) return;
    const earlier = memory.get();
    if (earlier) {
      this.store = earlier;
      this.status = { persistent: false, reason: "the persistent cache refused earlier in this session" };
      return;
    }
    try {
      this.store = open();
    } catch (err) {
      this.fallBack(describe(err));
    }
  }

  /** Switches to the session's memory store, which cannot refuse. */
  fallBack(why: string): void {
    if (!this.status.persistent && this.status.reason) return;
    this.status = { persistent: false, reason: why };
    this.store = this.memory.make();
    this.emit({ type: "cache-fallback", reason: why });
  }
}

/** Steps 1 and 2: the pack from the cache (revalidated if asked) or the network, verified, and cached. */
async function obtainVerifiedPack(run: LoadRun, key: string | null): Promise<ObtainedPack> {
  const validator: PackValidator = {}; // the downloaded file's ETag and Last-Modified, recorded in the cache
  const cached = await readFromCache(run, key);
  run.check();
  let bytes: Uint8Array;
  let source: PackInfo["source"];
  const fresh = cached ? await revalidated(run, cached.manifest, validator) : null;
  if (cached && !fresh) {
    ((bytes = cached.bytes), (source = "cache"));
    run.progress({ phase: "download", loaded: bytes.length, total: bytes.length, fromCache: true });
  } else ({ bytes, source } = fresh ? { bytes: fresh, source: "network" as const } : await fetchPack(run, validator));
  const t1 = performance.now();
  const orderedTable = source === "cache" ? cached?.orderedTable : undefined;
  const verified = await verifyPack(run, bytes, source, key, cached?.manifest, validator, orderedTable);
  const t2 = performance.now();
  const cacheKey = key ?? `sha256:${verified.embedding.sha256}`;
  if (verified.source !== "cache") await storeInCache(run, cacheKey, verified.bytes, verified.embedding, validator);
  return { ...verified, cacheKey, t1, t2 };
}

/** The cached copy, if there is a good one; a stale or corrupt entry is reported (`cache-dropped`). */
async function readFromCache(run: LoadRun, key: string | null): Promise<{ bytes: Uint8Array; manifest: CacheManifest; orderedTable?: Int32Array } | null> {
  const { store } = run.cache;
  if (!store || !key) return null;
  try {
    const r = await readCachedPack(store, key, { packVersions: PACK_VERSIONS, ...(run.req.sha256 && { sha256: run.req.sha256 }) });
    if (r.hit) return r;
    if (r.why !== "absent") run.emit({ type: "cache-dropped", why: r.why, detail: r.detail ?? "" });
  } catch (err) {
    run.cache.fallBack(describe(err));
  }
  return null;
}

/**
 * With `revalidate`: a pack replaced on the server at the same URL is noticed
 * by one conditional request (304 if the cached copy is current). Returns the
 * new bytes, or null when the cached copy stands.
 */
async function revalidated(run: LoadRun, manifest: CacheManifest, validator: PackValidator): Promise<Uint8Array | null> {
  const { req } = run;
  if (!req.revalidate || !manifest.validator || !("url" in req.pack)) return null;
  const fresh = await download(req.pack.url, run.signal, downloadProgress(run), validator, manifest.validator);
  if (!fresh) {
    Object.assign(validator, manifest.validator);
    return null;
  }
  run.emit({ type: "cache-dropped", why: "stale", detail: "the server's copy changed since it was cached (ETag or Last-Modified)" });
  return fresh;
}

/** The pack as the request gives it: its bytes, or a download. */
async function fetchPack(run: LoadRun, validator: PackValidator): Promise<{ bytes: Uint8Array; source: PackInfo["source"] }> {
  const { pack } = run.req;
  if ("bytes" in pack) return { bytes: new Uint8Array(pack.bytes), source: "bytes" };
  if ("cached" in pack) throw new MissingPackError("The pack given as bytes is no longer cached (the cache was cleared or kept in memory only).");
  return { bytes: (await download(pack.url, run.signal, downloadProgress(run), validator))!, source: "network" };
}

const downloadProgress = (run: LoadRun) => (loaded: number, total: number) => run.progress({ phase: "download", loaded, total, fromCache: false });

/** Header, sizes, SHA-256, word list, table, and the pinned hash; a bad cached copy is dropped and fetched again. */
async function verifyPack(
  run: LoadRun,
  bytes: Uint8Array,
  source: PackInfo["source"],
  key: string | null,
  manifest: CacheManifest | undefined,
  validator: PackValidator,
  orderedTable?: Int32Array,
): Promise<{ bytes: Uint8Array; embedding: Embedding; source: PackInfo["source"] }> {
  const { req } = run;
  run.progress({ phase: "verify", loaded: 0, total: bytes.length, fromCache: source === "cache" });
  let embedding: Embedding;
  try {
    // Downloaded or cached bytes are the engine's own and never change afterwards; bytes the app gave may be its own buffer.
    embedding = await readPack(bytes, { adopt: source !== "bytes", ...(orderedTable && { orderedTable }) });
  } catch (err) {
    const store = run.cache.store;
    if (source !== "cache" || !(err instanceof EmbeddingFormatError) || !store || !key) throw err;
    await deleteEntry(store, key, manifest);
    run.emit({ type: "cache-dropped", why: "corrupt", detail: err.message });
    ({ bytes, source } = await fetchPack(run, validator));
    embedding = await readPack(bytes, { adopt: source !== "bytes" });
  }
  run.check();
  if (req.sha256 && embedding.sha256 !== req.sha256.toLowerCase())
    throw new EmbeddingFormatError("unexpected-pack", `its SHA-256 is ${embedding.sha256}, but ${req.sha256} was expected`);
  run.progress({ phase: "verify", loaded: bytes.length, total: bytes.length, fromCache: source === "cache" });
  return { bytes, embedding, source };
}

/** Writes the verified pack to the cache; if IndexedDB refuses, to the session's memory store instead. */
async function storeInCache(run: LoadRun, cacheKey: string, bytes: Uint8Array, embedding: Embedding, validator: PackValidator): Promise<void> {
  if (!run.cache.store) return;
  const packVersion = embedding.stored?.formatVersion ?? 1; // readPack accepted it, so it is one of PACK_VERSIONS
  // A set-coded table is kept in order beside the pack: the next start need not order its rows again.
  const orderedTable = embedding.stored?.tableCoding === "sets" && embedding.neighbours ? embedding.neighbours : undefined;
  const put = (s: CacheStore) =>
    writeCachedPack(s, cacheKey, bytes, { sha256: embedding.sha256, packVersion, validator, ...(orderedTable && { orderedTable }) });
  try {
    await put(run.cache.store);
  } catch (err) {
    run.cache.fallBack(describe(err));
    await put(run.cache.store);
  }
}

/**
 * fetch with progress from the body stream. The pack's size comes from its own
 * header as soon as the first 128 bytes are in: Content-Length is the
 * compressed size when a server or CDN sends the pack precompressed
 * (Content-Encoding gzip or br) and is absent with on-the-fly compression, so
 * it only serves until then. The HTTP cache is bypassed: Veil keeps its own.
 * A download that breaks off is tried once more: from where it stopped when the
 * server takes byte ranges for this same file (If-Range), else from the start.
 */
async function download(
  url: string,
  signal: AbortSignal,
  onBytes: (loaded: number, total: number) => void,
  seen: PackValidator = {},
  ifChangedFrom?: PackValidator,
): Promise<Uint8Array | null> {
  const conditional: Record<string, string> = {
    ...(ifChangedFrom?.etag && { "if-none-match": ifChangedFrom.etag }),
    ...(ifChangedFrom?.lastModified && { "if-modified-since": ifChangedFrom.lastModified }),
  };
  let res = await request(url, signal, conditional);
  if (res.status === 304) return null; // unchanged: the cached copy is current
  Object.assign(seen, validatorOf(res));
  const encoded = !["", "identity"].includes((res.headers.get("content-encoding") ?? "").trim().toLowerCase());
  const s: Body = { buf: new Uint8Array(0), loaded: 0, total: encoded ? 0 : Number(res.headers.get("content-length") ?? 0) || 0, fromHeader: 0 };
  s.buf = new Uint8Array(s.total || 1 << 20);
  onBytes(0, s.total);
  for (let attempt = 0; ; attempt++) {
    try {
      await readBody(url, res, s, signal, onBytes);
      if (s.total && s.loaded < s.total && attempt === 0) throw new PackFetchError(url, res.status, `the download ended after ${s.loaded} bytes`);
      break; // complete, or short again on the second try: the check below names the sizes
    } catch (err) {
      if (signal.aborted || attempt > 0 || !(err instanceof PackFetchError) || err.status === 0) throw err;
      res = await resume(url, res, s, encoded, signal);
    }
  }
  if (s.loaded < PACK_HEADER_BYTES) packSizeFromHeader(url, res, s.buf.subarray(0, s.loaded));
  if (s.total && s.loaded !== s.total)
    throw new PackFetchError(url, res.status, `got ${s.loaded} of ${s.total} bytes${s.fromHeader ? " (the size its header gives)" : ""}`);
  return s.loaded === s.buf.length ? s.buf : s.buf.slice(0, s.loaded);
}

/** A download in progress: the bytes so far and the size expected (0 while unknown). */
interface Body {
  buf: Uint8Array<ArrayBuffer>;
  loaded: number;
  total: number;
  /** The size the pack's header gives, once read. */
  fromHeader: number;
}

async function request(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal, cache: "no-store", headers });
  } catch (err) {
    if (signal.aborted) throw ABORTED();
    throw new PackFetchError(url, 0, err instanceof Error ? err.message : String(err), err);
  }
  if (!res.ok && res.status !== 304) throw new PackFetchError(url, res.status, `HTTP ${res.status}`);
  return res;
}

/** The response's ETag and Last-Modified, as the cache records them. */
function validatorOf(res: Response): PackValidator {
  const etag = res.headers.get("etag");
  const lastModified = res.headers.get("last-modified");
  return { ...(etag && { etag }), ...(lastModified && { lastModified }) };
}

/** Appends the response's body to `s`, reporting progress; a body that breaks off is a PackFetchError. */
async function readBody(url: string, res: Response, s: Body, signal: AbortSignal, onBytes: (loaded: number, total: number) => void): Promise<void> {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    s.buf = ensureCapacity(s.buf, s.loaded, s.loaded + b.length);
    s.buf.set(b, s.loaded);
    s.loaded += b.length;
    onBytes(s.loaded, s.total || s.loaded);
    return;
  }
  const reader = res.body.getReader();
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (err) {
      if (signal.aborted) throw ABORTED();
      throw new PackFetchError(url, res.status, `the download broke off after ${s.loaded} bytes`, err);
    }
    if (r.done) return;
    s.buf = ensureCapacity(s.buf, s.loaded, s.loaded + r.value.length);
    s.buf.set(r.value, s.loaded);
    s.loaded += r.value.length;
    if (!s.fromHeader && s.loaded >= PACK_HEADER_BYTES) {
      s.total = s.fromHeader = packSizeFromHeader(url, res, s.buf.subarray(0, s.loaded));
      s.buf = ensureCapacity(s.buf, s.loaded, s.total);
    }
    onBytes(s.loaded, s.total);
  }
}

/**
 * The second try after a broken download: a range request for the rest when the
 * first answer took ranges and names its version (ETag or Last-Modified, sent
 * as If-Range so a replaced file comes whole instead); otherwise from the start.
 */
async function resume(url: string, first: Response, s: Body, encoded: boolean, signal: AbortSignal): Promise<Response> {
  const validator = first.headers.get("etag") ?? first.headers.get("last-modified");
  const ranged = !encoded && s.loaded > 0 && first.headers.get("accept-ranges") === "bytes" && validator !== null;
  const res = await request(url, signal, ranged ? { range: `bytes=${s.loaded}-`, "if-range": validator! } : {});
  if (res.status !== 206) ((s.loaded = 0), (s.fromHeader = 0)); // the whole file again
  return res;
}

/**
 * Runs `fn` holding the Web Lock for this pack, where the platform has Web Locks
 * (browsers and their workers); elsewhere, or for a pack given as bytes, runs it directly.
 */
function withPackLock<T>(key: string | null, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!key || !locks) return fn();
  return locks.request(`veil-pack:${key}`, { signal }, fn) as Promise<T>;
}

/** navigator.storage.persist(), where there is one; never throws. */
async function requestPersistence(): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  try {
    return (await storage?.persist?.()) === true;
  } catch {
    return false;
  }
}

/** A pack's fixed header: enough to know its size. */
const PACK_HEADER_BYTES = 128;

/** A buffer of at least `needed` bytes holding the first `used` of `buf`. */
function ensureCapacity(buf: Uint8Array<ArrayBuffer>, used: number, needed: number): Uint8Array<ArrayBuffer> {
  if (needed <= buf.length) return buf;
  const bigger = new Uint8Array(Math.max(needed, Math.min(buf.length * 2, needed + (64 << 20))));
  bigger.set(buf.subarray(0, used));
  return bigger;
}

/**
 * The pack's total size from its header. An answer that is not a pack says
 * what it is: a dev server's HTML fallback for a wrong URL is the usual one.
 */
function packSizeFromHeader(url: string, res: Response, head: Uint8Array): number {
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/html" || type === "application/json" || type.startsWith("text/")) {
    const looksLikePack = head.length >= 8 && new TextDecoder().decode(head.subarray(0, 8)) === "VEILPACK";
    if (!looksLikePack)
      throw new PackFetchError(url, res.status, `got ${type}, not a Veil pack: check the URL (a dev server answers unknown paths with its index.html)`);
  }
  if (head.length < PACK_HEADER_BYTES) return 0;
  return packByteLength(readPackHeader(head));
}
