// A collection task: what the analyst fixes before any report is collected
// (docs/collection.md). Both collectors of a pair and every client hold the same
// task; its id is the SHA-256 of its canonical form, so "the same task" is a
// byte comparison and no report field can change a label, a bound or a decimal.
import { MECHANISMS, boundedGrid } from "@veil/core";

/** A yes/no or multiple-choice question answered by k-ary randomized response on the device. */
export interface RrQuestion {
  id: string;
  type: "rr";
  /** One label per answer; k = labels.length. */
  labels: string[];
  epsilon: number;
}

/** A number privatized on the device (clamp, grid, two-sided geometric noise). */
export interface BoundedQuestion {
  id: string;
  type: "bounded";
  lower: number;
  upper: number;
  /** Grid step, a power of two (default: boundedGrid's). */
  step: number;
  epsilon: number;
}

/** One question of a task: a randomized-response answer or a bounded number. */
export type Question = RrQuestion | BoundedQuestion;

/**
 * An exact amount summed across the two collectors with Prio3Sum. The device
 * sends `round((x - lower) * 10^decimals)` as a `bits`-bit integer with a proof
 * that it is one; `bits` is the fewest that hold `(upper - lower) * 10^decimals`.
 */
export interface SumAggregate {
  id: string;
  type: "sum";
  lower: number;
  upper: number;
  decimals: number;
  epsilon: number;
  /** Derived, part of the canonical form: the proof's range is [0, 2^bits). */
  bits: number;
}

/** A category counted across the two collectors with Prio3Histogram. */
export interface HistogramAggregate {
  id: string;
  type: "histogram";
  labels: string[];
  epsilon: number;
  /** Derived, part of the canonical form: Prio3Histogram's chunk length (about sqrt(length)). */
  chunkLength: number;
}

/** One secret-shared aggregate of a task (Prio3Sum or Prio3Histogram). */
export type Aggregate = SumAggregate | HistogramAggregate;

/** How often a batch may be released: "manual" means whenever the analyst asks (still at most once per batch). */
export type ReleaseSchedule = "manual" | "hourly" | "daily" | "weekly";

/** The task, in canonical form (every default filled in, every derived field computed). */
export interface Task {
  version: 1;
  name: string;
  /** The privatized free text, if the task collects one: the mechanism and epsilon per word are fixed. */
  text?: { mechanism: string; epsilon: number };
  questions: Question[];
  aggregates: Aggregate[];
  /** A batch is released only when it holds at least this many valid reports. */
  minBatchSize: number;
  schedule: ReleaseSchedule;
}

/** A task definition that does not parse; the message names the first problem. */
export class TaskError extends Error {
  override name = "TaskError";
}

/** The task format this package reads and writes. */
export const TASK_VERSION = 1;
/** A batch is released only with at least this many valid reports, unless the task says more (docs/collection.md). */
export const DEFAULT_MIN_BATCH_SIZE = 100;
const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SCHEDULES: readonly ReleaseSchedule[] = ["manual", "hourly", "daily", "weekly"];
/** Prio3Sum's proof grows with the bits; 40 bits holds any amount a form asks for. */
const MAX_SUM_BITS = 40;

/** Parses and checks a task definition (e.g. the JSON file given to `veil-collector task create`); returns its canonical form. */
export function parseTask(raw: unknown): Task {
  const t = obj(raw, "task");
  only(t, "task", ["version", "name", "text", "questions", "aggregates", "minBatchSize", "schedule"]);
  if (t.version !== TASK_VERSION) bad(`task.version must be ${TASK_VERSION}`);
  const task: Task = {
    version: 1,
    name: ident(t.name, "task.name"),
    questions: list(t.questions ?? [], "task.questions", 50).map((q, i) => question(q, `task.questions[${i}]`)),
    aggregates: list(t.aggregates ?? [], "task.aggregates", 10).map((a, i) => aggregate(a, `task.aggregates[${i}]`)),
    minBatchSize: t.minBatchSize === undefined ? DEFAULT_MIN_BATCH_SIZE : int(t.minBatchSize, "task.minBatchSize", 2, 1e9),
    schedule: t.schedule === undefined ? "daily" : oneOf(t.schedule, "task.schedule", SCHEDULES),
  };
  if (t.text !== undefined) task.text = textField(t.text);
  const ids = [...task.questions, ...task.aggregates].map((x) => x.id);
  const dup = ids.find((x, i) => ids.indexOf(x) !== i);
  if (dup) bad(`the id ${JSON.stringify(dup)} is used twice`);
  if (!task.text && ids.length === 0) bad("the task collects nothing: give text, questions or aggregates");
  return task;
}

function textField(raw: unknown): { mechanism: string; epsilon: number } {
  const x = obj(raw, "task.text");
  only(x, "task.text", ["mechanism", "epsilon"]);
  return { mechanism: oneOf(x.mechanism, "task.text.mechanism", MECHANISMS), epsilon: epsilon(x.epsilon, "task.text.epsilon", 10_000) };
}

function question(raw: unknown, path: string): Question {
  const q = obj(raw, path);
  const id = ident(q.id, `${path}.id`);
  if (q.type === "rr") {
    only(q, path, ["id", "type", "labels", "epsilon"]);
    return { id, type: "rr", labels: labels(q.labels, `${path}.labels`), epsilon: epsilon(q.epsilon, `${path}.epsilon`) };
  }
  if (q.type === "bounded") {
    only(q, path, ["id", "type", "lower", "upper", "step", "epsilon"]);
    const lower = finite(q.lower, `${path}.lower`);
    const upper = finite(q.upper, `${path}.upper`);
    let step: number;
    try {
      step = boundedGrid(lower, upper, q.step === undefined ? undefined : finite(q.step, `${path}.step`)).step;
    } catch (e) {
      return bad(`${path}: ${(e as Error).message}`);
    }
    return { id, type: "bounded", lower, upper, step, epsilon: epsilon(q.epsilon, `${path}.epsilon`) };
  }
  return bad(`${path}.type must be "rr" or "bounded"`);
}

