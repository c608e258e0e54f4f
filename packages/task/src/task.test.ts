// Tasks: canonical form and id, derived fields, refused definitions; and the
// device-side report check (buildReports refuses what a collector would refuse).
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededSource } from "@veil/core/testing";
import {
  boundedTail,
  buildReports,
  canonicalTask,
  measurementOf,
  parseReport,
  parseTask,
  sumProvenUpper,
  taskId,
  ReportError,
  TaskError,
  type ReportInput,
} from "./index.js";

const base = {
  version: 1,
  name: "t",
  text: { mechanism: "gumbel", epsilon: 50 },
  questions: [
    { id: "q", type: "rr", labels: ["a", "b", "c"], epsilon: 1 },
    { id: "n", type: "bounded", lower: 0, upper: 10, epsilon: 2 },
  ],
  aggregates: [
    { id: "s", type: "sum", lower: 0, upper: 1000, decimals: 2, epsilon: 1 },
    { id: "h", type: "histogram", labels: ["x", "y", "z", "w", "v"], epsilon: 1 },
  ],
};

test("the task id is the hash of the canonical form: key order does not matter, every setting does", async () => {
  const reverse = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(reverse)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.entries(x)
              .reverse()
              .map(([k, v]) => [k, reverse(v)]),
          )
        : x;
  const reordered = reverse(base) as typeof base;
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(base));
  const id = await taskId(parseTask(base));
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(await taskId(parseTask(reordered)), id);
  assert.equal(canonicalTask(parseTask(base)), canonicalTask(parseTask(reordered)));
  for (const change of [
    { minBatchSize: 101 },
    { schedule: "weekly" },
    { name: "u" },
    { questions: [{ ...base.questions[0], labels: ["b", "a", "c"] }, base.questions[1]] },
  ]) {
    assert.notEqual(await taskId(parseTask({ ...base, ...change })), id, JSON.stringify(change));
  }
  // The canonical form is a fixed point, and holds every default.
  const t = parseTask(base);
  assert.deepEqual(parseTask(JSON.parse(canonicalTask(t))), t);
  assert.equal(t.minBatchSize, 100);
  assert.equal(t.schedule, "daily");
});

test("derived fields: a sum's bits hold its range, the proven upper bound, the bounded tail", () => {
  const t = parseTask(base);
  const s = t.aggregates[0]!;
  assert.ok(s.type === "sum");
  assert.equal(s.bits, 17); // 100,000 cents needs 17 bits
  assert.equal(sumProvenUpper(s), 1310.71);
  const h = t.aggregates[1]!;
  assert.ok(h.type === "histogram" && h.chunkLength === 2);
  const n = t.questions[1]!;
  assert.ok(n.type === "bounded");
  // P(|noise| >= tail) <= 1e-12 at rate epsilon/units: tail = ceil(ln(2e12) / rate) steps.
  const units = 10 / n.step;
  assert.equal(boundedTail(n), Math.ceil(Math.log(2e12) / (2 / units)) * n.step);
});

test("definitions that do not parse are refused with the first problem named", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, version: 2 }, /version must be 1/],
    [{ ...base, extra: 1 }, /unknown field/],
    [{ ...base, questions: [...base.questions, base.questions[0]] }, /used twice/],
    [{ ...base, questions: [{ id: "q", type: "rr", labels: ["a"], epsilon: 1 }] }, /2 to 100 strings/],
    [{ ...base, questions: [{ id: "q", type: "rr", labels: ["a", "a"], epsilon: 1 }] }, /label twice/],
    [{ ...base, questions: [{ id: "q", type: "rr", labels: ["a", "b"], epsilon: Number.NaN }] }, /finite number/],
    [{ ...base, questions: [{ id: "q", type: "rr", labels: ["a", "b"], epsilon: 100 }] }, /\(0, 20\]/],
    [{ ...base, questions: [{ id: "n", type: "bounded", lower: 0, upper: 10, step: 0.3, epsilon: 1 }] }, /power of two/],
    [{ ...base, aggregates: [{ id: "s", type: "sum", lower: 0, upper: 1e12, decimals: 2, epsilon: 1 }] }, /below 2\^40/],
    [{ ...base, aggregates: [{ id: "s", type: "sum", lower: 0, upper: 10, decimals: 0, epsilon: 1, bits: 30 }] }, /derived/],
    [{ ...base, text: { mechanism: "rot13", epsilon: 1 } }, /mechanism must be one of/],
    [{ version: 1, name: "t" }, /collects nothing/],
  ];
  for (const [raw, msg] of cases)
    assert.throws(
      () => parseTask(raw),
      (e: unknown) => e instanceof TaskError && msg.test((e as Error).message),
      JSON.stringify(raw).slice(0, 90),
    );
});

test("measurements: amounts from their decimal text, exactly; out of range or too precise refused", () => {
  const t = parseTask(base);
  const s = t.aggregates[0]!;
  assert.equal(measurementOf(s, "0.3"), 30);
  assert.equal(measurementOf(s, 0.1 + 0.2 === 0.3 ? "0.3" : "0.30"), 30);
  assert.equal(measurementOf(s, "1000"), 100_000);
  assert.equal(measurementOf({ ...s, lower: -5 } as typeof s, "-4.5"), 50);
  assert.throws(() => measurementOf(s, "1000.01"), ReportError);
  assert.throws(() => measurementOf(s, "1.234"), /at most 2 decimals/);
  assert.throws(() => measurementOf(s, "1e3"), /decimal number/);
  assert.throws(() => measurementOf(t.aggregates[1]!, 5), /category index/);
});

test("buildReports refuses what a collector refuses, and what it builds parses on both sides", async () => {
  const t = parseTask(base);
  const id = await taskId(t);
  const random = seededSource(11);
  const ok = { text: "hello", answers: { q: 2, n: 4.5 }, aggregates: { s: "12.5", h: 3 } };
  const r = await buildReports(t, id, ok, random);
  assert.match(r.id, /^[0-9a-f]{32}$/);
  assert.equal(r.leader.id, r.helper.id);
  assert.equal(r.helper.answers, undefined, "the helper gets no answers");
  assert.equal(r.helper.text, undefined);
  const leader = await parseReport(t, "leader", r.leader);
  const helper = await parseReport(t, "helper", r.helper);
  assert.deepEqual(leader.answers, [
    { question: "q", value: 2 },
    { question: "n", value: 4.5 },
  ]);
  assert.equal(helper.answers.length, 0);
  assert.equal(leader.prio3.length, 2);
  for (const bad of [
    { ...ok, answers: { q: 3, n: 4.5 } },
    { ...ok, answers: { q: 1 } },
    { ...ok, answers: { q: 1, n: 4.4 } },
    { ...ok, aggregates: { s: "2000", h: 1 } },
    { ...ok, text: "" },
  ])
    await assert.rejects(buildReports(t, id, bad as ReportInput, random), ReportError, JSON.stringify(bad));
});
