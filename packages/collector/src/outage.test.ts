// The database going away under a running collector (PostgreSQL): intake answers
// 503 with Retry-After and stores nothing, the process stays up, and intake
// resumes by itself once the server is back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildReports, parseTask } from "@veil/task";
import { startCollector } from "./server.js";
import { postgresBinDir, startPostgres } from "./postgres-server.js";
import { ANALYST_TOKEN, feedbackTask, input, post } from "./test-pair.js";

const RAW = feedbackTask({ aggregates: [] });

test(
  "PostgreSQL stopped under a collector: 503 with Retry-After, nothing stored; back up, intake resumes",
  { skip: postgresBinDir() === null && "no postgresql" },
  async () => {
    const server = await startPostgres();
    const c = await startCollector({ database: await server.createDatabase("outage") });
    try {
      const id = await c.addTask(RAW, ANALYST_TOKEN);
      const task = parseTask(RAW);
      const report = async () => (await buildReports(task, id, { text: input().text, answers: { recommend: 1, rating: 2 } })).leader;
      assert.equal((await post(c.url, await report())).status, 201);
      await server.pause();
      const down = await post(c.url, await report());
      assert.equal(down.status, 503);
      assert.equal(down.headers.get("retry-after"), "5");
      assert.match(((await down.json()) as { error: string }).error, /database is unavailable/);
      await server.resume();
      assert.equal((await post(c.url, await report())).status, 201, "the pool reconnects by itself");
      assert.equal(await c.store.reportCount(id), 2, "the report refused while the database was down was not stored");
    } finally {
      await c.close();
      await server.stop();
    }
  },
);
