import { test } from "node:test";
import assert from "node:assert/strict";
import { CACHE_FORMAT, CHUNK_BYTES, clearStore, listManifests, readCachedPack, writeCachedPack } from "./pack-cache.js";
import { memoryCacheStore } from "./store.js";

const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

test("a pack round-trips through chunks and a manifest", async () => {
  const store = memoryCacheStore();
  const b = bytesOf(2 * CHUNK_BYTES + 12345);
  const m = await writeCachedPack(store, "https://x/p.veilpack", b, { sha256: "ab", packVersion: 1 });
  assert.equal(m.chunks, 3);
  assert.equal(m.cacheFormat, CACHE_FORMAT);
  const r = await readCachedPack(store, "https://x/p.veilpack", { packVersion: 1 });
  assert.ok(r.hit);
  assert.deepEqual(r.bytes, b);
  assert.deepEqual(
    (await listManifests(store)).map((x) => x.key),
    ["https://x/p.veilpack"],
  );
});

test("a missing or short chunk is corrupt: the entry is deleted", async () => {
  const store = memoryCacheStore();
  await writeCachedPack(store, "k", bytesOf(CHUNK_BYTES + 10), { sha256: "ab", packVersion: 1 });
  await store.setMany([[["chunk", "k", 1], new ArrayBuffer(3)]]);
  const r = await readCachedPack(store, "k", { packVersion: 1 });
  assert.equal(r.hit, false);
  assert.equal(!r.hit && r.why, "corrupt");
  assert.deepEqual(await store.keys(), []);
});

test("another cache format, pack version or expected SHA-256 is stale: the entry is deleted", async () => {
  for (const [expect, tweak] of [
    [{ packVersion: 2 }, null],
    [{ packVersion: 1, sha256: "CD" }, null],
    [{ packVersion: 1 }, { cacheFormat: CACHE_FORMAT + 1 }],
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
  assert.ok((await readCachedPack(store, "k", { packVersion: 1, sha256: "AB" })).hit, "hex case does not matter");
});

test("an interrupted write (no manifest) reads as absent; clearStore removes orphans", async () => {
  const store = memoryCacheStore();
  await store.setMany([[["chunk", "k", 0], new ArrayBuffer(8)]]);
  const r = await readCachedPack(store, "k", { packVersion: 1 });
  assert.equal(!r.hit && r.why, "absent");
  await clearStore(store);
  assert.deepEqual(await store.keys(), []);
});
