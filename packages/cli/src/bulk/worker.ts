// A bulk worker thread: takes the pack the main thread read and verified (in
// shared memory), then reads byte ranges of the input itself and privatizes each
// range's lines with one perturbBatch() (privatize.ts: the same law as one
// perturb() per record), posting the range's output back as UTF-8 bytes.
import { parentPort, workerData } from "node:worker_threads";
import { openSync, readSync } from "node:fs";
import { createVeil, type BackendPreference, type PerturbOptions } from "@veil/core";
import { embeddingFromShared, type SharedEmbedding } from "@veil/core/internal";
import { privatizeRecords, type RangeOutcome } from "./privatize.js";
import type { RecordFormat } from "./records.js";

interface Setup {
  input: string;
  embedding: SharedEmbedding;
  backend: BackendPreference;
  options: PerturbOptions;
  format: RecordFormat;
  /** Testing only: the seeded generator of @veil/core/testing. */
  seed?: number;
}

const setup = workerData as Setup;
const veil = await createVeil({ pack: embeddingFromShared(setup.embedding), backend: setup.backend });
if (setup.seed !== undefined) {
  const { useSeededRandom } = await import("@veil/core/testing");
  useSeededRandom(veil, setup.seed);
}
const fd = openSync(setup.input, "r");
const utf8 = new TextEncoder();

/** The lines of input[start, end): the range ends after a newline (or at the end), so it splits no character. */
function readLines(start: number, end: number): string[] {
  const buf = Buffer.alloc(end - start);
  let got = 0;
  for (let n = 1; got < buf.length && n > 0; got += n) n = readSync(fd, buf, got, buf.length - got, start + got);
  const lines = buf.subarray(0, got).toString("utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)); // CR LF counts as one line end
}

parentPort!.on("message", (m: { id: number; start: number; end: number }) => {
  let r: RangeOutcome;
  try {
    r = privatizeRecords(veil, readLines(m.start, m.end), setup.format, setup.options);
  } catch (err) {
    const e = err as Error & { code?: string };
    return parentPort!.postMessage({ id: m.id, error: { code: e.code, message: `${e.name}: ${e.message}` } });
  }
  if ("failed" in r) return parentPort!.postMessage({ id: m.id, failed: r.failed });
  // UTF-8 here, transferred: the main thread only writes bytes (bulk.ts, RangeResult).
  const bytes = utf8.encode(r.lines.length ? r.lines.join("\n") + "\n" : "");
  parentPort!.postMessage({ id: m.id, bytes, count: r.lines.length }, [bytes.buffer]);
});
parentPort!.postMessage({ ready: true });
