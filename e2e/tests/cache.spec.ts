// The pack cache in IndexedDB: a second page load makes no request for the pack;
// a corrupted chunk is detected (SHA-256), dropped and fetched again.
import { expect, test } from "@playwright/test";
import { PACK_PATH, harness, openHarness, requests } from "./helpers.js";

test("the second page load reads IndexedDB and does not request the pack", async ({ page }) => {
  await openHarness(page);
  await harness(page, "clearCache");
  const before = (await requests(page))[PACK_PATH] ?? 0;
  const first = await harness(page, "loadAndPerturb", "worker");
  expect(first.pack.source).toBe("network");
  expect(first.cache.persistent).toBe(true);
  expect((await requests(page))[PACK_PATH]).toBe(before + 1);
  const state = await harness(page, "cacheState");
  expect(state.cached).toBe(true);
  expect(state.info).toHaveLength(1);
  expect(state.info[0].bytes).toBe(first.pack.bytes);
  expect(state.info[0].cacheFormat).toBe(2); // one Blob, not chunks
  expect(state.info[0].sha256).toBe(first.pack.sha256);

  await page.reload();
  await page.waitForFunction(() => "harness" in window);
  const second = await harness(page, "loadAndPerturb", "worker");
  expect(second.pack.source).toBe("cache");
  expect(second.phases[0]).toBe("download"); // one event, fromCache: true
  expect((await requests(page))[PACK_PATH]).toBe(before + 1);
});

test("a corrupted cache entry is detected, dropped and replaced", async ({ page }) => {
  await openHarness(page);
  await harness(page, "clearCache");
  await harness(page, "loadAndPerturb", "worker");
  const n0 = (await requests(page))[PACK_PATH]!;
  await harness(page, "corruptCachedBody", 0.5);
  await page.reload();
  await page.waitForFunction(() => "harness" in window);
  const r = await harness(page, "loadAndPerturb", "worker");
  expect(r.events.map((e: { type: string }) => e.type)).toContain("cache-dropped");
  expect(r.events.find((e: { type: string }) => e.type === "cache-dropped").why).toBe("corrupt");
  expect(r.pack.source).toBe("network");
  expect((await requests(page))[PACK_PATH]).toBe(n0 + 1);
  // The replacement is intact: the next load is a cache hit again.
  const again = await harness(page, "loadAndPerturb", "worker");
  expect(again.pack.source).toBe("cache");
  expect((await requests(page))[PACK_PATH]).toBe(n0 + 1);
});

test("two tabs loading at once: one downloads, the other waits for it (a Web Lock) and reads IndexedDB", async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openHarness(a);
  await harness(a, "clearCache");
  await openHarness(b);
  const before = (await requests(a))[PACK_PATH] ?? 0;
  const [ra, rb] = await Promise.all([harness(a, "loadAndPerturb", "worker", { persist: true }), harness(b, "loadAndPerturb", "worker")]);
  expect([ra.pack.source, rb.pack.source].sort()).toEqual(["cache", "network"]);
  expect((await requests(a))[PACK_PATH], "the pack is downloaded once").toBe(before + 1);
  expect(ra.pack.sha256).toBe(rb.pack.sha256);
  // persist: true asks navigator.storage.persist() and says what the browser answered; without it, nothing is asked.
  expect(typeof ra.cache.storagePersisted).toBe("boolean");
  expect(rb.cache.storagePersisted).toBeUndefined();
});
