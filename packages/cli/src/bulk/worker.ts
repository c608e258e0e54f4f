// A bulk worker thread: loads the pack once, then reads byte ranges of the input
// itself and privatizes each line with perturb() (the same law as one call per
// record), posting the range's output back as one string.
import { parentPort, workerData } from "node:worker_threads";
import { openSync, readFileSync, readSync } from "node:fs";
import { createVeil, type BackendPreference, type PerturbOptions } from "@veil/core";
import { privatizeRecord } from "./privatize.js";
import { RecordProblem, type RecordFormat } from "./records.js";

interface Setup {
  input: string;
  pack: string;
  backend: BackendPreference;
  options: PerturbOptions;
  format: RecordFormat;
  /** Testing only: the seeded generator of @veil/core/testing. */
  seed?: number;
}

const setup = workerData as Setup;
const veil = await createVeil({ pack: readFileSync(setup.pack), backend: setup.backend });
if (setup.seed !== undefined) {
  const { useSeededRandom } = await import("@veil/core/testing");
  useSeededRandom(veil, setup.seed);
}
const fd = openSync(setup.input, "r");

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
  const lines = readLines(m.start, m.end);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      out.push(privatizeRecord(veil, lines[i]!, setup.format, setup.options));
    } catch (err) {
      if (err instanceof RecordProblem) return parentPort!.postMessage({ id: m.id, failed: { lineInRange: i, what: err.message } });
      const e = err as Error & { code?: string };
      return parentPort!.postMessage({ id: m.id, error: { code: e.code, message: `${e.name}: ${e.message}` } });
    }
  }
  parentPort!.postMessage({ id: m.id, text: out.length ? out.join("\n") + "\n" : "", count: out.length });
});
parentPort!.postMessage({ ready: true });
