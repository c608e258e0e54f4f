// `veil perturb --input FILE --output FILE`: a corpus of any size, privatized
// a range of records at a time with perturbBatch() (the same law as one
// perturb() per record), on worker threads, streamed, in order, with a progress
// bar, and resumable: after about `checkpointEvery` records the output is
// fsynced and a checkpoint written, so a run killed at any point and started
// again with the same command goes on from the last checkpoint and never
// privatizes a record already written a second time (a second draw would be a
// second release). Outputs are written only at checkpoints (OrderedWriter), so
// that holds however small the ranges the workers are given.
//
// The input is cut into byte ranges that end just after a newline; each worker
// reads its ranges from the file itself and sends back the privatized lines as
// one string, so the main thread only plans ranges and writes results in order.
import { open, readFile, rename, stat, truncate, unlink, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { VeilError, readPack, type BackendPreference, type PerturbOptions } from "@veil/core";
import { shareEmbedding, type SharedEmbedding } from "@veil/core/internal";
import { readPackFile } from "../paths.js";
import { progressBar } from "../progress.js";
import { BulkRecordError, type RecordFormat } from "./records.js";

/** What a bulk run needs. */
export interface BulkOptions {
  input: string;
  output: string;
  format: RecordFormat;
  pack: string;
  backend: BackendPreference;
  options: PerturbOptions;
  threads: number;
  /** About how many records between checkpoints (default 10,000): each range holds about this many. */
  checkpointEvery?: number;
  /** Testing only: seeded randomness (worker i gets seed + i). */
  seed?: number;
}

/** What a bulk run did. */
export interface BulkReport {
  records: number;
  resumedFrom: number;
  seconds: number;
  /** Of `seconds`, the part before the first record: the pack read and verified, the workers started. */
  loadSeconds: number;
  /** Records privatized per second of the whole run. */
  recordsPerSecond: number;
}

/** Where the run records how far it got, beside the output. */
export const checkpointPath = (output: string): string => `${output}.veil-checkpoint`;

interface Checkpoint {
  version: 2;
  /** The input file and run settings it belongs to: another input or setting is refused. */
  input: { path: string; size: number; mtimeMs: number };
  settings: string;
  records: number;
  outputBytes: number;
  /** Where the next range starts in the input, and the number of its first line. */
  inputOffset: number;
  line: number;
}

type Position = Pick<Checkpoint, "records" | "outputBytes" | "inputOffset" | "line">;

/** Privatizes every record of `input` into `output` (see the file comment). */
export async function runBulk(o: BulkOptions): Promise<BulkReport> {
  const t0 = performance.now();
  const { input, at } = await startingPoint(o);
  const out = await openOutput(o.output, at);
  const pool = await WorkerPool.start(o);
  const loadSeconds = (performance.now() - t0) / 1000;
  const bar = progressBar("perturb ");
  const writer = new OrderedWriter(out, at, o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY, (p) => {
    bar.update(p.inputOffset, input.size, " bytes");
    return saveCheckpoint(o, input, out, p);
  });
  // Whatever fails, what was accepted is written and the output closed; the last checkpoint stands for a rerun.
  let failure: unknown = null;
  await feed(o, input.size, at, pool, writer).catch((e) => (failure = e));
  await pool.stop().catch((e) => (failure ??= e));
  await writer.drained().catch((e) => (failure ??= e));
  if (!failure) await out.sync();
  await out.close();
  if (failure) throw failure;
  await unlink(checkpointPath(o.output)).catch(() => undefined); // finished: the output is whole
  const records = writer.position.records;
  bar.done(`${records.toLocaleString("en")} records${at.records ? `, resumed after ${at.records.toLocaleString("en")}` : ""}`);
  const seconds = (performance.now() - t0) / 1000;
  return { records, resumedFrom: at.records, seconds, loadSeconds, recordsPerSecond: (records - at.records) / seconds };
}

/** Where to start: from scratch, or from a checkpoint that matches this input and these settings. */
async function startingPoint(o: BulkOptions): Promise<{ input: Checkpoint["input"]; at: Position }> {
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
    return { input, at: { records: 0, outputBytes: 0, inputOffset: 0, line: 1 } };
  }
  const same = saved.version === 2 && saved.input.path === input.path && saved.input.size === input.size && saved.input.mtimeMs === input.mtimeMs;
  if (!same || saved.settings !== settingsKey(o))
    throw new VeilError(
      "BULK_CHECKPOINT",
      `${checkpointPath(o.output)} belongs to another input or other settings; resume with the same command, or remove the output and its checkpoint.`,
    );
  return { input, at: { records: saved.records, outputBytes: saved.outputBytes, inputOffset: saved.inputOffset, line: saved.line } };
}

