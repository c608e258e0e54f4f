// Releases and Prio3: the attacks of issue 14 on the analyst's side, each
// refused, and what an honest release gives.
import { storeTest } from "./test-stores.js";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { buildReports, fromBase64, parseTask, toBase64 } from "@veil/task";
import { combineRelease } from "./combine.js";
import { ANALYST_TOKEN, analyst, feedbackTask, input, post, startPair, type Pair } from "./test-pair.js";

const amounts = ["380", "251.4", "298.2", "339", "437.25"];
const truth = amounts.reduce((s, x) => s + Number(x), 0);

async function sendAll(p: Pair, list = amounts): Promise<void> {
  for (const [i, a] of list.entries()) assert.deepEqual((await p.send(input(a, i % 4))).status, [201, 201]);
}

storeTest("without the task's analyst token, releases, texts, estimates, batches and the dashboard are refused (401)", async (place) => {
  const p = await startPair(place);
  try {
    await sendAll(p);
    const wrong = { authorization: "Bearer not-the-token" };
    for (const headers of [{}, wrong, { authorization: `Basic ${Buffer.from("x:nope").toString("base64")}` }]) {
      for (const [path, body] of [
        [`/v1/tasks/${p.id}/release`, {}],
        [`/v1/tasks/${p.id}/texts`],
        [`/v1/tasks/${p.id}/estimates`],
        [`/v1/tasks/${p.id}/batches`],
        ["/v1/texts"],
        ["/v1/estimates"],
        ["/"],
      ] as const) {
        const r = await analyst(p.leader.url, path, body, headers);
        assert.equal(r.status, 401, `${path} with ${JSON.stringify(headers)}`);
      }
      assert.equal((await analyst(p.helper.url, `/v1/tasks/${p.id}/release`, { batch: 1, count: 5 }, headers)).status, 401);
    }
    // The dashboard opens in a browser with the token as the Basic password.
    const basic = await analyst(p.leader.url, "/", undefined, { authorization: `Basic ${Buffer.from(`analyst:${ANALYST_TOKEN}`).toString("base64")}` });
    assert.equal(basic.status, 200);
    // A release takes only the Bearer form: a browser would resend cached Basic credentials for any page (CSRF).
    const csrf = await analyst(
      p.leader.url,
      `/v1/tasks/${p.id}/release`,
      {},
      { authorization: `Basic ${Buffer.from(`analyst:${ANALYST_TOKEN}`).toString("base64")}` },
    );
    assert.equal(csrf.status, 401);
    // Peer calls need the peer token.
    const peer = await fetch(`${p.helper.url}/v1/peer/prepare`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ANALYST_TOKEN}` },
      body: "{}",
    });
    assert.equal(peer.status, 401);
    // The task itself is public: devices fetch it.
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}`, undefined, {})).json.name, "feedback");
  } finally {
    await p.close();
  }
});

