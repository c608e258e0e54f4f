import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PrivacyLedger, accountKey, periodKey, toNano } from "./ledger.js";
import { memoryLedgerStorage } from "./memory-storage.js";
import { fileLedgerStorage } from "./file-storage.js";
import type { LedgerStorage } from "./storage.js";
import { BudgetExceededError, LedgerUnavailableError, InvalidEpsilonError } from "../errors.js";
import { seededSource } from "../random/seeded.js";
import { UniformStream } from "../random/uniform-stream.js";
import { testSeed } from "../test-support/gof.js";

test("debits add up exactly against the cap; a release past it is refused and charges nothing", async () => {
  const store = memoryLedgerStorage();
  const ledger = await PrivacyLedger.open(store, { cap: 1, ifMissing: "create" });
  for (let i = 0; i < 10; i++) assert.equal((await ledger.release({ scope: "form", epsilon: 0.1, response: i })).charged, 0.1);
  const err = await ledger.release({ scope: "form", epsilon: 0.1, response: "x" }).catch((e) => e);
  assert.ok(err instanceof BudgetExceededError, String(err));
  assert.equal((err as BudgetExceededError).spent, 1);
  const b = await ledger.budget("form");
  assert.deepEqual([b.spent, b.remaining, b.cap], [1, 0, 1]);
  assert.equal((await ledger.budget("other")).spent, 0);
  await assert.rejects(ledger.release({ scope: "form", epsilon: Number.NaN, response: 1 }), InvalidEpsilonError);
  assert.equal(toNano(0.1) * 3, toNano(0.3));
});

test("releaseAll is all or nothing across scopes, and per-scope caps apply", async () => {
  const store = memoryLedgerStorage();
  const ledger = await PrivacyLedger.open(store, { cap: { default: 2, text: 10 }, ifMissing: "create" });
  const r = await ledger.releaseAll([
    { scope: "text", epsilon: 6, response: "a" },
    { scope: "answers", epsilon: 1.5, response: "b" },
  ]);
  assert.equal(r.seq, 1);
  await assert.rejects(
    ledger.releaseAll([
      { scope: "text", epsilon: 3, response: "c" },
      { scope: "answers", epsilon: 1, response: "d" },
    ]),
    BudgetExceededError,
  );
  assert.equal((await ledger.budget("text")).spent, 6);
  assert.equal((await ledger.budget("answers")).spent, 1.5);
});

