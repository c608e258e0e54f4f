// Intake: a report is stored only if it fits its task, once, with nothing that
// identifies the device; the attacks of issue 14 on intake, each refused.
import { storeTest } from "./test-stores.js";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { kAryResponse, boundedNumber } from "@veil/core";
import { seededSource } from "@veil/core/testing";
import { buildReports, fromBase64, parseTask, taskId, toBase64 } from "@veil/task";
import { analyst, feedbackTask, input, post, startPair } from "./test-pair.js";

storeTest("reports that do not fit the task get a 4xx with a reason and are never stored", async (place) => {
  const p = await startPair(place);
  try {
    const good = (await buildReports(p.task, p.id, input())).leader;
    const mutate = (f: (r: any) => void) => {
      const r = structuredClone(good) as any;
      f(r);
      return r;
    };
    const cases: [unknown, number, RegExp, Record<string, string>?][] = [
      ["{not json", 400, /not valid JSON/],
      [good, 415, /application\/json/, { "content-type": "text/plain" }],
      [
        { version: 1, form: "feedback", ledger: { id: "0".repeat(32), seq: 1 }, text: { mechanism: "gumbel", epsilon: 50, value: "x" } },
        422,
        /task must be the id/,
      ],
      [mutate((r) => (r.version = 3)), 400, /unknown report version/],
      [mutate((r) => (r.task = "f".repeat(64))), 422, /task must be the id/],
      [mutate((r) => (r.extra = 1)), 422, /unknown field/],
      // A report cannot carry labels, bounds or decimals: the task fixes them.
      [mutate((r) => (r.labels = { recommend: ["Yes", "No"] })), 422, /unknown field "labels"/],
      [mutate((r) => (r.prio3.amount.decimals = 0)), 422, /unknown field "decimals"/],
      [mutate((r) => (r.answers.recommend = 2)), 422, /answer index from 0 to 1/],
      [mutate((r) => delete r.answers.rating), 422, /missing "rating"/],
      [mutate((r) => (r.answers.rating = 3.2)), 422, /multiple of/],
      // The poisoning of issue 14: one bounded answer of 7e305.
      [mutate((r) => (r.answers.rating = 7e305)), 422, /outside \[/],
      [mutate((r) => (r.id = "xyz")), 422, /32 lower-case hex/],
      [mutate((r) => (r.prio3.amount.share = r.prio3.amount.share.slice(4))), 422, /bytes of base64/],
      // A field element above the modulus does not decode.
      [mutate((r) => (r.prio3.amount.share = toBase64(new Uint8Array(fromBase64(r.prio3.amount.share, "s").length).fill(0xff)))), 422, /not in the field/],
      [mutate((r) => (r.text = "")), 422, /text must be/],
    ];
    for (const [body, status, reason, headers] of cases) {
      const res = await post(p.leader.url, body, headers);
      const j = (await res.json()) as { error: string };
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)}: ${j.error}`);
      assert.match(j.error, reason);
    }
    // The helper takes only the helper's part: a leader's report is refused there.
    assert.equal((await post(p.helper.url, good)).status, 422);
    assert.equal(await p.leader.store.reportCount(p.id), 0);
    assert.equal((await post(p.leader.url, good)).status, 201);
    assert.equal(await p.leader.store.reportCount(p.id), 1);
    assert.equal((await fetch(`${p.leader.url}/v1/nothing`)).status, 405);
  } finally {
    await p.close();
  }
});

storeTest("a replayed report is stored once; the same id with other content is a conflict", async (place) => {
  const p = await startPair(place);
  try {
    const r = await p.send();
    assert.deepEqual(r.status, [201, 201]);
    // A client retry after a lost acknowledgement: the same bytes again.
    const again = await post(p.leader.url, r.leader);
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { id: r.id, duplicate: true });
    assert.equal((await post(p.helper.url, r.helper)).status, 200);
    const other = { ...r.leader, answers: { recommend: 0, rating: 1 } };
    assert.equal((await post(p.leader.url, other)).status, 409);
    assert.equal(await p.leader.store.reportCount(p.id), 1);
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}/texts`)).json.length, 1);
    await p.leader.flush(p.id);
    const batches = (await analyst(p.leader.url, `/v1/tasks/${p.id}/batches`)).json;
    assert.equal(batches.batches[0].count, 1, "aggregated once");
  } finally {
    await p.close();
  }
});