storeTest("a batch below the task's minimum is never released, a caller's epsilon is ignored, and a batch is released once", async (place) => {
  const p = await startPair(place);
  try {
    // One report (the attack: release after every report to isolate it).
    await p.send(input("437.25", 0));
    const one = await analyst(p.leader.url, `/v1/tasks/${p.id}/release`, { epsilon: 100, servers: 10 });
    assert.equal(one.status, 409);
    assert.match(one.json.error, /holds 1 valid reports.*at least 5/);
    await sendAll(p, amounts.slice(0, 4));
    const r = await analyst(p.leader.url, `/v1/tasks/${p.id}/release`, { epsilon: 100, servers: 10 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.epsilon, { amount: 1, feature: 1 }, "the task's epsilon, not the caller's");
    assert.equal(r.json.count, 5);
    // The next batch starts empty: no second release of the same reports.
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}/release`, {})).status, 409);
    // The helper releases the same batch only with the leader's count, and once: asking again returns the same noise.
    assert.equal((await analyst(p.helper.url, `/v1/tasks/${p.id}/release`, { batch: 1, count: 4 })).status, 409);
    const h1 = await analyst(p.helper.url, `/v1/tasks/${p.id}/release`, { batch: 1, count: 5 });
    const h2 = await analyst(p.helper.url, `/v1/tasks/${p.id}/release`, { batch: 1, count: 5 });
    assert.equal(h1.status, 200);
    assert.deepEqual(h1.json.shares, h2.json.shares);
    assert.equal((await analyst(p.helper.url, `/v1/tasks/${p.id}/release`, { batch: 2, count: 0 })).status, 409);
  } finally {
    await p.close();
  }
});

storeTest("the default minimum batch is 100, and a scheduled task releases no more often than its schedule", async (place) => {
  assert.equal(parseTask({ version: 1, name: "t", questions: [{ id: "q", type: "rr", labels: ["a", "b"], epsilon: 1 }] }).minBatchSize, 100);
  const p = await startPair(place, feedbackTask({ schedule: "daily" }));
  try {
    await sendAll(p);
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}/release`, {})).status, 200);
    await sendAll(p);
    const again = await analyst(p.leader.url, `/v1/tasks/${p.id}/release`, {});
    assert.equal(again.status, 429);
    assert.match(again.json.error, /released daily/);
  } finally {
    await p.close();
  }
});

storeTest("combine: both collectors release the same batch; the noised totals are near the truth and never the exact amount", async (place) => {
  const p = await startPair(place);
  try {
    await sendAll(p);
    const r = await combineRelease(p.leader.url, p.helper.url, p.id, ANALYST_TOKEN);
    assert.equal(r.count, 5);
    const sum = r.aggregates.find((a) => a.id === "amount")!;
    assert.equal(sum.type, "sum");
    if (sum.type !== "sum") return;
    // Noise: two-sided geometric at rate 1/(2^17 - 1) cents, sd about 1,850 dollars; 7 sd bounds the check.
    assert.ok(sum.noiseStdDev > 1000 && sum.noiseStdDev < 3000, String(sum.noiseStdDev));
    assert.ok(Math.abs(sum.total - truth) < 7 * sum.noiseStdDev, `${sum.total} vs ${truth}`);
    assert.notEqual(sum.total, truth);
    const hist = r.aggregates.find((a) => a.id === "feature")!;
    assert.equal(hist.type === "histogram" && hist.counts.length, 4);
    await assert.rejects(combineRelease(p.leader.url, p.helper.url, p.id, ANALYST_TOKEN), /holds 0 valid reports/);
    // Once in a batch's aggregate, no report's input shares are kept on either collector.
    for (const c of [p.leader, p.helper])
      assert.deepEqual(await c.store.driver.all("SELECT state, shares, output FROM prio3_inputs GROUP BY state, shares, output"), [
        { state: "done", shares: "{}", output: null },
      ]);
  } finally {
    await p.close();
  }
});

