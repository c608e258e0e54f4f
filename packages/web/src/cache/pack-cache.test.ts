import { test } from "node:test";
import assert from "node:assert/strict";
import { CACHE_FORMAT, clearStore, listManifests, readCachedPack, writeCachedPack } from "./pack-cache.js";
import { memoryCacheStore } from "./store.js";

const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

test("a pack round-trips through one Blob and a manifest", async () => {
  const store = memoryCacheStore();
  const b = bytesOf(3 * 1024 * 1024 + 12345);
  const m = await writeCachedPack(store, "https://x/p.veilpack", b, { sha256: "ab", packVersion: 1 });
  assert.equal(m.cacheFormat, CACHE_FORMAT);
  assert.equal(m.bytes, b.length);
  const [body] = await store.getMany([["body", "https://x/p.veilpack"]]);
  assert.ok(body instanceof Blob, "the body is stored as a Blob (a file in Chromium's IndexedDB)");
  const r = await readCachedPack(store, "https://x/p.veilpack", { packVersions: [1] });
  assert.ok(r.hit);
  assert.deepEqual(r.bytes, b);
  assert.deepEqual(
    (await listManifests(store)).map((x) => x.key),
    ["https://x/p.veilpack"],
  );
});

test("a missing or short body is corrupt: the entry is deleted", async () => {
  for (const body of [undefined, new Blob([new Uint8Array(3)]), new ArrayBuffer(10)]) {
    const store = memoryCacheStore();
    await writeCachedPack(store, "k", bytesOf(10), { sha256: "ab", packVersion: 1 });
    if (body === undefined) await store.delMany([["body", "k"]]);
    else await store.setMany([[["body", "k"], body]]);
    const r = await readCachedPack(store, "k", { packVersions: [1] });
    assert.equal(!r.hit && r.why, "corrupt");
    assert.match(!r.hit ? (r.detail ?? "") : "", body instanceof Blob ? /3 bytes, expected 10/ : /missing/);
    assert.deepEqual(await store.keys(), []);
  }
});

test("another cache format, pack version or expected SHA-256 is stale: the entry is deleted", async () => {
  for (const [expect, tweak] of [
    [{ packVersions: [2] }, null],
    [{ packVersions: [1], sha256: "CD" }, null],
    [{ packVersions: [1] }, { cacheFormat: CACHE_FORMAT + 1 }],
  ] as const) {
    const store = memoryCacheStore();
    const m = await writeCachedPack(store, "k", bytesOf(100), { sha256: "ab", packVersion: 1 });
    if (tweak) await store.setMany([[["manifest", "k"], { ...m, ...tweak }]]);
    const r = await readCachedPack(store, "k", expect);
    assert.equal(!r.hit && r.why, "stale", JSON.stringify(expect));
    assert.deepEqual(await store.keys(), []);
  }
  const store = memoryCacheStore();
  await writeCachedPack(store, "k", bytesOf(100), { sha256: "ab", packVersion: 1 });
  assert.ok((await readCachedPack(store, "k", { packVersions: [1], sha256: "AB" })).hit, "hex case does not matter");
});

test("an entry of cache format 1 (4 MB chunks) is stale, and its chunks are deleted with it", async () => {
  const store = memoryCacheStore();
  const old = { cacheFormat: 1, key: "k", packVersion: 1, sha256: "ab", bytes: 10, chunkBytes: 4 << 20, chunks: 2, storedAt: "2026-01-01T00:00:00Z" };
  await store.setMany([
    [["manifest", "k"], old],
    [["chunk", "k", 0], new ArrayBuffer(5)],
    [["chunk", "k", 1], new ArrayBuffer(5)],
  ]);
  const r = await readCachedPack(store, "k", { packVersions: [1] });
  assert.equal(!r.hit && r.why, "stale");
  assert.deepEqual(await store.keys(), []);
});

test("an interrupted write (no manifest) reads as absent; clearStore removes orphans", async () => {
  const store = memoryCacheStore();
  await store.setMany([[["body", "k"], new Blob([new Uint8Array(8)])]]);
  const r = await readCachedPack(store, "k", { packVersions: [1] });
  assert.equal(!r.hit && r.why, "absent");
  await clearStore(store);
  assert.deepEqual(await store.keys(), []);
});

test("a set-coded pack's ordered table is kept beside it, and a damaged copy is not used (the pack still is)", async () => {
  const table = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000);
  const store = memoryCacheStore();
  const m = await writeCachedPack(store, "k", bytesOf(100), { sha256: "ab", packVersion: 3, orderedTable: table });
  assert.equal(m.table?.bytes, table.byteLength);
  const r = await readCachedPack(store, "k", { packVersions: [3] });
  assert.ok(r.hit);
  assert.deepEqual(r.orderedTable, table);
  const damaged = new Uint8Array(table.buffer.slice(0));
  damaged[123]! ^= 1;
  for (const blob of [new Blob([damaged]), new Blob([damaged.subarray(4)])]) {
    await store.setMany([[["table", "k"], blob]]);
    const again = await readCachedPack(store, "k", { packVersions: [3] });
    assert.ok(again.hit, "the pack itself is fine");
    assert.equal(again.orderedTable, undefined);
  }
  await writeCachedPack(store, "k", bytesOf(100), { sha256: "ab", packVersion: 3 });
  assert.deepEqual(
    (await store.keys()).filter((k) => Array.isArray(k) && k[0] === "table"),
    [],
    "rewriting the entry without a table drops the old one",
  );
});
