// @veil/web in a webpack 5 build with default settings (the Vite build is the main harness).
import { expect, test } from "@playwright/test";

test("under webpack 5, loadVeil starts its worker and perturbs under the strict CSP", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => m.type() === "error" && !m.text().includes("404") && violations.push(m.text()));
  const missing: string[] = [];
  page.on("response", (r) => r.status() === 404 && !r.url().endsWith("/favicon.ico") && missing.push(r.url()));
  await page.goto("/webpack/index.html");
  await page.waitForFunction(() => document.title === "webpack ready");
  const r = await page.evaluate(() => (window as unknown as { runVeil(): Promise<{ text: string; words: number; backend: string; mode: string }> }).runVeil());
  expect(r.mode).toBe("worker");
  expect(r.backend).toBe("wasm");
  expect(r.words).toBe(9);
  expect(r.text.split(" ")).toHaveLength(9);
  expect(violations).toEqual([]);
  expect(missing).toEqual([]);
});
