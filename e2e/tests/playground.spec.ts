// The playground as a person uses it, with screenshots of its main states
// (saved under e2e/test-results/screens/).
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { STOPWORDS } from "@veil/core";
import AxeBuilder from "@axe-core/playwright";

/** axe-core's WCAG 2 A/AA rules on the page as it is now: no violations. */
async function expectAccessible(page: Page, state: string): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const found = r.violations.map(
    (v) =>
      `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 3)
        .join(", ")})`,
  );
  expect(found, `axe violations ${state}`).toEqual([]);
}

// Beside the Playwright results, whatever the working directory.
const shotDir = () => path.resolve(test.info().project.testDir, "../test-results/screens");
/** The words of the text in the box, as the output marks them (runs of letters, digits and apostrophes). */
const wordCount = (page: Page) => page.$eval("#text", (t) => ((t as HTMLTextAreaElement).value.match(/[\p{L}\p{N}']+/gu) ?? []).length);
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
  await expectAccessible(page, "when ready");

  const ALL = ["gumbel", "laplace", "exponential", "tem", "mahalanobis", "vickrey", "santext", "custext", "diffractor", "laplace-rank"];
  await expect(page.locator("input[name=mechanism]")).toHaveCount(ALL.length);
  for (const sample of ["review", "support", "medical"]) {
    // Every mechanism on the review; the first four on the others (time).
    for (const m of sample === "review" ? ALL : ALL.slice(0, 4)) {
      await page.click(`[data-sample=${sample}]`);
      await page.check(`input[name=mechanism][value=${m}]`);
      const before = Number((await page.locator("#output").getAttribute("data-renders")) ?? 0);
      await page.click("#perturb");
      // A new output from this mechanism, every word in it shown. (Not necessarily a button:
      // SanText+ may keep every common word of the review, unprotected, about 1 run in 40.)
      await expect(page.locator("#output")).toHaveAttribute("data-mechanism", m);
      await expect.poll(async () => Number(await page.locator("#output").getAttribute("data-renders"))).toBeGreaterThan(before);
      await expect(page.locator("#output .w")).toHaveCount(await wordCount(page));
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

  // Keeping stopwords: they pass as they are, marked unprotected, and the summary says how many.
  await page.check("#keep-stopwords");
  await page.check("input[name=mechanism][value=custext]");
  await page.click("#perturb");
  await expect(page.locator("#output .kept").first()).toBeVisible();
  const keptWords = await page.$$eval("#output .kept", (els) => els.map((e) => e.textContent!.toLowerCase()));
  expect(keptWords.length).toBeGreaterThan(2);
  for (const w of keptWords) expect(STOPWORDS.has(w)).toBe(true);
  await expect(page.locator("#privacy")).toContainText("sent unprotected");
  await expect(page.locator("#mechanisms")).toContainText("the output reveals the group");
  await page.screenshot({ path: `${shotDir()}/2b-custext-stopwords-kept.png`, fullPage: true });
  await page.uncheck("#keep-stopwords");

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
  await expectAccessible(page, "with a word panel open");

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

test("the playground works by keyboard: choose a mechanism, set epsilon, keep stopwords, perturb, open a word", async ({ page }) => {
  await page.goto("/playground/");
  await ready(page);
  await page.click("[data-sample=review]");
  // A mechanism by arrow keys inside the radio group, epsilon by typing, the checkbox by Space, Perturb by Enter.
  await page.focus("input[name=mechanism][value=gumbel]");
  await page.keyboard.press("ArrowDown"); // the next in the list: M5
  await expect(page.locator("input[name=mechanism][value=mahalanobis]")).toBeChecked();
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await expect(page.locator("input[name=mechanism][value=tem]")).toBeChecked();
  await page.focus("#eps");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("12");
  await page.keyboard.press("Tab"); // onto the next control: the change is committed
  await page.focus("#keep-stopwords");
  await page.keyboard.press("Space");
  await expect(page.locator("#keep-stopwords")).toBeChecked();
  await page.focus("#perturb");
  await page.keyboard.press("Enter");
  await expect(page.locator("#output button.w").first()).toBeVisible();
  await expect(page.locator("#output .kept").first()).toBeVisible();
  await page.locator("#output button.w").first().focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#word-panel")).toBeVisible();
  await expect(page.locator("#word-sub")).toContainText(/closed form|probabilities/, { timeout: 30_000 });
});
