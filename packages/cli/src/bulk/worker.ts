// A bulk worker thread: loads the pack once, then privatizes batches of records
// with perturb() (the same law as one call per record) and posts the lines back.
import { parentPort, workerData } from "node:worker_threads";
import { readFile } from "node:fs/promises";
import { createVeil, type BackendPreference, type PerturbOptions } from "@veil/core";
import { privatizeRecord } from "./privatize.js";
import type { RecordFormat } from "./records.js";

interface Setup {
  pack: string;
  backend: BackendPreference;
  options: PerturbOptions;
  format: RecordFormat;
  /** Testing only: the seeded generator of @veil/core/testing. */
  seed?: number;
}

const setup = workerData as Setup;
const veil = await createVeil({ pack: await readFile(setup.pack), backend: setup.backend });
if (setup.seed !== undefined) {
  const { useSeededRandom } = await import("@veil/core/testing");
  useSeededRandom(veil, setup.seed);
}
parentPort!.on("message", (batch: { id: number; firstLine: number; text: string }) => {
  try {
    const lines = batch.text.split("\n");
    const out = lines.map((line, i) => privatizeRecord(veil, line, batch.firstLine + i, setup.format, setup.options));
    parentPort!.postMessage({ id: batch.id, text: out.join("\n"), count: out.length });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id: batch.id, error: { name: e.name, code: e.code, message: e.message } });
  }
});
parentPort!.postMessage({ ready: true });
