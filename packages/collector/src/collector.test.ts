import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { encodeFixed, kAryResponse, share, shareToString, boundedNumber } from "@veil/core";
import { seededSource } from "@veil/core/testing";
import { startCollector } from "./server.js";
import { combineSum } from "./combine.js";
import { MAX_REPORT_BYTES } from "./schema.js";

const LEDGER = { id: "0123456789abcdef0123456789abcdef", seq: 1 };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "veil-collector-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function post(url: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return fetch(`${url}/v1/reports`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

const valid = () => ({
  version: 1,
  form: "feedback",
  ledger: LEDGER,
  text: { mechanism: "gumbel", epsilon: 50, value: "the food was great" },
  answers: [
    { question: "recommend", type: "rr", k: 2, epsilon: 1, value: 1, labels: ["no", "yes"] },
    { question: "rating", type: "bounded", lower: 1, upper: 5, step: 0.00390625, epsilon: 1, value: 3.25 },
  ],
});

test("malformed, oversized, unknown-version and off-schema reports get a 4xx with a reason and are never stored", async () => {
  await withDir(async (dir) => {
    const c = await startCollector({ database: join(dir, "c.db") });
    try {
      const cases: [unknown, number, RegExp, Record<string, string>?][] = [
        ["{not json", 400, /not valid JSON/],
        [valid(), 415, /application\/json/, { "content-type": "text/plain" }],
        ["x".repeat(MAX_REPORT_BYTES + 1), 413, /limited/],
        [{ ...valid(), version: 2 }, 400, /unknown report version/],
        [{ ...valid(), extra: 1 }, 422, /unknown field/],
        [{ ...valid(), ledger: { id: "nothex", seq: 1 } }, 422, /ledger.id/],
        [{ ...valid(), text: { mechanism: "rot13", epsilon: 1, value: "x" } }, 422, /text.mechanism/],
        [{ ...valid(), answers: [{ question: "recommend", type: "rr", k: 2, epsilon: 1, value: 2 }] }, 422, /value/],
        [
          { ...valid(), answers: [{ question: "rating", type: "bounded", lower: 1, upper: 5, step: 0.00390625, epsilon: 1, value: 3.2 }] },
          422,
          /multiple of step/,
        ],
        [{ ...valid(), answers: [{ question: "r", type: "bounded", lower: 1, upper: 5, step: 0.3, epsilon: 1, value: 0.6 }] }, 422, /power of two/],
        [{ ...valid(), answers: [{ question: "r", type: "rr", k: 2, epsilon: -1, value: 0 }] }, 422, /epsilon/],
        [{ version: 1, form: "feedback", ledger: LEDGER }, 422, /empty/],
        [{ ...valid(), shares: [{ sum: "amount", decimals: 2, lower: 0, upper: 100, share: "-5" }] }, 422, /share/],
      ];
      for (const [body, status, reason, headers] of cases) {
        const res = await post(c.url, body, headers);
        const j = (await res.json()) as { error: string };
        assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)}: ${j.error}`);
        assert.match(j.error, reason);
      }
      assert.equal(c.store.reportCount(), 0);
      const ok = await post(c.url, valid());
      assert.equal(ok.status, 201);
      assert.equal(c.store.reportCount(), 1);
      assert.equal((await fetch(`${c.url}/v1/nothing`)).status, 405);
    } finally {
      await c.close();
    }
  });
});

test("estimates: randomized-response and bounded-number intervals cover the truth of a simulated population", async () => {
  await withDir(async (dir) => {
    const c = await startCollector({ database: join(dir, "c.db") });
    try {
      const random = seededSource(7);
      const n = 600;
      for (let i = 0; i < n; i++) {
        const likes = i % 4 !== 0; // 75% say yes
        const rating = 1 + (i % 5); // mean 3
        c.store.add({
          version: 1,
          form: "f",
          ledger: { ...LEDGER, seq: i + 1 },
          answers: [
            { question: "recommend", type: "rr", k: 2, epsilon: 2, value: kAryResponse(likes ? 1 : 0, 2, 2, { random }), labels: ["no", "yes"] },
            {
              question: "rating",
              type: "bounded",
              lower: 1,
              upper: 5,
              step: 2 ** -8,
              epsilon: 2,
              value: boundedNumber(rating, { lower: 1, upper: 5, epsilon: 2, random }),
            },
          ],
        });
      }
      const res = (await (await fetch(`${c.url}/v1/estimates`)).json()) as {
        reports: number;
        questions: { question: string; categories?: { label: string; interval: [number, number] }[]; interval?: [number, number] }[];
      };
      assert.equal(res.reports, n);
      const yes = res.questions.find((q) => q.question === "recommend")!.categories!.find((x) => x.label === "yes")!;
      assert.ok(yes.interval[0] <= 0.75 && 0.75 <= yes.interval[1], JSON.stringify(yes));
      const rating = res.questions.find((q) => q.question === "rating")!;
      assert.ok(rating.interval![0] <= 3 && 3 <= rating.interval![1], JSON.stringify(rating));
      const html = await (await fetch(c.url)).text();
      assert.match(html, /600 reports stored/);
      assert.match(html, /recommend/);
    } finally {
      await c.close();
    }
  });
});

test("a report acknowledged with 201 survives kill -9 of the collector", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "c.db");
    const main = fileURLToPath(new URL("./main.js", import.meta.url));
    const start = () =>
      new Promise<{ child: ReturnType<typeof spawn>; url: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [main, "serve", "--db", db, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
        child.stdout!.on("data", (d: Buffer) => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
          if (m) resolve({ child, url: m[1]! });
        });
        child.on("error", reject);
      });
    const first = await start();
    for (let i = 0; i < 5; i++) assert.equal((await post(first.url, { ...valid(), ledger: { ...LEDGER, seq: i + 1 } })).status, 201);
    const exited = new Promise((r) => first.child.on("exit", r));
    first.child.kill("SIGKILL");
    await exited;
    const second = await start();
    try {
      const est = (await (await fetch(`${second.url}/v1/estimates`)).json()) as { reports: number };
      assert.equal(est.reports, 5);
      const texts = (await (await fetch(`${second.url}/v1/texts`)).json()) as unknown[];
      assert.equal(texts.length, 5);
    } finally {
      second.child.kill("SIGTERM");
    }
  });
});

test("a secret-shared sum over two collectors: each holds uniform-looking shares, the combine step releases only the noised total", async () => {
  await withDir(async (dir) => {
    const a = await startCollector({ database: join(dir, "a.db") });
    const b = await startCollector({ database: join(dir, "b.db") });
    try {
      const random = seededSource(9);
      for (const raise of ["3800", "2514", "2982", "3390"]) {
        const [sa, sb] = share(encodeFixed(raise, 0), 2, { random });
        const entry = { sum: "raise", decimals: 0, lower: 0, upper: 5000 };
        assert.equal((await post(a.url, { version: 1, form: "pay", ledger: LEDGER, shares: [{ ...entry, share: shareToString(sa!) }] })).status, 201);
        assert.equal((await post(b.url, { version: 1, form: "pay", ledger: LEDGER, shares: [{ ...entry, share: shareToString(sb!) }] })).status, 201);
      }
      // epsilon 100 over a sensitivity of 5000: noise standard deviation about 71, so the total is within 500 of 12686 (7 deviations).
      const r = await combineSum([a.url, b.url], "raise", 100);
      assert.equal(r.count, 4);
      assert.ok(Math.abs(Number(r.total) - 12686) < 500, `total ${r.total}`);
      assert.ok(Number(r.total) !== 12686, "the released total carries noise");
      // The round is closed: nothing new to release, and the noise is never drawn again for it.
      await assert.rejects(combineSum([a.url, b.url], "raise", 100), /no new shares/);
      // Mismatched servers are refused.
      const [sa] = share(encodeFixed("10", 0), 2, { random });
      await post(a.url, { version: 1, form: "pay", ledger: LEDGER, shares: [{ sum: "raise", decimals: 0, lower: 0, upper: 5000, share: shareToString(sa!) }] });
      await assert.rejects(combineSum([a.url, b.url], "raise", 100), /different numbers of shares \(1, 0\)/);
      assert.equal(((await (await fetch(`${a.url}/v1/sums`)).json()) as { pending: number }[])[0]!.pending, 1, "the refused combine closed no round");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
