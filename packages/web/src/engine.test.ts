// The engine and loadVeil in this thread (Node): the same results as the core,
// errors that keep their class, and the memory fallback when IndexedDB is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidEpsilonError, EmbeddingFormatError, UnknownWordError, createVeil, writePack } from "@veil/core";
import { useSeededRandom } from "@veil/core/testing";
import { loadVeil } from "./load-veil.js";
import { fromWire, toWire, WorkerCrashedError } from "./errors.js";
import type { LoadProgress, VeilEvent } from "./progress.js";
import { throttleProgress } from "./progress.js";
import { createServer, type Server } from "node:http";
import { gzipSync, brotliCompressSync } from "node:zlib";
import { once } from "node:events";
import { spawnSync } from "node:child_process";

async function toyPack(n = 300, d = 8, table = true): Promise<Uint8Array> {
  const vectors = new Float32Array(n * d);
  for (let i = 0; i < vectors.length; i++) vectors[i] = Math.sin(i * 12.9898) * 3;
  const words = Array.from({ length: n }, (_, i) => `w${i}`);
  const raw = await writePack({ words, d, vectors, neighbours: null, K: 0, dMin: 0, dMax: 0 });
  if (!table) return raw;
  const v = await createVeil({ pack: raw, backend: "js", neighbours: 16 });
  const e = v.embedding;
  return writePack({ words, d, vectors, neighbours: e.neighbours, K: e.K, dMin: e.dMin, dMax: e.dMax });
}

test("in-thread loadVeil: progress phases, memory fallback event, results as the core's", async () => {
  const bytes = await toyPack();
  const phases: LoadProgress[] = [];
  const events: VeilEvent[] = [];
  const veil = await loadVeil({ pack: bytes.slice(), worker: false, backend: "wasm", onProgress: (p) => phases.push(p), onEvent: (e) => events.push(e) });
  assert.equal(veil.mode, "in-thread");
  assert.equal(veil.backend.name, "wasm");
  assert.deepEqual([...new Set(phases.map((p) => p.phase))], ["verify", "ready"]);
  assert.equal(veil.cache.persistent, false, "Node has no IndexedDB");
  assert.equal(veil.cache.storagePersisted, undefined, "not asked for");
  assert.deepEqual(
    events.map((e) => e.type),
    ["cache-fallback"],
  );
  assert.equal(veil.pack.n, 300);
  const r = await veil.perturb("w1 w2 unknownword", { mechanism: "gumbel", epsilon: veil.minEpsilon("gumbel") * 2 });
  assert.equal(r.words.length, 3);
  assert.equal(r.words[2]!.output, "***");
  const direct = await createVeil({ pack: bytes, backend: "wasm" });
  assert.deepEqual(await veil.neighbours("w5", 5), direct.neighbours("w5", 5));
  await assert.rejects(veil.perturb("w1", { mechanism: "laplace", epsilon: -1 }), InvalidEpsilonError);
  await assert.rejects(veil.stats("nope", { mechanism: "tem", epsilon: 1 }), UnknownWordError);
  veil.dispose();
});

test("a table-less pack gets its table at load, reported in the index phase", async () => {
  const phases: string[] = [];
  const veil = await loadVeil({ pack: await toyPack(200, 6, false), worker: false, backend: "wasm", neighbours: 12, onProgress: (p) => phases.push(p.phase) });
  assert.equal(veil.pack.K, 12);
  assert.ok(phases.includes("index"));
  assert.equal((await veil.neighbourTable()).length, 200 * 12);
});

test("a corrupt pack is a typed error; so is an aborted load", async () => {
  const bad = await toyPack();
  bad[bad.length - 1]! ^= 1;
  await assert.rejects(loadVeil({ pack: bad, worker: false }), EmbeddingFormatError);
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(loadVeil({ pack: await toyPack(), worker: false, signal: ctl.signal }), { name: "AbortError" });
});

test("errors keep class, code and fields across the wire", () => {
  const e = fromWire(toWire(new WorkerCrashedError("x")));
  assert.ok(e instanceof WorkerCrashedError);
  assert.equal((e as WorkerCrashedError).code, "WORKER_CRASHED");
  const f = fromWire(toWire(new EmbeddingFormatError("truncated", "short")));
  assert.ok(f instanceof EmbeddingFormatError);
  assert.equal((f as EmbeddingFormatError).reason, "truncated");
});

test("progress is throttled but keeps phase changes and completions", () => {
  const got: LoadProgress[] = [];
  const t = throttleProgress((p) => got.push(p), 1e9);
  for (let i = 0; i <= 1000; i++) t({ phase: "download", loaded: i, total: 1000, fromCache: false });
  t({ phase: "verify", loaded: 0, total: 1, fromCache: false });
  assert.deepEqual(
    got.map((p) => `${p.phase}:${p.loaded}`),
    ["download:0", "download:1000", "verify:0"],
  );
});