storeTest("nothing stored links reports to a device: no identifier, hours only, answers only as counts; files are private", async (place) => {
  const p = await startPair(place);
  try {
    await p.send();
    await p.send(input("99", 3));
    const db = p.leader.store.driver;
    const schema =
      place.kind === "sqlite"
        ? "SELECT sql FROM sqlite_master WHERE type = 'table'"
        : "SELECT table_name || ' ' || string_agg(column_name, ' ') AS sql FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name";
    const columns = (await db.all<{ sql: string }>(schema)).map((t) => t.sql).join("\n");
    assert.match(columns, /received_hour/, "the schema was read");
    assert.doesNotMatch(columns, /ledger|body|ip|agent/i, "no identifier or report body is kept");
    const hours = await db.all<{ received_hour: string }>("SELECT received_hour FROM reports UNION SELECT received_hour FROM texts");
    assert.ok(hours.length > 0);
    for (const h of hours) assert.match(h.received_hour, /^\d{4}-\d\d-\d\dT\d\d:00Z$/);
    // The answers exist only as per-question counts (split in shards): no row joins a text to its answers.
    assert.deepEqual(await db.all("SELECT question, value, SUM(n) AS n FROM rr_counts GROUP BY question, value"), [{ question: "recommend", value: 1, n: 2 }]);
    if (place.kind === "sqlite")
      for (const f of ["leader.db", "leader.db-wal", "helper.db", "helper.db-wal"]) assert.equal(statSync(join(place.dir, f)).mode & 0o777, 0o600, f);
    const texts = (await analyst(p.leader.url, `/v1/tasks/${p.id}/texts`)).json as { received: string }[];
    assert.ok(texts.every((t) => t.received.endsWith(":00Z")));
  } finally {
    await p.close();
  }
});

storeTest("estimates: randomized-response and bounded-number intervals cover the truth of a simulated population; labels are the task's", async (place) => {
  const raw = feedbackTask({ aggregates: [] });
  const p = await startPair(place, raw);
  try {
    const random = seededSource(7);
    const task = parseTask(raw);
    const id = await taskId(task);
    const n = 600;
    for (let i = 0; i < n; i++) {
      const likes = i % 4 !== 0; // 75% say yes
      const rating = 1 + (i % 5); // mean 3
      const answers = { recommend: kAryResponse(likes ? 1 : 0, 2, 1, { random }), rating: boundedNumber(rating, { lower: 1, upper: 5, epsilon: 1, random }) };
      const r = await buildReports(task, id, { text: "fine", answers }, random);
      assert.equal((await post(p.leader.url, r.leader)).status, 201);
    }
    const res = (await analyst(p.leader.url, "/v1/estimates")).json as {
      reports: number;
      questions: { question: string; categories?: { label: string; interval: [number, number] }[]; interval?: [number, number] }[];
    };
    assert.equal(res.reports, n);
    const recommend = res.questions.find((q) => q.question === "recommend")!;
    assert.deepEqual(
      recommend.categories!.map((c) => c.label),
      ["No", "Yes"],
    );
    const yes = recommend.categories!.find((x) => x.label === "Yes")!;
    assert.ok(yes.interval[0] <= 0.75 && 0.75 <= yes.interval[1], JSON.stringify(yes));
    const rating = res.questions.find((q) => q.question === "rating")!;
    assert.ok(rating.interval![0] <= 3 && 3 <= rating.interval![1], JSON.stringify(rating));
    const html = (await analyst(p.leader.url, "/")).json as string;
    assert.match(html, /600 reports stored/);
    assert.match(html, /recommend/);
  } finally {
    await p.close();
  }
});