function aggregate(raw: unknown, path: string): Aggregate {
  const a = obj(raw, path);
  const id = ident(a.id, `${path}.id`);
  if (a.type === "sum") {
    only(a, path, ["id", "type", "lower", "upper", "decimals", "epsilon", "bits"]);
    const lower = finite(a.lower, `${path}.lower`);
    const upper = finite(a.upper, `${path}.upper`);
    const decimals = int(a.decimals ?? 0, `${path}.decimals`, 0, 6);
    if (!(lower < upper)) bad(`${path}: lower must be below upper`);
    const units = Math.round((upper - lower) * 10 ** decimals);
    const bits = Math.max(1, Math.ceil(Math.log2(units + 1)));
    if (bits > MAX_SUM_BITS) bad(`${path}: (upper - lower) * 10^decimals must be below 2^${MAX_SUM_BITS}`);
    if (a.bits !== undefined && a.bits !== bits) bad(`${path}.bits is derived from the bounds (${bits}); leave it out`);
    return { id, type: "sum", lower, upper, decimals, epsilon: epsilon(a.epsilon, `${path}.epsilon`), bits };
  }
  if (a.type === "histogram") {
    only(a, path, ["id", "type", "labels", "epsilon", "chunkLength"]);
    const l = labels(a.labels, `${path}.labels`);
    const chunkLength = Math.max(1, Math.round(Math.sqrt(l.length)));
    if (a.chunkLength !== undefined && a.chunkLength !== chunkLength) bad(`${path}.chunkLength is derived from the labels (${chunkLength}); leave it out`);
    return { id, type: "histogram", labels: l, epsilon: epsilon(a.epsilon, `${path}.epsilon`), chunkLength };
  }
  return bad(`${path}.type must be "sum" or "histogram"`);
}

/**
 * The canonical form as text: keys sorted, no whitespace. Two parties holding
 * the same task produce the same bytes, whatever order their files used.
 */
export function canonicalTask(task: Task): string {
  return canonicalJson(parseTask(task));
}

function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (x && typeof x === "object")
    return `{${Object.keys(x)
      .sort()
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(x);
}

/** The task's id: hex SHA-256 of its canonical form (WebCrypto, so the same in the browser and Node). */
export async function taskId(task: Task): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalTask(task)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Noise tail bound for a bounded question, in the value's units: a privatized
 * value lies within [lower - tail, upper + tail] except with probability below
 * 1e-12. The collector refuses values outside it (they cannot be honest), which
 * caps what one poisoned report moves; refusing values outside [lower, upper]
 * itself would drop honest reports whose noise is large and bias the mean.
 */
export function boundedTail(q: BoundedQuestion): number {
  const g = boundedGrid(q.lower, q.upper, q.step);
  const rate = q.epsilon / g.sensitivityUnits;
  // P(|k| >= m) = 2 e^{-rate m} / (1 + e^{-rate}) <= 2 e^{-rate m}
  const m = Math.ceil(Math.log(2 / 1e-12) / rate);
  return m * q.step;
}

/** The largest amount a Prio3Sum proof admits: lower + (2^bits - 1) / 10^decimals (at least upper). */
export function sumProvenUpper(a: SumAggregate): number {
  return a.lower + (2 ** a.bits - 1) / 10 ** a.decimals;
}

/** The DP noise's sensitivity for an aggregate, in its integer units: what one report can move. */
export function aggregateSensitivity(a: Aggregate): number {
  // A sum: any value the proof admits (the proof, not the client, bounds it). A histogram: replacing one report moves two counts by one.
  return a.type === "sum" ? 2 ** a.bits - 1 : 2;
}

function obj(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) bad(`${path} must be an object`);
  return x as Record<string, unknown>;
}
function only(o: Record<string, unknown>, path: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
}
function list(x: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(x) || x.length > max) bad(`${path} must be an array of at most ${max}`);
  return x as unknown[];
}
function ident(x: unknown, path: string): string {
  if (typeof x !== "string" || !ID.test(x)) bad(`${path} must be 1-64 letters, digits, _ . or -`);
  return x as string;
}
function labels(x: unknown, path: string): string[] {
  if (!Array.isArray(x) || x.length < 2 || x.length > 100 || !x.every((s) => typeof s === "string" && s.length >= 1 && s.length <= 80))
    bad(`${path} must be 2 to 100 strings of 1 to 80 characters`);
  if (new Set(x as string[]).size !== (x as string[]).length) bad(`${path} has a label twice`);
  return [...(x as string[])];
}
function finite(x: unknown, path: string): number {
  if (typeof x !== "number" || !Number.isFinite(x)) bad(`${path} must be a finite number`);
  return x as number;
}
function epsilon(x: unknown, path: string, max = 20): number {
  const v = finite(x, path);
  if (!(v > 0 && v <= max)) bad(`${path} must be in (0, ${max}]`);
  return v;
}
function int(x: unknown, path: string, lo: number, hi: number): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < lo || x > hi) bad(`${path} must be an integer from ${lo} to ${hi}`);
  return x as number;
}
function oneOf<T extends string>(x: unknown, path: string, options: readonly T[]): T {
  if (!options.includes(x as T)) bad(`${path} must be one of ${options.join(", ")}`);
  return x as T;
}
function bad(msg: string): never {
  throw new TaskError(msg);
}