/** The settings that must not change between a run and its resumption. */
function settingsKey(o: BulkOptions): string {
  return JSON.stringify({ format: o.format, options: o.options, pack: path.resolve(o.pack), seed: o.seed ?? null, every: o.checkpointEvery ?? null });
}

async function openOutput(output: string, at: Position): Promise<FileHandle> {
  if (at.records === 0 && at.inputOffset === 0) return open(output, "wx", 0o600);
  await truncate(output, at.outputBytes); // drop what was written after the last checkpoint
  return open(output, "a");
}

/** fsync the output, then write the checkpoint beside it (temporary file and rename: never half written). */
async function saveCheckpoint(o: BulkOptions, input: Checkpoint["input"], out: FileHandle, p: Position): Promise<void> {
  await out.sync();
  const c: Checkpoint = { version: 2, input, settings: settingsKey(o), ...p };
  const tmp = `${checkpointPath(o.output)}.tmp`;
  await writeFile(tmp, JSON.stringify(c));
  await rename(tmp, checkpointPath(o.output));
}

/** Plans the ranges from the starting offset to the end of the input and hands them to the pool, in order. */
async function feed(o: BulkOptions, size: number, at: Position, pool: WorkerPool, writer: OrderedWriter): Promise<void> {
  const fh = await open(o.input, "r");
  try {
    const rangeBytes = await rangeSize(fh, size, o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
    for (let start = at.inputOffset; start < size;) {
      const end = await rangeEnd(fh, start + rangeBytes, size);
      await pool.submit(start, end, writer);
      start = end;
    }
  } finally {
    await fh.close();
  }
}

/** Records between checkpoints unless `checkpointEvery` says otherwise. */
const DEFAULT_CHECKPOINT_EVERY = 10_000;

/**
 * The largest range. 10,000 SST-2 sentences in one range made a worker allocate
 * megabytes of strings and arrays that V8 maps afresh each time: on 30 MB, 135,000
 * page faults and a fifth of the run's CPU in the kernel. With 64 KB ranges:
 * 59,000 faults (42,000 of them loading), and privatizing 2.6 s instead of 3.7 s
 * on one thread (one run each).
 */
const RANGE_BYTES_MAX = 64 << 10;

/** Bytes per range: about `records` lines, from the mean line length of the first 64 KB; at least 4 KB, at most RANGE_BYTES_MAX. */
async function rangeSize(fh: FileHandle, size: number, records: number): Promise<number> {
  const head = Buffer.alloc(Math.min(size, 65_536));
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  let lines = 0;
  for (let i = 0; i < bytesRead; i++) if (head[i] === 10) lines++;
  const meanLine = bytesRead / Math.max(1, lines);
  return Math.max(4096, Math.min(RANGE_BYTES_MAX, Math.round(meanLine * records)));
}

/** The end of a range aimed at `target`: just after the first newline from there (or the end of the input). */
async function rangeEnd(fh: FileHandle, target: number, size: number): Promise<number> {
  const buf = Buffer.alloc(65_536);
  for (let at = target; at < size; at += buf.length) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0) return at + nl + 1;
  }
  return size;
}

/**
 * A finished range: its privatized lines (joined, newline-terminated) as UTF-8, how
 * many, and where it ended in the input. The worker encodes them and transfers the
 * bytes, so the main thread neither copies, measures, joins nor encodes a string:
 * with two workers on two cores, whatever it does per byte is taken from them.
 */
interface RangeResult {
  bytes: Uint8Array;
  count: number;
  end: number;
}

/**
 * Writes ranges in input order, whatever order the workers finish in. The ranges
 * are small (a worker's working set stays in the cache, and the last ones
 * spread over every worker), so their outputs are held until about `every`
 * records have come, then written, fsynced and checkpointed together: no record
 * is written that a checkpoint will not cover soon, as when a range was a
 * checkpoint's worth. A range that failed is reported when its turn comes, with
 * its line number counted from the ranges before it, after what came before it
 * is written.
 */
class OrderedWriter {
  /** Where the output stands on disk (the last checkpoint). */
  position: Position;
  /** Where it will stand once the held outputs are written. */
  #ahead: Position;
  #held: Uint8Array[] = [];
  #next = 0;
  #waiting = new Map<number, RangeResult | { failed: { lineInRange: number; what: string } }>();
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  constructor(
    private readonly out: FileHandle,
    at: Position,
    private readonly every: number,
    private readonly afterWrite: (p: Position) => Promise<void>,
  ) {
    this.position = { ...at };
    this.#ahead = { ...at };
  }

