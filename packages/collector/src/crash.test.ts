// Crash safety: SIGKILL of the leader under load loses no acknowledged report,
// and after a restart every acknowledged Prio3 report is prepared and counted.
// The leader runs as its own process, started through the CLI as an operator would.
import { storeTest } from "./test-stores.js";
import assert from "node:assert/strict";
import { parseTask } from "@veil/task";
import { startCollector } from "./server.js";
import { ReportStore } from "./store.js";
import { ANALYST_TOKEN, PEER_TOKEN, analyst, exitWithin, feedbackTask, serveFiles, serveProcess as serve, ReportLoad } from "./test-pair.js";

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
    const load = new ReportLoad(task, helper.url, first.url);
    await load.reach(150);
    first.child.kill("SIGKILL");
    await exitWithin(first.child);
    await load.stop();
    const acknowledged = load.acknowledged;
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
