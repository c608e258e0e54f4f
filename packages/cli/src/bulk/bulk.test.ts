// `veil perturb --input --output` end to end: the same law as perturb() record by
// record (seeded: the same outputs), JSONL and TSV fields put back in place,
// order kept across threads, a run killed after a checkpoint resumed without
// privatizing a written record again, and bad input refused by line number.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createVeil } from "@veil/core";
import { useSeededRandom } from "@veil/core/testing";
import { checkpointPath } from "./bulk.js";

const main = fileURLToPath(new URL("../main.js", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "veil-bulk-"));
const pack = path.join(dir, "small.veilpack");
const WORDS = [
  "the",
  "cat",
  "dog",
  "sat",
  "on",
  "mat",
  "rug",
  "ran",
  "to",
  "big",
  "red",
  "blue",
  "green",
  "house",
  "tree",
  "car",
  "road",
  "sun",
  "moon",
  "star",
];

function veil(args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  const glove = path.join(dir, "vectors.txt");
  writeFileSync(
    glove,
    WORDS.map((w, i) => `${w} ${Array.from({ length: 6 }, (_, k) => Math.sin(i * 1.3 + k * 0.7 + i * k * 0.11).toFixed(5)).join(" ")}`).join("\n") + "\n",
  );
  assert.equal(veil(["pack", "--from", "glove", "--input", glove, "--k", "8", "--out", pack]).code, 0);
});

const sentence = (i: number) => `${WORDS[i % 20]} ${WORDS[(i * 7) % 20]} sat on the ${WORDS[(i * 3) % 20]}, said Bob${i}.`;
const M = ["-m", "exponential", "-e", "3"];

test("text: one record a line, the same outputs as perturb() line by line with the same seed; empty lines stay empty", async () => {
  const lines = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? "" : sentence(i)));
  const input = path.join(dir, "plain.txt");
  writeFileSync(input, lines.join("\n") + "\n");
  const output = path.join(dir, "plain.out");
  const r = veil(["perturb", ...M, "--pack", pack, "--input", input, "--output", output, "--threads", "1", "--seed", "11"]);
  assert.equal(r.code, 0, r.err);
  const v = await createVeil({ pack: readFileSync(pack), backend: "auto" });
  useSeededRandom(v, 11);
  const expected = lines.map((l) => (l ? v.perturb(l, { mechanism: "exponential", epsilon: 3 }).text : ""));
  assert.deepEqual(readFileSync(output, "utf8").split("\n").slice(0, -1), expected);
  assert.ok(!existsSync(checkpointPath(output)), "a finished run leaves no checkpoint");
  assert.match(r.err, /perturb .*300 records/);
});

test("JSONL and TSV: only the named field or column changes; order kept on two threads", () => {
  const n = 5000;
  const jsonl = path.join(dir, "recs.jsonl");
  writeFileSync(jsonl, Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: sentence(i), label: i % 3 })).join("\n") + "\n");
  const out = path.join(dir, "recs.out.jsonl");
  const r = veil(["perturb", ...M, "--pack", pack, "--input", jsonl, "--output", out, "--format", "jsonl", "--threads", "2", "--checkpoint-every", "700"]);
  assert.equal(r.code, 0, r.err);
  const recs = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: number; text: string; label: number });
  assert.deepEqual(
    recs.map((x) => x.id),
    Array.from({ length: n }, (_, i) => i),
    "every record once, in order",
  );
  assert.ok(
    recs.every((x, i) => x.label === i % 3 && /\*\*\*\.$/.test(x.text)),
    "other fields untouched; Bob<i> (not in the pack) redacted",
  );
  const tsv = path.join(dir, "recs.tsv");
  writeFileSync(tsv, Array.from({ length: 100 }, (_, i) => `${i}\t${sentence(i)}\tkeep me`).join("\n") + "\n");
  const tout = path.join(dir, "recs.out.tsv");
  assert.equal(veil(["perturb", ...M, "--pack", pack, "--input", tsv, "--output", tout, "--format", "tsv", "--column", "1"]).code, 0);
  const rows = readFileSync(tout, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  assert.ok(rows.every((c, i) => c.length === 3 && c[0] === String(i) && c[2] === "keep me" && c[1]!.endsWith("***.")));
});

test("killed after a checkpoint, the same command resumes: records written before it are kept as they were, none twice", async () => {
  const n = 60_000;
  const input = path.join(dir, "long.jsonl");
  writeFileSync(input, Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: sentence(i) })).join("\n") + "\n");
  const output = path.join(dir, "long.out.jsonl");
  const args = [
    main,
    "perturb",
    ...M,
    "--pack",
    pack,
    "--input",
    input,
    "--output",
    output,
    "--format",
    "jsonl",
    "--threads",
    "1",
    "--checkpoint-every",
    "3000",
  ];
  const first = await killAtFirstCheckpoint(args, output);
  const saved = JSON.parse(readFileSync(checkpointPath(output), "utf8")) as { records: number; outputBytes: number };
  assert.ok(saved.records > 0 && saved.records < n, `killed mid-run (${saved.records} of ${n} records checkpointed; exit ${first})`);
  const before = readFileSync(output).subarray(0, saved.outputBytes);
  const again = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 120_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`resumed after ${saved.records.toLocaleString("en")}`));
  const after = readFileSync(output);
  assert.ok(after.subarray(0, saved.outputBytes).equals(before), "the records before the checkpoint are not privatized again");
  const ids = after
    .toString("utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { id: number }).id);
  assert.deepEqual(
    ids,
    Array.from({ length: n }, (_, i) => i),
  );
  assert.ok(!existsSync(checkpointPath(output)));
});

test("an output without a checkpoint is never overwritten; a bad record is named by its line, not quoted", () => {
  const input = path.join(dir, "bad.jsonl");
  writeFileSync(
    input,
    [JSON.stringify({ text: "the cat" }), JSON.stringify({ text: "the dog" }), "{ not json Qzxsecret", JSON.stringify({ text: 5 })].join("\n") + "\n",
  );
  const output = path.join(dir, "bad.out");
  const r = veil(["perturb", ...M, "--pack", pack, "--input", input, "--output", output, "--format", "jsonl"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /line 3: it is not valid JSON/);
  assert.ok(!r.err.includes("Qzxsecret"), "the record's content is not in the message");
  const done = path.join(dir, "plain.out"); // finished by the first test
  const again = veil(["perturb", ...M, "--pack", pack, "--input", path.join(dir, "plain.txt"), "--output", done]);
  assert.equal(again.code, 1);
  assert.match(again.err, /release them twice/);
  assert.equal(veil(["perturb", ...M, "--pack", pack, "--input", input]).code, 2, "--input without --output is a usage error");
});

/** Runs the command and SIGKILLs it as soon as its first checkpoint file appears (an fs.watch event, no polling); resolves with its exit signal. */
function killAtFirstCheckpoint(args: string[], output: string): Promise<string | number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    const watcher = watch(path.dirname(output), (_event, name) => {
      if (name === path.basename(checkpointPath(output)) && existsSync(checkpointPath(output))) child.kill("SIGKILL");
    });
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error("no checkpoint within 60 s"))), 60_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      watcher.close();
      resolve(signal ?? code);
    });
  });
}