storeTest("an out-of-range Prio3 share fails the proof and is never aggregated", async (place) => {
  const p = await startPair(place);
  try {
    await sendAll(p);
    // The poisoning of issue 14: add 10^12 to the leader's share of the first encoded bit, so the
    // measurement's "bit" is 1 + 10^12. Lengths and encodings are fine; only the proof can tell.
    const r = await buildReports(p.task, p.id, input("1", 0));
    const share = fromBase64(r.leader.prio3!.amount!.share, "share");
    const first = share.subarray(0, 16);
    let x = 0n;
    for (let i = 15; i >= 0; i--) x = (x << 8n) | BigInt(first[i]!);
    x += 10n ** 12n;
    for (let i = 0; i < 16; i++) first[i] = Number((x >> BigInt(8 * i)) & 0xffn);
    r.leader.prio3!.amount!.share = toBase64(share);
    assert.equal((await post(p.leader.url, r.leader)).status, 201, "well-formed, so stored");
    assert.equal((await post(p.helper.url, r.helper)).status, 201);
    const flushed = (await p.leader.flush(p.id)) as { aggregated: number; invalid: number };
    assert.deepEqual({ aggregated: flushed.aggregated, invalid: flushed.invalid }, { aggregated: 5, invalid: 1 });
    const batches = (await analyst(p.leader.url, `/v1/tasks/${p.id}/batches`)).json;
    assert.equal(batches.batches[0].count, 5);
    assert.equal(batches.preparation.invalid, 1);
    const helperBatches = (await analyst(p.helper.url, `/v1/tasks/${p.id}/batches`)).json;
    assert.equal(helperBatches.batches[0].count, 5, "the helper refused it too");
    const c = await combineRelease(p.leader.url, p.helper.url, p.id, ANALYST_TOKEN);
    const sum = c.aggregates.find((a) => a.id === "amount")!;
    assert.ok(sum.type === "sum" && Math.abs(sum.total - truth) < 7 * sum.noiseStdDev && sum.total < 1e9, JSON.stringify(sum));
  } finally {
    await p.close();
  }
});

storeTest("a share sent to one collector only is never aggregated", async (place) => {
  const p = await startPair(place, feedbackTask(), { aggregation: { delayMs: 3_600_000, unmatchedAfterMs: 0 } });
  try {
    await sendAll(p);
    const leaderOnly = await buildReports(p.task, p.id, input("999", 0));
    const helperOnly = await buildReports(p.task, p.id, input("998", 0));
    assert.equal((await post(p.leader.url, leaderOnly.leader)).status, 201);
    assert.equal((await post(p.helper.url, helperOnly.helper)).status, 201);
    const flushed = (await p.leader.flush(p.id)) as { aggregated: number };
    assert.equal(flushed.aggregated, 5);
    const [lb, hb] = await Promise.all([p.leader, p.helper].map(async (c) => (await analyst(c.url, `/v1/tasks/${p.id}/batches`)).json));
    assert.equal(lb.batches[0].count, 5);
    assert.equal(hb.batches[0].count, 5);
    assert.equal(lb.preparation.unmatched, 1, "the leader dropped the report whose helper share never came");
    assert.equal(hb.preparation.pending, 1, "the helper's lone share waits, never prepared");
    const r = await combineRelease(p.leader.url, p.helper.url, p.id, ANALYST_TOKEN);
    assert.equal(r.count, 5);
  } finally {
    await p.close();
  }
});

storeTest("collectors holding different tasks aggregate nothing together", async (place) => {
  // The helper was given the task with another epsilon: another id, so the leader's reports match nothing there.
  const p = await startPair(
    place,
    feedbackTask(),
    {},
    feedbackTask({ aggregates: [{ id: "amount", type: "sum", lower: 0, upper: 1000, decimals: 2, epsilon: 20 }] }),
  );
  try {
    const r = await p.send();
    assert.deepEqual(r.status, [201, 422], "the helper refuses a report for a task it does not hold");
    await assert.rejects(p.leader.flush(p.id), /helper collector refused preparation: this collector holds no task/);
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}/batches`)).json.batches.length, 0);
  } finally {
    await p.close();
  }
});

storeTest("a report whose helper share has not come is asked for again only after a while, not on every job", async (place) => {
  const p = await startPair(place);
  try {
    const alone = await buildReports(p.task, p.id, input("5", 0));
    assert.equal((await post(p.leader.url, alone.leader)).status, 201);
    assert.deepEqual(await p.leader.flush(p.id), { aggregated: 0, invalid: 0, waiting: 1 });
    // The next job skips it (it waits 30 s): posting to the leader alone cannot make every job resend everything.
    assert.deepEqual(await p.leader.flush(p.id), { aggregated: 0, invalid: 0, waiting: 0 });
    assert.equal((await analyst(p.leader.url, `/v1/tasks/${p.id}/batches`)).json.preparation.pending, 1);
  } finally {
    await p.close();
  }
});