test("a missing, cleared or replaced ledger is reported, never read as a full budget", async () => {
  const store = memoryLedgerStorage();
  await assert.rejects(PrivacyLedger.open(store, { cap: 1 }), (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "missing");
  const ledger = await PrivacyLedger.open(store, { cap: 1, ifMissing: "create" });
  const again = await PrivacyLedger.open(store, { cap: 1, expectId: ledger.id });
  assert.equal(again.id, ledger.id);
  store.clear();
  await assert.rejects(
    ledger.release({ scope: "s", epsilon: 0.1, response: 1 }),
    (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "cleared",
  );
  await assert.rejects(ledger.budget("s"), LedgerUnavailableError);
  await assert.rejects(
    PrivacyLedger.open(store, { cap: 1, expectId: ledger.id }),
    (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "cleared",
  );
  await assert.rejects(
    PrivacyLedger.open(store, { cap: 1, expectId: ledger.id, ifMissing: "create" }),
    (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "cleared",
  );
  const other = await PrivacyLedger.open(store, { cap: 1, ifMissing: "create" });
  await assert.rejects(
    PrivacyLedger.open(store, { cap: 1, expectId: ledger.id }),
    (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "replaced",
  );
  await assert.rejects(
    ledger.release({ scope: "s", epsilon: 0.1, response: 1 }),
    (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "replaced",
  );
  assert.notEqual(other.id, ledger.id);
});

test("memoization: the same value in a period returns the same response and is charged once; the key is an HMAC", async () => {
  const store = memoryLedgerStorage();
  let now = new Date("2026-11-22T10:00:00Z");
  const ledger = await PrivacyLedger.open(store, { cap: 5, ifMissing: "create", now: () => now });
  const memo = { question: "likes-it", value: "secret-raw-answer" };
  const first = await ledger.release({ scope: "q", epsilon: 1, response: "yes", memo });
  const second = await ledger.release({ scope: "q", epsilon: 1, response: "no", memo });
  assert.deepEqual([first.response, first.charged, first.memoized], ["yes", 1, false]);
  assert.deepEqual([second.response, second.charged, second.memoized], ["yes", 0, true]);
  const third = await ledger.release({ scope: "q", epsilon: 1, response: "no", memo: { ...memo, value: "another" } });
  assert.equal(third.charged, 1);
  assert.equal((await ledger.budget("q")).spent, 2);
  const stored = JSON.stringify([...store.snapshot().accounts.values()]);
  assert.ok(!stored.includes("secret-raw-answer") && !stored.includes("likes-it"), "the ledger must not keep the raw value");
  assert.match(Object.keys([...store.snapshot().accounts.values()][0]!.memo)[0]!, /^[0-9a-f]{64}$/);
  now = new Date("2026-11-23T10:00:00Z"); // the next day: a new period, charged again
  assert.equal((await ledger.release({ scope: "q", epsilon: 1, response: "no", memo })).charged, 1);
  // Another device (another secret) makes other keys for the same value.
  const store2 = memoryLedgerStorage();
  const l2 = await PrivacyLedger.open(store2, { cap: 5, ifMissing: "create", now: () => now });
  await l2.release({ scope: "q", epsilon: 1, response: "no", memo });
  assert.notDeepEqual(Object.keys([...store2.snapshot().accounts.values()][0]!.memo), Object.keys([...store.snapshot().accounts.values()].at(-1)!.memo));
});

test("periods are UTC days, ISO weeks, months", () => {
  const d = new Date("2026-01-01T23:30:00Z");
  assert.equal(periodKey("day", d), "2026-01-01");
  assert.equal(periodKey("week", d), "2026-W01");
  assert.equal(periodKey("week", new Date("2027-01-01T00:00:00Z")), "2026-W53");
  assert.equal(periodKey("month", d), "2026-01");
  assert.equal(periodKey("all", d), "all");
});

/** Wraps a storage with seeded delays and failures before or after the inner commit. */
function faulty(inner: LedgerStorage, u: UniformStream, log: { afterCommit: Map<string, number>; armed: boolean }): LedgerStorage {
  return {
    ...inner,
    async transact(keys, step) {
      await new Promise((r) => setTimeout(r, Math.floor(u.next() * 3)));
      const roll = log.armed ? u.next() : 0.5;
      if (roll < 0.1) throw new LedgerUnavailableError("storage", "injected failure before the write.");
      let committed: unknown;
      const result = await inner.transact(keys, (m, a) => {
        const out = step(m, a);
        committed = out.accounts;
        return out;
      });
      if (roll > 0.9) {
        // Committed, but the caller is told it failed (e.g. the tab died before it saw the result): the budget is spent, nothing is released.
        for (const a of (committed as { scope: string; spentNano: number }[] | undefined) ?? []) log.afterCommit.set(a.scope, a.spentNano);
        throw new LedgerUnavailableError("storage", "injected failure after the write.");
      }
      return result;
    },
  };
}

test("random concurrent schedules with injected failures never overspend, and nothing released goes uncharged", async () => {
  for (let round = 0; round < 5; round++) {
    const u = new UniformStream(seededSource(testSeed(900 + round)));
    const base = memoryLedgerStorage();
    const log = { afterCommit: new Map<string, number>(), armed: false };
    const first = await PrivacyLedger.open(base, { cap: 3, ifMissing: "create" });
    const handles = await Promise.all([0, 1, 2].map(() => PrivacyLedger.open(faulty(base, u, log), { cap: 3, expectId: first.id })));
    log.armed = true;
    const released = new Map<string, number>();
    const calls = Array.from({ length: 150 }, (_, i) => {
      const scope = ["a", "b"][Math.floor(u.next() * 2)]!;
      const epsilon = [0.1, 0.25, 0.7][Math.floor(u.next() * 3)]!;
      const h = handles[i % 3]!;
      return h.release({ scope, epsilon, response: i }).then(
        (r) => released.set(scope, (released.get(scope) ?? 0) + toNano(r.charged)),
        (e) => assert.ok(e instanceof BudgetExceededError || e instanceof LedgerUnavailableError, String(e)),
      );
    });
    await Promise.all(calls);
    for (const scope of ["a", "b"]) {
      const spent = base.snapshot().accounts.get(accountKey(scope, periodKey("day", new Date())))?.spentNano ?? 0;
      const out = released.get(scope) ?? 0;
      assert.ok(spent <= toNano(3), `scope ${scope} overspent: ${spent}`);
      assert.ok(out <= spent, `scope ${scope}: released ${out} but charged ${spent}`);
      if (!log.afterCommit.has(scope)) assert.equal(out, spent, `scope ${scope}: every charge belongs to a release`);
    }
  }
});

test("file ledger: durable across reopen, detects corruption and deletion, serializes separate processes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "veil-ledger-"));
  try {
    const path = join(dir, "ledger.json");
    const ledger = await PrivacyLedger.open(fileLedgerStorage(path), { cap: 5, ifMissing: "create", period: "all" });
    await ledger.release({ scope: "s", epsilon: 0.5, response: 1 });
    const reopened = await PrivacyLedger.open(fileLedgerStorage(path), { cap: 5, period: "all", expectId: ledger.id });
    assert.equal((await reopened.budget("s")).spent, 0.5);

    // Four processes race for the remaining 4.5 in steps of 0.25: exactly 18 succeed.
    const script = join(dir, "spend.mjs");
    const ledgerUrl = new URL("./ledger.js", import.meta.url).href;
    const fileUrl = new URL("./file-storage.js", import.meta.url).href;
    await writeFile(
      script,
      `import { PrivacyLedger } from ${JSON.stringify(ledgerUrl)};
import { fileLedgerStorage } from ${JSON.stringify(fileUrl)};
const l = await PrivacyLedger.open(fileLedgerStorage(process.argv[2]), { cap: 5, period: "all", expectId: process.argv[3] });
let ok = 0;
await Promise.all(Array.from({ length: 15 }, () => l.release({ scope: "s", epsilon: 0.25, response: 1 }).then(() => ok++, (e) => { if (e.name !== "BudgetExceededError") throw e; })));
console.log(ok);`,
    );
    const run = promisify(execFile);
    const outs = await Promise.all([0, 1, 2, 3].map(() => run(process.execPath, [script, path, ledger.id])));
    const total = outs.reduce((s, o) => s + Number(o.stdout.trim()), 0);
    assert.equal(total, 18);
    assert.equal((await reopened.budget("s")).spent, 5);

    await writeFile(path, (await readFile(path, "utf8")).slice(0, 20));
    await assert.rejects(reopened.budget("s"), (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "corrupt");
    await rm(path);
    await assert.rejects(
      reopened.release({ scope: "s", epsilon: 0.1, response: 1 }),
      (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "cleared",
    );
    await assert.rejects(
      PrivacyLedger.open(fileLedgerStorage(join(dir, "no", "such", "dir", "l.json")), { cap: 1, ifMissing: "create" }),
      (e: unknown) => e instanceof LedgerUnavailableError && e.reason === "storage",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
