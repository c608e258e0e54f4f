// The example app as a user and an analyst use it: fill the feedback form,
// review what will be sent, send it; every request the page makes is captured
// and searched for the raw answers; the Prio3 shares made in the browser must
// verify on both collectors. Screenshots go to e2e/test-results/screens/.
import path from "node:path";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { startCollector, combineRelease, type Collector } from "@veil/collector";

const shotDir = () => path.resolve(test.info().project.testDir, "../test-results/screens");
const ORIGIN = "http://127.0.0.1:4173";
const NAME = ["Zorblaxia", "Quintavius"];
const PHONE = "555-0199";
const TEXT = `Hi, I am ${NAME.join(" ")} and my phone is ${PHONE}. The delivery was late but the pizza was really good and the driver was friendly.`;
const AMOUNT = "137.25";

const TASK = JSON.parse(readFileSync(fileURLToPath(new URL("../../apps/example/task.json", import.meta.url)), "utf8")) as unknown;
const ANALYST = "e2e-analyst-token";
const PEER = "e2e-peer-token";
const auth = { authorization: `Bearer ${ANALYST}` };

let dir: string;
let a: Collector;
let b: Collector;
let taskId: string;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "veil-e2e-collectors-"));
  b = await startCollector({ database: path.join(dir, "b.db"), role: "helper", peer: { url: "", token: PEER }, allowOrigins: [ORIGIN], name: "B" });
  a = await startCollector({ database: path.join(dir, "a.db"), role: "leader", peer: { url: b.url, token: PEER }, allowOrigins: [ORIGIN], name: "A" });
  taskId = await a.addTask(TASK, ANALYST);
  await b.addTask(TASK, ANALYST);
});
test.afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fill(page: Page, o: { recommend: "0" | "1"; feature: string; rating: string; amount: string; text?: string }): Promise<void> {
  await page.fill("#text", o.text ?? TEXT);
  await page.check(`input[name=recommend][value="${o.recommend}"]`);
  await page.selectOption("#feature", o.feature);
  await page.check(`input[name=rating][value="${o.rating}"]`);
  await page.fill("#amount", o.amount);
}

