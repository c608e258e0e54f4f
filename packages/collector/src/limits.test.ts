// A collector that stays up: the denial-of-service attacks of issue 14, each
// answered (timeouts, connection cap, bodies refused unread, rate limit, Host
// check, quiet logs on aborted requests).
import { storeTest, type Place } from "./test-stores.js";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import { once } from "node:events";
import { startCollector, type CollectorOptions } from "./server.js";
import { ANALYST_TOKEN, feedbackTask, post } from "./test-pair.js";
import { buildReports, parseTask, taskId } from "@veil/task";

const TASK = feedbackTask({ aggregates: [] });

async function single(place: Place, extra: Partial<CollectorOptions> = {}) {
  const c = await startCollector({ database: await place.db("c"), ...extra });
  const id = await c.addTask(TASK, ANALYST_TOKEN);
  const task = parseTask(TASK);
  const report = async () => (await buildReports(task, await taskId(task), { text: "hello there", answers: { recommend: 1, rating: 2 } })).leader;
  return { c, id, report };
}

function rawSocket(port: number): Promise<Socket> {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => undefined);
  return once(s, "connect").then(() => s);
}

/** Resolves with the milliseconds until the server closes the socket. */
function closedAfter(s: Socket): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => s.once("close", () => resolve(performance.now() - t0)));
}

storeTest("a slow body and an idle socket are cut within about 10 s (the default timeouts)", async (place) => {
  const { c } = await single(place);
  try {
    const slow = await rawSocket(c.port);
    const idle = await rawSocket(c.port);
    const slowClosed = closedAfter(slow);
    const idleClosed = closedAfter(idle);
    slow.write(`POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1:${c.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"version":`);
    const [a, b] = await Promise.all([slowClosed, idleClosed]);
    assert.ok(a < 12_500, `slow body held for ${a} ms`);
    assert.ok(b < 12_500, `idle socket held for ${b} ms`);
  } finally {
    await c.close();
  }
});

storeTest("a huge body is refused without being read: by its declared length, and as soon as a chunked one passes the limit", async (place) => {
  const { c, id } = await single(place);
  try {
    for (const framing of ["Content-Length: 1073741824", "Transfer-Encoding: chunked"]) {
      const s = await rawSocket(c.port);
      let answer = "";
      s.on("data", (d: Buffer) => (answer += d.toString()));
      const closed = closedAfter(s);
      s.write(`POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1:${c.port}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`);
      let written = 0;
      let open = true;
      void closed.then(() => (open = false));
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const frame = framing.startsWith("Transfer") ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]) : chunk;
      while (open && written < 1 << 30) {
        if (!s.write(frame)) await Promise.race([once(s, "drain").catch(() => undefined), closed]);
        written += chunk.length;
      }
      await closed;
      console.log(`${framing}: ${(written / 2 ** 20).toFixed(0)} MiB written before the server closed`);
      assert.match(answer, /^HTTP\/1.1 413/, framing);
      assert.ok(written < 64 << 20, `${framing}: the client could write ${written >> 20} MiB before the server closed`);
    }
    assert.equal(await c.store.reportCount(id), 0);
  } finally {
    await c.close();
  }
});

storeTest("a foreign Host header is refused (DNS rebinding); every answer says nosniff", async (place) => {
  const { c } = await single(place, { allowHosts: ["collector.example"] });
  try {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const r = request({ host: "127.0.0.1", port: c.port, path: "/v1/tasks", headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        r.on("error", reject);
        r.end();
      });
    assert.equal(await status("attacker.example"), 421);
    assert.equal(await status(`127.0.0.1:${c.port}`), 200);
    assert.equal(await status("collector.example"), 200);
    for (const path of ["/v1/tasks", "/", "/dashboard.css", "/v1/nothing"])
      assert.equal((await fetch(`${c.url}${path}`)).headers.get("x-content-type-options"), "nosniff", path);
  } finally {
    await c.close();
  }
});

storeTest("past the connection cap new connections are dropped, and service resumes when idle ones time out", async (place) => {
  const { c } = await single(place, { maxConnections: 8, timeoutMs: 1500 });
  try {
    const idle = await Promise.all(Array.from({ length: 8 }, () => rawSocket(c.port)));
    const closed = Promise.all(idle.map(closedAfter));
    await assert.rejects(fetch(`${c.url}/v1/tasks`));
    await closed; // the server's idle timeout frees them
    assert.equal((await fetch(`${c.url}/v1/tasks`)).status, 200);
  } finally {
    await c.close();
  }
});

storeTest("one address cannot take every connection: past its own cap it is dropped while another address still gets in", async (place) => {
  const { c } = await single(place, { maxConnections: 100, maxConnectionsPerAddress: 4 });
  try {
    const hog = await Promise.all(Array.from({ length: 4 }, () => rawSocket(c.port)));
    const fifth = await rawSocket(c.port);
    const dropped = await closedAfter(fifth);
    assert.ok(dropped < 2000, `the fifth connection was held ${dropped} ms (the idle timeout is 10 s): not dropped`);
    // 127.0.0.2 is loopback too, and another address.
    const other = await new Promise<number>((resolve, reject) => {
      const r = request({ host: "127.0.0.1", port: c.port, path: "/v1/tasks", localAddress: "127.0.0.2", headers: { host: `127.0.0.1:${c.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on("error", reject);
      r.end();
    });
    assert.equal(other, 200);
    for (const s of hog) s.destroy();
  } finally {
    await c.close();
  }
});

storeTest("intake is rate limited by a token bucket: past the burst a report gets 429 with Retry-After", async (place) => {
  const { c, id, report } = await single(place, { rate: { perSecond: 1, burst: 3 } });
  try {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(c.url, await report())).status);
    assert.deepEqual(statuses, [201, 201, 201, 429]);
    const r = await post(c.url, await report());
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get("retry-after")) >= 1);
    assert.equal(await c.store.reportCount(id), 3);
  } finally {
    await c.close();
  }
});

storeTest("aborted requests leave no log line (no stack trace per request)", async (place) => {
  const { c, report } = await single(place);
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    const body = JSON.stringify(await report());
    for (let i = 0; i < 20; i++) {
      const s = await rawSocket(c.port);
      const closed = closedAfter(s);
      s.write(
        `POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1:${c.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`,
      );
      s.destroy();
      await closed;
    }
    assert.equal((await post(c.url, await report())).status, 201);
    assert.deepEqual(logged, []);
  } finally {
    console.error = original;
    await c.close();
  }
});