test("seeded results match the core exactly (same engine, same stream)", async () => {
  const bytes = await toyPack();
  const a = await createVeil({ pack: bytes, backend: "wasm" });
  const b = await createVeil({ pack: bytes, backend: "wasm" });
  useSeededRandom(a, 5);
  useSeededRandom(b, 5);
  const o = { mechanism: "laplace" as const, epsilon: 3 };
  assert.equal((await b.perturbAsync("w1 w2 w3", o)).text, a.perturb("w1 w2 w3", o).text);
});

test("a quota or security error from IndexedDB falls back to memory for the session and says so", async () => {
  const { VeilEngine } = await import("./engine.js");
  const { memoryCacheStore } = await import("./cache/store.js");
  const { unwire } = await import("./errors.js");
  const bytes = await toyPack();
  for (const name of ["QuotaExceededError", "SecurityError"]) {
    const failing = { ...memoryCacheStore(), setMany: async () => Promise.reject(new DOMException("refused", name)) };
    const events: VeilEvent[] = [];
    const engine = new VeilEngine(() => failing);
    const info = unwire(await engine.load({ pack: { bytes: bytes.slice().buffer }, backend: "wasm", cache: true }, undefined, (e) => events.push(e)));
    assert.equal(info.cache.persistent, false);
    assert.match(info.cache.reason ?? "", new RegExp(name));
    assert.deepEqual(
      events.map((e) => e.type),
      ["cache-fallback"],
    );
    // The session copy serves a reload by key (as after a worker restart).
    const again = unwire(await engine.load({ pack: { cached: info.pack.cacheKey }, backend: "wasm", cache: true }));
    assert.equal(again.pack.source, "cache");
    engine.dispose();
  }
});

test("importing @veil/web touches no browser global (safe in server-side rendering)", () => {
  // A fresh Node process with a trap on each browser global, then the import: every global read is recorded.
  const probe = `
    const touched = [];
    for (const name of ["window", "document", "navigator", "indexedDB", "Worker", "location", "localStorage", "self"])
      Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); return undefined; } });
    const mod = await import(${JSON.stringify(new URL("./index.js", import.meta.url).href)});
    console.log(JSON.stringify({ touched, loadVeil: typeof mod.loadVeil }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { touched: [], loadVeil: "function" });
});

/** A real HTTP server on 127.0.0.1 answering every path with `answer`. */
async function serving(answer: (res: import("node:http").ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => answer(res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/pack.veilpack`, server };
}

test("a pack served precompressed (gzip, br, compressed Content-Length) or compressed on the fly loads, with exact progress from its header", async () => {
  const bytes = await toyPack();
  const cases: [string, (res: import("node:http").ServerResponse) => void][] = [
    [
      "gzip_static",
      (res) =>
        res
          .writeHead(200, { "content-type": "application/octet-stream", "content-encoding": "gzip", "content-length": gzipSync(bytes).length })
          .end(gzipSync(bytes)),
    ],
    [
      "brotli",
      (res) =>
        res
          .writeHead(200, { "content-type": "application/octet-stream", "content-encoding": "br", "content-length": brotliCompressSync(bytes).length })
          .end(brotliCompressSync(bytes)),
    ],
    ["on the fly", (res) => (res.writeHead(200, { "content-encoding": "gzip", "transfer-encoding": "chunked" }), res.end(gzipSync(bytes)))],
  ];
  for (const [name, answer] of cases) {
    const { url, server } = await serving(answer);
    try {
      const progress: LoadProgress[] = [];
      const veil = await loadVeil({ pack: url, worker: false, backend: "js", onProgress: (p) => progress.push(p) });
      assert.equal(veil.pack.n, 300, name);
      const last = progress.filter((p) => p.phase === "download").at(-1)!;
      assert.deepEqual([last.loaded, last.total], [bytes.length, bytes.length], `${name}: progress ends at the pack's size`);
      veil.dispose();
    } finally {
      server.close();
    }
  }
});

