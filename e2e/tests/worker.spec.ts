// Perturbation in Veil's own worker with the default pack, under the strict CSP,
// plus the in-thread and bring-your-own-worker modes and the worker's death.
import { expect, test } from "@playwright/test";
import { CSP, harness, openHarness } from "./helpers.js";

test("perturbs in Veil's own module worker with the default pack, under the strict CSP", async ({ page }) => {
  const resp = await page.goto("/");
  expect(resp!.headers()["content-security-policy"]).toBe(CSP);
  await page.waitForFunction(() => "harness" in window);
  const r = await harness(page, "loadAndPerturb", "worker");
  expect(r.mode).toBe("worker");
  expect(r.backend.name).toBe("wasm");
  expect(r.pack.n).toBe(50_000);
  expect(r.pack.K).toBe(20); // the default pack: int8 vectors, a 20-wide table coded as sets
  expect(r.pack.stored.vectorType).toBe("int8");
  expect(r.words).toBe(9);
  expect(r.inVocabulary).toBe(9);
  expect(r.text.split(" ")).toHaveLength(9);
  expect(r.text).toMatch(/^[A-Z]/); // the capital T's case pattern is kept
  expect(r.statsWord).toBe("dog");
  expect(r.exactNw).toBeGreaterThan(0);
  expect(r.exactNw).toBeLessThan(1);
  expect(r.phases).toEqual(expect.arrayContaining(["verify", "ready"]));
  expect(await page.evaluate(() => (window as unknown as { harness: { violations: string[] } }).harness.violations)).toEqual([]);
});

test("in-thread mode (worker: false) works", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "loadAndPerturb", "in-thread");
  expect(r.mode).toBe("in-thread");
  expect(r.inVocabulary).toBe(9);
});

test("bring-your-own worker (a factory running serveVeil) works", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "loadAndPerturb", "own-worker");
  expect(r.mode).toBe("own-worker");
  expect(r.inVocabulary).toBe(9);
});

test("a worker terminated mid-call fails the call with WorkerCrashedError; the next call starts a new worker", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "killMidCall", false);
  expect(r.first).not.toBeNull();
  expect(r.first.name).toBe("WorkerCrashedError");
  expect(r.first.code).toBe("WORKER_CRASHED");
  expect(r.first.isTyped).toBe(true);
  expect(r.first.message).toContain("terminated"); // noticed through the worker's Web Lock, not by a timeout
  expect(r.second.ok).toBe(true);
  expect(r.second.text.split(" ")).toHaveLength(2);
  expect(r.events).toContain("worker-restarted");
});

test("the app's own Worker instance, once terminated, gives WorkerCrashedError saying how to let Veil restart it", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "killMidCall", true);
  expect(r.first.isTyped).toBe(true);
  expect(r.second).toEqual({ ok: false, name: "WorkerCrashedError", isTyped: true });
});

test("aborting the load rejects with AbortError", async ({ page }) => {
  await openHarness(page);
  expect(await harness(page, "abortLoad")).toBe("AbortError");
});

test("in a worker, failing entropy (getRandomValues throwing or missing) makes perturb fail with RandomSourceError and release nothing", async ({ page }) => {
  await openHarness(page);
  const r = await harness(page, "brokenEntropy");
  expect(r.before.length).toBeGreaterThan(0);
  expect(r.outcomes).toEqual(
    ["throws", "missing"].flatMap((mode) => ["laplace", "exponential", "tem", "gumbel"].map((m) => `${mode}/${m}: RandomSourceError`)),
  );
  expect(r.after.length).toBeGreaterThan(0);
});

test("workers: 2 splits a long text between two workers: the same words at the same offsets as one worker", async ({ page }) => {
  await openHarness(page);
  const text = Array.from(
    { length: 1500 },
    (_, i) => ["the", "people", "of", "Paris", "said", "Zorblax", "went", "home"][i % 8] + (i % 13 === 0 ? ".\n" : " "),
  ).join("");
  let started = 0;
  page.on("worker", () => started++);
  const one = await harness(page, "perturbWithWorkers", 1, text);
  expect(started).toBe(1);
  const two = await harness(page, "perturbWithWorkers", 2, text);
  expect(started).toBe(3); // two more: one each
  expect(two.words).toEqual(one.words);
  expect(two.wordsPerturbed).toBe(one.wordsPerturbed);
  expect(two.epsilonTotal).toBe(one.epsilonTotal);
  const bad = await page.evaluate(async () => {
    try {
      await (window as unknown as { harness: { perturbWithWorkers(n: number, t: string): Promise<unknown> } }).harness.perturbWithWorkers(0, "x");
      return "accepted";
    } catch (e) {
      return (e as Error).name;
    }
  });
  expect(bad).toBe("InvalidOptionError");
});
