// Several collector processes on one database (`serve --workers N`): SIGKILL of
// one worker under load loses no acknowledged report and the service keeps taking
// reports; releases that reach two processes at once release the batch once. Each
// runs on SQLite and on PostgreSQL, the leader as an operator starts it.
import assert from "node:assert/strict";
import { buildReports, parseTask } from "@veil/task";
import { startCollector, type Collector } from "./server.js";
import { ReportStore } from "./store.js";
import { storeTest, type Place } from "./test-stores.js";
import {
  ANALYST_TOKEN,
  PEER_TOKEN,
  analyst,
  exitWithin,
  feedbackTask,
  input,
  post,
  serveFiles,
  serveProcess,
  ReportLoad,
  type CollectorProcess,
} from "./test-pair.js";

const RAW = feedbackTask({ minBatchSize: 2 });

/** A helper in this process and a leader of `workers` processes through the CLI, both on `place`'s store. */
async function startService(place: Place, workers: number): Promise<{ helper: Collector; leader: CollectorProcess; leaderDb: string; id: string }> {
  const helper = await startCollector({ database: await place.db("helper"), role: "helper", peer: { url: "", token: PEER_TOKEN } });
  const id = await helper.addTask(RAW, ANALYST_TOKEN);
  const leaderDb = await place.db("leader");
  const files = serveFiles(place.dir, RAW, ANALYST_TOKEN, PEER_TOKEN);
  const leader = await serveProcess(["--db", leaderDb, "--port", "0", "--peer", helper.url, "--workers", String(workers), "--rate", "100000", ...files]);
  return { helper, leader, leaderDb, id };
}

async function stopService(s: { helper: Collector; leader: CollectorProcess }): Promise<void> {
  s.leader.child.kill("SIGTERM");
  assert.equal(await exitWithin(s.leader.child), 0, "the primary stops its workers and exits cleanly");
  await s.helper.close();
}

storeTest("SIGKILL of one of two collector processes under load loses no acknowledged report; the service goes on and counts each once", async (place) => {
  const s = await startService(place, 2);
  try {
    const victim = Number((await s.leader.printed(/worker \d+ pid (\d+) listening/))[1]);
    const load = new ReportLoad(parseTask(RAW), s.helper.url, s.leader.url);
    await load.reach(150);
    process.kill(victim, "SIGKILL");
    await s.leader.printed(new RegExp(`pid ${victim} exited \\(SIGKILL\\); starting another`));
    await load.reach(load.acknowledged.size + 150); // the service goes on
    await load.stop();
    const acknowledged = load.acknowledged;
    const store = await ReportStore.open(s.leaderDb);
    const stored = new Set(await store.reportIds(s.id));
    await store.close();
    const lost = [...acknowledged].filter((x) => !stored.has(x));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged reports lost (${load.failed} posts failed with the worker)`);
    // Stored but unacknowledged (committed just before the kill) still count, once.
    const release = await analyst(s.leader.url, `/v1/tasks/${s.id}/release`, {});
    assert.equal(release.status, 200, JSON.stringify(release.json));
    assert.equal(release.json.count, stored.size);
    const helper = await analyst(s.helper.url, `/v1/tasks/${s.id}/release`, { batch: 1, count: stored.size });
    assert.equal(helper.status, 200, JSON.stringify(helper.json));
  } finally {
    await stopService(s);
  }
});

storeTest("releases sent to two processes at the same moment release the batch once", async (place) => {
  const s = await startService(place, 2);
  try {
    const task = parseTask(RAW);
    for (let i = 0; i < 6; i++) {
      const r = await buildReports(task, s.id, input(String(10 + i), i % 4));
      assert.deepEqual([(await post(s.helper.url, r.helper)).status, (await post(s.leader.url, r.leader)).status], [201, 201]);
    }
    // Ten at once over separate connections: the primary deals them to both workers in turn. One releases
    // batch 1; the others, serialised behind it by the task's lock, find batch 2 open and empty.
    const answers = await Promise.all(Array.from({ length: 10 }, () => analyst(s.leader.url, `/v1/tasks/${s.id}/release`, {})));
    const released = answers.filter((a) => a.status === 200);
    assert.equal(released.length, 1, JSON.stringify(answers.map((a) => a.status)));
    assert.deepEqual([released[0]!.json.batch, released[0]!.json.count], [1, 6]);
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 409);
      assert.match(a.json.error, /batch 2 holds 0 valid reports/);
    }
    const batches = (await analyst(s.leader.url, `/v1/tasks/${s.id}/batches`)).json;
    assert.equal(batches.openBatch, 2);
    assert.deepEqual(
      batches.batches.map((b: { batch: number; released: boolean }) => [b.batch, b.released]),
      [[1, true]],
    );
  } finally {
    await stopService(s);
  }
});