test("an HTML answer (a dev server's fallback for a wrong URL) says so; a short body is named with the header's size", async () => {
  const html = await serving((res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>app</title>"));
  try {
    await assert.rejects(loadVeil({ pack: html.url, worker: false }), /got text\/html, not a Veil pack/);
  } finally {
    html.server.close();
  }
  const bytes = await toyPack();
  const cut = await serving((res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes.subarray(0, bytes.length - 100)));
  try {
    await assert.rejects(
      loadVeil({ pack: cut.url, worker: false }),
      new RegExp(`got ${bytes.length - 100} of ${bytes.length} bytes \\(the size its header gives\\)`),
    );
  } finally {
    cut.server.close();
  }
});

test("a veil.wasm that will not load falls back to plain TypeScript and says so with a backend-fallback event", async () => {
  const events: VeilEvent[] = [];
  const missing = new URL("file:///nonexistent-veil-test-dir/veil.wasm");
  const veil = await loadVeil({ pack: await toyPack(), worker: false, wasmUrl: missing, onEvent: (e) => events.push(e) });
  assert.equal(veil.backend.name, "js");
  const fallback = events.find((e) => e.type === "backend-fallback");
  assert.ok(
    fallback && fallback.type === "backend-fallback" && fallback.from === "wasm" && fallback.to === "js" && fallback.reason.length > 0,
    JSON.stringify(events),
  );
  veil.dispose();
  const ok: VeilEvent[] = [];
  (await loadVeil({ pack: await toyPack(), worker: false, onEvent: (e) => ok.push(e) })).dispose();
  assert.ok(!ok.some((e) => e.type === "backend-fallback"), "no event when WebAssembly runs");
});

test("a download that breaks off is resumed with a byte range (If-Range), or downloaded again where ranges are not offered", async () => {
  const bytes = await toyPack();
  for (const ranges of [true, false]) {
    const seen: { range?: string; ifRange?: string }[] = [];
    const { url, server } = await serving((res) => {
      const req = (res as unknown as { req: import("node:http").IncomingMessage }).req;
      seen.push({ ...(req.headers.range && { range: req.headers.range }), ...(req.headers["if-range"] && { ifRange: String(req.headers["if-range"]) }) });
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      if (ranges && m) {
        const from = Number(m[1]);
        return res
          .writeHead(206, { "content-length": bytes.length - from, "content-range": `bytes ${from}-${bytes.length - 1}/${bytes.length}` })
          .end(bytes.subarray(from));
      }
      res.writeHead(200, { "content-length": bytes.length, ...(ranges && { "accept-ranges": "bytes", etag: '"v1"' }) });
      if (seen.length > 1) return res.end(bytes);
      res.write(bytes.subarray(0, 1000), () => res.socket!.destroy()); // the first answer breaks off after 1,000 bytes
    });
    try {
      const veil = await loadVeil({ pack: url, worker: false, backend: "js" });
      assert.equal(veil.pack.n, 300);
      assert.equal(seen.length, 2, "one retry");
      assert.deepEqual(
        seen[1],
        ranges ? { range: "bytes=1000-", ifRange: '"v1"' } : {},
        ranges ? "resumed where it stopped" : "downloaded again from the start",
      );
      veil.dispose();
    } finally {
      server.close();
    }
  }
});

test("revalidate: a cached pack is checked with one conditional request; a pack replaced on the server replaces it", async () => {
  const { VeilEngine } = await import("./engine.js");
  const { memoryCacheStore } = await import("./cache/store.js");
  const { unwire } = await import("./errors.js");
  const packs = { v1: await toyPack(300), v2: await toyPack(250) };
  let current: "v1" | "v2" = "v1";
  const seen: (string | undefined)[] = [];
  const { url, server } = await serving((res) => {
    const req = (res as unknown as { req: import("node:http").IncomingMessage }).req;
    seen.push(req.headers["if-none-match"]);
    if (req.headers["if-none-match"] === `"${current}"`) return res.writeHead(304).end();
    res.writeHead(200, { etag: `"${current}"`, "content-length": packs[current].length }).end(packs[current]);
  });
  const store = memoryCacheStore();
  const engine = new VeilEngine(() => store);
  const load = async (revalidate: boolean) => {
    const events: VeilEvent[] = [];
    const info = unwire(await engine.load({ pack: { url }, backend: "js", cache: true, revalidate }, undefined, (e) => events.push(e)));
    return { source: info.pack.source, n: info.pack.n, events: events.map((e) => e.type) };
  };
  try {
    assert.deepEqual(await load(true), { source: "network", n: 300, events: [] });
    assert.deepEqual(await load(true), { source: "cache", n: 300, events: [] }, "304: the cached copy is current");
    current = "v2";
    assert.deepEqual(await load(false), { source: "cache", n: 300, events: [] }, "without revalidate: no request");
    assert.deepEqual(await load(true), { source: "network", n: 250, events: ["cache-dropped"] }, "the new version replaces the cached one");
    assert.deepEqual(await load(true), { source: "cache", n: 250, events: [] });
    assert.deepEqual(seen, [undefined, '"v1"', '"v1"', '"v2"']);
  } finally {
    engine.dispose();
    server.close();
  }
});

test("every error class the core exports can be rebuilt after crossing the worker", async () => {
  const core = await import("@veil/core");
  const { KNOWN } = await import("./errors.js");
  const classes = Object.entries(core).filter(([, v]) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof Error);
  assert.ok(classes.length >= 14);
  for (const [name, cls] of classes) assert.equal(KNOWN[name], cls, `${name} is missing from ERROR_CLASSES`);
});

test("loadVeil takes { url, sha256 } as @veil/pack-en-50k gives it: the hash is pinned", async () => {
  const bytes = await toyPack();
  const { url, server } = await serving((res) => res.writeHead(200, { "content-length": bytes.length }).end(bytes));
  try {
    const good = await loadVeil({ pack: { url, sha256: (await createVeil({ pack: bytes, backend: "js" })).embedding.sha256 }, worker: false, backend: "js" });
    assert.equal(good.pack.n, 300);
    good.dispose();
    await assert.rejects(loadVeil({ pack: { url, sha256: "0".repeat(64) }, worker: false, backend: "js" }), EmbeddingFormatError);
  } finally {
    server.close();
  }
});
