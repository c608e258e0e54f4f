// The playground as a person uses it, with screenshots of its main states
// (saved under e2e/test-results/screens/).
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";

// Beside the Playwright results, whatever the working directory.
const shotDir = () => path.resolve(test.info().project.testDir, "../test-results/screens");
const ready = (page: Page) => page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });

test("load, perturb every sample with every mechanism, inspect a word, see epsilon move N_w, reload from cache", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/playground/");
  await page.evaluate(async () => {
    const dbs = await indexedDB.databases?.();
    if (dbs?.some((d) => d.name === "veil-cache")) indexedDB.deleteDatabase("veil-cache");
  });
  await page.reload();
  await ready(page);
  await expect(page.locator("#phase")).toHaveText("Ready");
  await expect(page.locator("#source")).toContainText("Downloaded");
  await expect(page.locator("#backend")).toContainText("WebAssembly");
  await page.screenshot({ path: `${shotDir()}/1-ready.png`, fullPage: true });

  for (const sample of ["review", "support", "medical"]) {
    for (const m of ["gumbel", "laplace", "exponential", "tem"]) {
      await page.click(`[data-sample=${sample}]`);
      await page.check(`input[name=mechanism][value=${m}]`);
      await page.click("#perturb");
      await expect(page.locator("#output button.w").first()).toBeVisible();
      await expect(page.locator("#privacy")).toContainText("Total privacy loss");
      await expect(page.locator("#eps-error")).toBeHidden();
    }
  }
  // The support message: the name is redacted or changed, and the total epsilon is words x epsilon.
  await page.click("[data-sample=support]");
  await page.check("input[name=mechanism][value=gumbel]");
  await page.fill("#eps", "50");
  await page.press("#eps", "Enter");
  await page.click("#perturb");
  await expect(page.locator("#output .redacted").first()).toBeVisible();
  await page.screenshot({ path: `${shotDir()}/2-perturbed-m4.png`, fullPage: true });

  // A word's panel: the bars sum to 1 and match the SDK's exact law.
  await page.check("input[name=mechanism][value=exponential]");
  await page.fill("#eps", "6");
  await page.press("#eps", "Enter");
  await page.locator("#output button.w", { hasText: /./ }).nth(3).click();
  await expect(page.locator("#word-bars svg")).toBeVisible();
  await expect(page.locator("#word-curve svg")).toBeVisible({ timeout: 60_000 });
  const shown = await page.$$eval("#word-bars g[data-p]", (gs) =>
    gs.map((g) => ({ label: g.getAttribute("data-label")!, p: Number(g.getAttribute("data-p")) })),
  );
  expect(Math.abs(shown.reduce((a, r) => a + r.p, 0) - 1)).toBeLessThan(1e-9);
  const word = await page.getAttribute("#word-panel", "data-word");
  const exact = await page.evaluate(
    async (w) => (await (window as any).veilPlayground.veil.stats(w, { mechanism: "exponential", epsilon: 6 }, { samples: 1, top: 10 })).exact.top,
    word,
  );
  expect(shown.slice(0, -1)).toEqual(exact.map((t: { word: string; p: number }) => ({ label: t.word, p: t.p })));
  // Metric DP: the realized epsilon against each neighbour is at most epsilon for M2.
  const realized = await page.$$eval("#word-realized td[data-eps]", (tds) => tds.map((td) => Number(td.getAttribute("data-eps"))));
  expect(realized.length).toBe(5);
  for (const r of realized) expect(r).toBeLessThanOrEqual(6 * (1 + 1e-9));
  // Next to N_w, the attacker's success at this setting: the SDK's exact figure.
  const attacker = async () => Number(await page.getAttribute("#word-attack [data-r]", "data-r"));
  await expect(page.locator("#word-attack [data-r]")).toBeVisible({ timeout: 60_000 });
  const r6 = await attacker();
  const sdkR = await page.evaluate(
    async () =>
      (await (window as any).veilPlayground.veil.attack({ mechanism: "exponential", epsilon: 6 }, { prior: "uniform", words: 50, samples: 100, k: 5 })).R,
  );
  expect(r6).toBeCloseTo(sdkR, 12);
  await expect(page.locator("#word-attack")).toContainText("recovers the original");
  await page.screenshot({ path: `${shotDir()}/3-word-panel.png`, fullPage: true });

  // Raising epsilon raises N_w.
  const nw = async () => Number(await page.getAttribute("#word-stats [data-nw]", "data-nw"));
  const low = await nw();
  await page.fill("#eps", "20");
  await page.press("#eps", "Enter");
  await page.locator("#output button.w").nth(3).click();
  await expect.poll(nw).toBeGreaterThan(low);
  await expect.poll(attacker, { timeout: 60_000 }).toBeGreaterThan(r6);

  // An epsilon out of range is explained.
  await page.check("input[name=mechanism][value=gumbel]");
  await page.fill("#eps", "10");
  await page.press("#eps", "Enter");
  await expect(page.locator("#eps-error")).toContainText("above 43.058");
  await page.screenshot({ path: `${shotDir()}/4-epsilon-error.png`, fullPage: true });
  // M4's word panel reports its realized privacy.
  await page.fill("#eps", "50");
  await page.press("#eps", "Enter");
  await page.locator("#output button.w").nth(3).click();
  await expect(page.locator("#word-realized table")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator("#word-realized")).toContainText("no stated bound");
  await page.screenshot({ path: `${shotDir()}/4b-m4-realized-privacy.png`, fullPage: true });

  // Second visit: from the cache.
  await page.reload();
  await ready(page);
  await expect(page.locator("#source")).toContainText("from cache", { ignoreCase: true });

  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click("#perturb");
  await page.screenshot({ path: `${shotDir()}/5-phone.png`, fullPage: true });
});

test("a failed download says so and offers a retry", async ({ page }) => {
  await page.goto("/playground/?pack=/packs/missing.veilpack");
  await expect(page.locator("#load-error")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator("#load-error-text")).toContainText("could not be downloaded");
  await expect(page.locator("#retry")).toBeVisible();
  await page.screenshot({ path: `${shotDir()}/6-download-error.png`, fullPage: true });
});
