// Crash safety: SIGKILL of the leader under load loses no acknowledged report,
// and after a restart every acknowledged Prio3 report is prepared and counted.
// The leader runs as its own process, started through the CLI as an operator would.
import { storeTest } from "./test-stores.js";
import assert from "node:assert/strict";
import { buildReports, parseTask, taskId } from "@veil/task";
import { startCollector } from "./server.js";
import { ReportStore } from "./store.js";
import { ANALYST_TOKEN, PEER_TOKEN, analyst, exitWithin, feedbackTask, input, post, serveFiles, serveProcess as serve } from "./test-pair.js";

storeTest("SIGKILL of the leader under load loses no acknowledged report; after restart each is prepared once", async (place) => {
  const dir = place.dir;
  const helper = await startCollector({ database: await place.db("helper"), role: "helper", peer: { url: "", token: PEER_TOKEN } });
  const raw = feedbackTask({ minBatchSize: 2 });
  const id = await helper.addTask(raw, ANALYST_TOKEN);
  const task = parseTask(raw);
  const leaderDb = await place.db("leader");
  const args = ["--db", leaderDb, "--port", "0", "--peer", helper.url, ...serveFiles(dir, raw, ANALYST_TOKEN, PEER_TOKEN)];
  try {
    const first = await serve(args);
    const acknowledged = new Set<string>();
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const r = await buildReports(task, await taskId(task), input("12.5", 2));
        const h = await post(helper.url, r.helper);
        assert.equal(h.status, 201);
        const res = await post(first.url, r.leader).catch(() => undefined);
        if (res?.status === 201) acknowledged.add(r.id);
        else if (res) assert.fail(`status ${res.status}`);
        else stop = true;
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    while (acknowledged.size < 150 && !stop) await new Promise((r) => setImmediate(r));
    first.child.kill("SIGKILL");
    await exitWithin(first.child);
    stop = true;
    await Promise.all(senders);
    const store = await ReportStore.open(leaderDb);
    const stored = new Set(await store.reportIds(id));
    await store.close();
    const lost = [...acknowledged].filter((x) => !stored.has(x));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged reports lost`);
    // Restarted, the leader prepares what was waiting; the batch counts every stored report exactly once.
    const second = await serve(args);
    try {
      const release = await analyst(second.url, `/v1/tasks/${id}/release`, {});
      assert.equal(release.status, 200, JSON.stringify(release.json));
      assert.equal(release.json.count, stored.size);
      const h = await analyst(helper.url, `/v1/tasks/${id}/release`, { batch: 1, count: stored.size });
      assert.equal(h.status, 200, JSON.stringify(h.json));
    } finally {
      second.child.kill("SIGTERM");
      await exitWithin(second.child);
    }
  } finally {
    await helper.close();
  }
});
