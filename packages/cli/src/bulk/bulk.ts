// `veil perturb --input FILE --output FILE`: a corpus of any size, privatized
// record by record with perturb() (the same law as one call per record), on
// worker threads, streamed, in order, with a progress bar, and resumable: every
// `checkpointEvery` records the output is fsynced and a checkpoint written, so a
// run killed at any point and started again with the same command goes on from
// the last checkpoint and never privatizes a record already written a second
// time (a second draw for the same record would be a second release of it).
import { createReadStream } from "node:fs";
import { open, readFile, rename, stat, truncate, unlink, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import { VeilError, type BackendPreference, type PerturbOptions } from "@veil/core";
import { progressBar } from "../progress.js";
import type { RecordFormat } from "./records.js";

/** What a bulk run needs. */
export interface BulkOptions {
  input: string;
  output: string;
  format: RecordFormat;
  pack: string;
  backend: BackendPreference;
  options: PerturbOptions;
  threads: number;
  /** Records between checkpoints (default 10,000). */
  checkpointEvery?: number;
  /** Records per batch sent to a worker (default 2,048). */
  batchSize?: number;
  /** Testing only: seeded randomness (worker i gets seed + i). */
  seed?: number;
}

/** What a bulk run did. */
export interface BulkReport {
  records: number;
  resumedFrom: number;
  seconds: number;
  recordsPerSecond: number;
}

/** Where the run records how far it got, beside the output. */
export const checkpointPath = (output: string): string => `${output}.veil-checkpoint`;

interface Checkpoint {
  version: 1;
  /** The input file and run settings it belongs to: another input or setting is refused. */
  input: { path: string; size: number; mtimeMs: number };
  settings: string;
  records: number;
  outputBytes: number;
}

/** Privatizes every record of `input` into `output` (see the file comment). */
export async function runBulk(o: BulkOptions): Promise<BulkReport> {
  const t0 = performance.now();
  const start = await startingPoint(o);
  const out = await openOutput(o.output, start);
  const pool = await WorkerPool.start(o);
  const bar = progressBar("perturb ");
  let written = start.records;
  const writer = new OrderedWriter(out, start.outputBytes, async (records, bytes) => {
    written = start.records + records;
    if (records % (o.checkpointEvery ?? 10_000) === 0) await saveCheckpoint(o, start.input, out, written, bytes);
  });
  // Whatever fails, what was accepted is written and the output closed; the last checkpoint stands for a rerun.
  let failure: unknown = null;
  await feed(o, start.records, pool, writer, (bytesRead) => bar.update(bytesRead, start.input.size, " bytes")).catch((e) => (failure = e));
  await pool.stop().catch((e) => (failure ??= e));
  await writer.drained().catch((e) => (failure ??= e));
  if (!failure) await out.sync();
  await out.close();
  if (failure) throw failure;
  await unlink(checkpointPath(o.output)).catch(() => undefined); // finished: the output is whole
  bar.done(`${written.toLocaleString("en")} records${start.records ? `, resumed after ${start.records.toLocaleString("en")}` : ""}`);
  const seconds = (performance.now() - t0) / 1000;
  return { records: written, resumedFrom: start.records, seconds, recordsPerSecond: (written - start.records) / seconds };
}

/** Where to start: from scratch, or from a checkpoint that matches this input and these settings. */
async function startingPoint(o: BulkOptions): Promise<{ records: number; outputBytes: number; input: Checkpoint["input"] }> {
  const s = await stat(o.input).catch(() => {
    throw new VeilError("BULK_INPUT", `cannot read --input ${o.input}.`);
  });
  const input = { path: path.resolve(o.input), size: s.size, mtimeMs: s.mtimeMs };
  const saved = await readFile(checkpointPath(o.output), "utf8").then(
    (t) => JSON.parse(t) as Checkpoint,
    () => null,
  );
  const outputExists = await stat(o.output).then(
    () => true,
    () => false,
  );
  if (!saved) {
    if (outputExists)
      throw new VeilError(
        "BULK_OUTPUT",
        `${o.output} exists and has no checkpoint (a finished run?). Privatizing the same records again would release them twice: remove it or choose another --output.`,
      );
    return { records: 0, outputBytes: 0, input };
  }
  if (saved.input.path !== input.path || saved.input.size !== input.size || saved.input.mtimeMs !== input.mtimeMs || saved.settings !== settingsKey(o))
    throw new VeilError(
      "BULK_CHECKPOINT",
      `${checkpointPath(o.output)} belongs to another input or other settings; resume with the same command, or remove the output and its checkpoint.`,
    );
  return { records: saved.records, outputBytes: saved.outputBytes, input };
}

/** The settings that must not change between a run and its resumption. */
function settingsKey(o: BulkOptions): string {
  return JSON.stringify({ format: o.format, options: o.options, pack: path.resolve(o.pack), seed: o.seed ?? null });
}

async function openOutput(output: string, start: { records: number; outputBytes: number }): Promise<FileHandle> {
  if (start.records === 0) return open(output, "wx", 0o600);
  await truncate(output, start.outputBytes); // drop what was written after the last checkpoint
  return open(output, "a");
}

/** fsync the output, then write the checkpoint beside it (temporary file and rename: never half written). */
async function saveCheckpoint(o: BulkOptions, input: Checkpoint["input"], out: FileHandle, records: number, outputBytes: number): Promise<void> {
  await out.sync();
  const c: Checkpoint = { version: 1, input, settings: settingsKey(o), records, outputBytes };
  const tmp = `${checkpointPath(o.output)}.tmp`;
  await writeFile(tmp, JSON.stringify(c));
  await rename(tmp, checkpointPath(o.output));
}

/** Reads the input line by line, skips the records already done, and hands batches to the pool in order. */
async function feed(o: BulkOptions, skip: number, pool: WorkerPool, writer: OrderedWriter, progress: (bytes: number) => void): Promise<void> {
  const stream = createReadStream(o.input, { highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const size = o.batchSize ?? 2048;
  const checkpointEvery = o.checkpointEvery ?? 10_000;
  let batch: string[] = [];
  let lineNo = 0;
  let firstLine = skip + 1;
  for await (const line of lines) {
    lineNo++;
    if (lineNo <= skip) continue;
    batch.push(line);
    // Batches end on checkpoint boundaries, so a checkpoint always falls between two batches.
    if (batch.length === size || (lineNo - skip) % checkpointEvery === 0) {
      await pool.submit(batch, firstLine, writer);
      progress(stream.bytesRead);
      firstLine += batch.length;
      batch = [];
    }
  }
  if (batch.length) await pool.submit(batch, firstLine, writer);
  progress(stream.bytesRead);
}

/**
 * Writes batches in the order they were read, whatever order the workers finish
 * in, and reports the records and bytes written after each batch.
 */
class OrderedWriter {
  #next = 0;
  #waiting = new Map<number, { text: string; count: number }>();
  #records = 0;
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  constructor(
    private readonly out: FileHandle,
    private bytes: number,
    private readonly afterBatch: (records: number, bytes: number) => Promise<void>,
  ) {}

  /** Accepts batch `id` (its `count` lines joined by newlines); writes every batch that is now next in order. */
  put(id: number, text: string, count: number): void {
    this.#waiting.set(id, { text, count });
    this.#chain = this.#chain.then(() => this.#flush()).catch((e) => void (this.#failure ??= e));
  }

  async #flush(): Promise<void> {
    for (let b = this.#waiting.get(this.#next); b; b = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next++);
      const chunk = b.text + "\n";
      await this.out.write(chunk);
      this.bytes += Buffer.byteLength(chunk);
      this.#records += b.count;
      await this.afterBatch(this.#records, this.bytes);
    }
  }

  /** Resolves once everything accepted is written; rethrows a write failure. */
  async drained(): Promise<void> {
    await this.#chain;
    if (this.#failure) throw this.#failure;
  }
}

/** Worker threads, each with the pack loaded, taking batches; at most two batches in flight per worker. */
class WorkerPool {
  #workers: Worker[] = [];
  #inFlight = 0;
  #ids = 0;
  #room: (() => void) | null = null;
  #failure: Error | null = null;

  static async start(o: BulkOptions): Promise<WorkerPool> {
    const pool = new WorkerPool();
    await Promise.all(
      Array.from({ length: o.threads }, (_, i) => {
        const w = new Worker(new URL("./worker.js", import.meta.url), {
          workerData: { pack: o.pack, backend: o.backend, options: o.options, format: o.format, ...(o.seed !== undefined && { seed: o.seed + i }) },
        });
        pool.#workers.push(w);
        w.on("error", (e) => pool.#fail(e));
        w.on("exit", (code) => code !== 0 && code !== 1 && pool.#fail(new VeilError("BULK_WORKER", `a worker thread stopped (exit code ${code}).`)));
        return new Promise<void>((resolve, reject) => {
          w.once("message", () => resolve());
          w.once("error", reject);
        });
      }),
    );
    return pool;
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#room?.();
    this.#room = null;
  }

  /** Sends a batch to the next worker, waiting while every worker already has two. */
  async submit(lines: string[], firstLine: number, writer: OrderedWriter): Promise<void> {
    while (this.#inFlight >= 2 * this.#workers.length && !this.#failure) await new Promise<void>((r) => (this.#room = r));
    if (this.#failure) throw this.#failure;
    const id = this.#ids++;
    const w = this.#workers[id % this.#workers.length]!;
    this.#inFlight++;
    const onMessage = (m: { id: number; text?: string; count?: number; error?: { name: string; message: string; code?: string } }) => {
      if (m.id !== id) return;
      w.off("message", onMessage);
      this.#inFlight--;
      if (m.error) this.#failure ??= Object.assign(new VeilError(m.error.code ?? "BULK_RECORD", m.error.message), { name: m.error.name });
      else writer.put(id, m.text!, m.count!);
      this.#room?.();
      this.#room = null;
    };
    w.on("message", onMessage);
    w.postMessage({ id, firstLine, text: lines.join("\n") }); // one string clones faster than an array of them
  }

  /** Waits for the batches in flight, then stops the workers; rethrows a worker's failure. */
  async stop(): Promise<void> {
    while (this.#inFlight > 0 && !this.#failure) await new Promise<void>((r) => (this.#room = r));
    await Promise.all(this.#workers.map((w) => w.terminate()));
    if (this.#failure) throw this.#failure;
  }
}