  put(id: number, r: RangeResult | { failed: { lineInRange: number; what: string } }): void {
    this.#waiting.set(id, r);
    this.#chain = this.#chain.then(() => this.#flush()).catch((e) => void (this.#failure ??= e));
  }

  async #flush(): Promise<void> {
    for (let r = this.#waiting.get(this.#next); r; r = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next++);
      if ("failed" in r) {
        await this.#commit();
        throw new BulkRecordError(this.position.line + r.failed.lineInRange, r.failed.what);
      }
      const p = this.#ahead;
      this.#held.push(r.bytes);
      this.#ahead = { records: p.records + r.count, outputBytes: p.outputBytes + r.bytes.length, inputOffset: r.end, line: p.line + r.count };
      if (this.#ahead.records - this.position.records >= this.every) await this.#commit();
    }
  }

  /** Writes the held outputs and checkpoints after them. */
  async #commit(): Promise<void> {
    if (this.#held.length === 0) return;
    await this.out.writev(this.#held);
    this.#held = [];
    this.position = this.#ahead;
    await this.afterWrite(this.position);
  }

  /** Resolves once everything accepted is written; rethrows a write failure or a bad record. */
  async drained(): Promise<void> {
    await this.#chain;
    if (!this.#failure) await this.#commit().catch((e) => void (this.#failure ??= e));
    if (this.#failure) throw this.#failure;
  }

  get failed(): boolean {
    return this.#failure !== null;
  }
}

/** The pack read and verified once, for every worker (shared-embedding.ts in @veil/core says why). */
async function readSharedPack(file: string): Promise<SharedEmbedding> {
  const bytes = await readPackFile(file);
  return shareEmbedding(await readPack(bytes, { adopt: true }));
}

/**
 * Worker threads, each with the pack loaded, reading and privatizing ranges; at most two
 * ranges in flight per worker, each new range to the worker with the fewest (so a worker
 * that a busy core slows down never holds ranges another could be doing).
 */
class WorkerPool {
  #workers: Worker[] = [];
  /** Ranges in flight per worker. */
  #queued: number[] = [];
  #ids = 0;
  #room: (() => void) | null = null;
  #failure: Error | null = null;

  static async start(o: BulkOptions): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const embedding = await readSharedPack(o.pack);
    await Promise.all(
      Array.from({ length: o.threads }, (_, i) => {
        const w = new Worker(new URL("./worker.js", import.meta.url), {
          workerData: {
            input: o.input,
            embedding,
            backend: o.backend,
            options: o.options,
            format: o.format,
            ...(o.seed !== undefined && { seed: o.seed + i }),
          },
        });
        pool.#workers.push(w);
        pool.#queued.push(0);
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
    this.#wake();
  }

  #wake(): void {
    this.#room?.();
    this.#room = null;
  }

  /** Sends range [start, end) to the next worker, waiting while every worker already has two (or the writer has failed). */
  async submit(start: number, end: number, writer: OrderedWriter): Promise<void> {
    while (this.#inFlight() >= 2 * this.#workers.length && !this.#failure) await new Promise<void>((r) => (this.#room = r));
    if (this.#failure) throw this.#failure;
    if (writer.failed) return writer.drained(); // a bad record ahead: stop reading
    const id = this.#ids++;
    const k = this.#leastLoaded();
    const w = this.#workers[k]!;
    this.#queued[k]!++;
    const onMessage = (m: {
      id: number;
      bytes?: Uint8Array;
      count?: number;
      failed?: { lineInRange: number; what: string };
      error?: { message: string; code?: string };
    }) => {
      if (m.id !== id) return;
      w.off("message", onMessage);
      this.#queued[k]!--;
      if (m.error) this.#failure ??= new VeilError(m.error.code ?? "BULK_WORKER", m.error.message);
      else writer.put(id, m.failed ? { failed: m.failed } : { bytes: m.bytes!, count: m.count!, end });
      this.#wake();
    };
    w.on("message", onMessage);
    w.postMessage({ id, start, end });
  }

  /** Ranges in flight over all workers. */
  #inFlight(): number {
    return this.#queued.reduce((a, b) => a + b, 0);
  }

  /** The worker with the fewest ranges in flight (the first of them on a tie). */
  #leastLoaded(): number {
    let best = 0;
    for (let k = 1; k < this.#queued.length; k++) if (this.#queued[k]! < this.#queued[best]!) best = k;
    return best;
  }

  /** Waits for the ranges in flight, then stops the workers; rethrows a worker's failure. */
  async stop(): Promise<void> {
    while (this.#inFlight() > 0 && !this.#failure) await new Promise<void>((r) => (this.#room = r));
    await Promise.all(this.#workers.map((w) => w.terminate()));
    if (this.#failure) throw this.#failure;
  }
}