test("fill, review and send the feedback form: no request carries a raw answer, the dashboard shows the report, the ledger refuses overspending", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1100, height: 1000 });
  const sent: { method: string; url: string; body: string }[] = [];
  context.on("request", (r) => sent.push({ method: r.method(), url: r.url(), body: r.postData() ?? "" }));

  await page.goto(`/example/?a=${encodeURIComponent(a.url)}&b=${encodeURIComponent(b.url)}`);
  await expect(page.locator("#preview")).toBeEnabled({ timeout: 60_000 });
  await expect(page.locator("#budget")).toContainText("answers ε 10.00 of 10");

  await fill(page, { recommend: "1", feature: "2", rating: "4", amount: AMOUNT });
  await page.click("#preview");
  await expect(page.locator("#review")).toBeVisible();
  await expect(page.locator("#sent-text .redacted").first()).toHaveText("***");
  await expect(page.locator("#sent-text")).not.toContainText(NAME[0]!);
  await page.screenshot({ path: `${shotDir()}/example-1-review.png`, fullPage: true });
  // Asking again for the same answers shows the same draw (no re-rolling until the noise looks good).
  const shown = await page.locator("#payloads").textContent();
  await page.click("#edit");
  await page.click("#preview");
  await expect(page.locator("#payloads")).toHaveText(shown!);

  await page.click("#send");
  await expect(page.locator("#result")).toContainText("Sent.");
  await expect(page.locator("#budget")).toContainText("answers ε 5.00 of 10");
  await page.screenshot({ path: `${shotDir()}/example-2-sent.png`, fullPage: true });

  // The same answers again: the ledger's memo returns the same reports (same random id: stored once), charged nothing.
  await page.click("#preview");
  await page.click("#send");
  await expect(page.locator("#result")).toContainText("reused their earlier privatized values");
  await expect(page.locator("#budget")).toContainText("answers ε 5.00 of 10");

  // New answers twice: the first fits (0.00 left), the second would overspend and sends nothing.
  await fill(page, { recommend: "0", feature: "0", rating: "2", amount: "12" });
  await page.click("#preview");
  await page.click("#send");
  await expect(page.locator("#result")).toContainText("Sent.");
  // Request events reach the test a moment after the page saw the responses.
  await expect.poll(() => sent.filter((r) => r.method === "POST").length).toBe(6);
  await fill(page, { recommend: "1", feature: "3", rating: "5", amount: "999" });
  await page.click("#preview");
  await page.click("#send");
  await expect(page.locator("#result")).toContainText("Privacy budget exceeded");
  await page.screenshot({ path: `${shotDir()}/example-3-budget.png`, fullPage: true });
  // send() posts only after the ledger release succeeds, and it was refused: nothing can have been posted since.
  expect(sent.filter((r) => r.method === "POST").length, "the refused report must send nothing").toBe(6);

  // Every request the page (and its worker) made: none carries the raw text, the name, the phone number or the amount.
  const posts = sent.filter((r) => r.method === "POST");
  expect(posts.length).toBe(6); // three sends, each to A and B (the repeat is the same report again)
  for (const r of sent) {
    for (const secret of [TEXT, "pizza was really good", ...NAME, PHONE, AMOUNT, "13725"]) {
      expect(r.url.includes(secret) || r.body.includes(secret), `${r.method} ${r.url} carries ${secret}`).toBe(false);
    }
  }
  for (const r of posts) {
    const body = JSON.parse(r.body) as { id: string; answers?: Record<string, number>; ledger?: unknown };
    expect(body.ledger, "no device identifier").toBeUndefined();
    // 137.25 is off the amount's noise grid (steps of 0.5): a report carrying it carries the raw value.
    if (body.answers) expect(body.answers.amount).not.toBe(137.25);
  }
  expect(await a.store.reportCount(taskId)).toBe(2);
  expect(await b.store.reportCount(taskId)).toBe(2);

  // The browser's Prio3 shares verify on both collectors: both reports enter batch 1 on each side, none is invalid.
  await a.flush(taskId);
  for (const c of [a, b]) {
    const batches = (await (await fetch(`${c.url}/v1/tasks/${taskId}/batches`, { headers: auth })).json()) as {
      batches: { count: number }[];
      preparation: Record<string, number>;
    };
    expect(batches.batches[0]?.count, c.url).toBe(2);
    expect(batches.preparation.invalid ?? 0).toBe(0);
  }

  // The analyst: the dashboard (behind the task's token) shows the reports and the privatized text; a release needs 100 reports.
  const dash = await context.newPage();
  await dash.setExtraHTTPHeaders(auth);
  await dash.goto(a.url);
  await expect(dash.locator("#report-count")).toContainText("2 reports stored");
  await expect(dash.locator("blockquote.text").first()).toContainText("***");
  await expect(dash.locator("body")).toContainText("recommend");
  await dash.screenshot({ path: `${shotDir()}/example-4-dashboard.png`, fullPage: true });
  await expect(combineRelease(a.url, b.url, taskId, ANALYST)).rejects.toThrow(/holds 2 valid reports.*at least 100/);
  expect((await fetch(a.url)).status, "the dashboard without the token").toBe(401);
});

test("a cleared ledger is detected: the app refuses to send rather than start from a full budget", async ({ page }) => {
  await page.goto(`/example/?a=${encodeURIComponent(a.url)}&b=${encodeURIComponent(b.url)}`);
  await expect(page.locator("#preview")).toBeEnabled({ timeout: 60_000 });
  // The user clears the site's IndexedDB but not localStorage, which still names the ledger.
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase("veil-ledger");
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      }),
  );
  await page.reload();
  await expect(page.locator("#status")).toContainText("Privacy ledger cleared", { timeout: 60_000 });
  await expect(page.locator("#preview")).toBeDisabled();
});
