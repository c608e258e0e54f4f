// The report a device sends for a task (version 2), and the one check both
// sides run on it: the client before sending (it refuses a report that does not
// fit its task) and each collector on arrival (it refuses the same reports).
//
// The leader gets the privatized text and answers and the leader's Prio3 input
// shares; the helper gets only the helper's input shares. Both carry the task id
// and the report id, 16 random bytes that are also the Prio3 nonce: nothing
// else identifies the device, and a replay is the same id again.
import { cryptoSource, type RandomSource } from "@veil/core";
import { checkInputShare, decodePublicShare, fromBase64, shardMeasurement, toBase64, vdafFor, wireSizes, type Role } from "./prio3.js";
import { boundedTail, sumProvenUpper, type Aggregate, type Task } from "./task.js";

/** The report format (version 1 was the collector before tasks, with a ledger id; it is refused). */
export const REPORT_VERSION = 2;
/** Bytes of a report id (and Prio3 nonce). */
export const REPORT_ID_BYTES = 16;
/** The longest privatized text a report may carry, in UTF-16 units. */
export const MAX_TEXT_CHARS = 20_000;

/** One aggregate's Prio3 part of a report, base64 on the wire. */
export interface WireShare {
  public: string;
  share: string;
}

/** A report as sent to one collector. */
export interface WireReport {
  version: 2;
  task: string;
  /** 32 hex digits: the random report id and Prio3 nonce. */
  id: string;
  /** Leader only: the privatized text. */
  text?: string;
  /** Leader only: each question's privatized answer (rr: the reported index; bounded: the noised value). */
  answers?: Record<string, number>;
  /** Each aggregate's public share and this collector's input share. */
  prio3?: Record<string, WireShare>;
}

/** What a device has to report: everything already privatized, except the aggregates' exact values, which only travel as Prio3 shares. */
export interface ReportInput {
  text?: string;
  answers?: Record<string, number>;
  /** Each aggregate's exact value: an amount (sum) or a category index (histogram). */
  aggregates?: Record<string, number | string>;
}

/** A report that does not fit its task: refused by the client before sending, and by a collector on arrival. */
export class ReportError extends Error {
  override name = "ReportError";
  constructor(
    /** The HTTP status a collector answers with. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Builds the two reports (leader's and helper's) for one device's answers.
 * Checks everything a collector will check, so a report that would be refused
 * is never sent; shards each aggregate with its validity proof.
 */
export async function buildReports(
  task: Task,
  taskIdHex: string,
  input: ReportInput,
  random: RandomSource = cryptoSource(),
): Promise<{ id: string; leader: WireReport; helper: WireReport }> {
  const nonce = new Uint8Array(REPORT_ID_BYTES);
  random.fill(nonce);
  const id = hex(nonce);
  const leader: WireReport = { version: 2, task: taskIdHex, id };
  const helper: WireReport = { version: 2, task: taskIdHex, id };
  if (task.text) leader.text = input.text ?? "";
  if (task.questions.length) leader.answers = { ...input.answers };
  if (task.aggregates.length) {
    leader.prio3 = {};
    helper.prio3 = {};
    for (const a of task.aggregates) {
      const vdaf = vdafFor(a);
      const shards = await shardMeasurement(vdaf, measurementOf(a, input.aggregates?.[a.id]), nonce, random);
      const pub = toBase64(shards.publicShare);
      leader.prio3[a.id] = { public: pub, share: toBase64(shards.inputShares[0]) };
      helper.prio3[a.id] = { public: pub, share: toBase64(shards.inputShares[1]) };
    }
  }
  checkReportFields(task, "leader", leader);
  checkReportFields(task, "helper", helper);
  return { id, leader, helper };
}

/**
 * The Prio3 measurement for an aggregate's exact value. An amount becomes
 * round((x - lower) * 10^decimals) from its decimal text, so 0.1 + 0.2 never
 * turns into 0.30000000000000004 cents.
 */
export function measurementOf(a: Aggregate, value: unknown): number {
  if (a.type === "histogram") {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= a.labels.length)
      throw new ReportError(422, `${a.id} must be a category index from 0 to ${a.labels.length - 1}`);
    return value;
  }
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^-?\d+(\.\d+)?$/.test(text)) throw new ReportError(422, `${a.id} must be a decimal number`);
  const [int, frac = ""] = text.replace("-", "").split(".");
  if (frac.length > a.decimals) throw new ReportError(422, `${a.id} has at most ${a.decimals} decimals`);
  const x = Number(text);
  if (!(x >= a.lower && x <= a.upper)) throw new ReportError(422, `${a.id} must be in [${a.lower}, ${a.upper}]`);
  const units = BigInt(`${text.startsWith("-") ? "-" : ""}${int}${frac.padEnd(a.decimals, "0")}`) - BigInt(Math.round(a.lower * 10 ** a.decimals));
  return Number(units);
}

/** A report that fits its task, as a collector stores it (Prio3 parts decoded to bytes and checked for length). */
export interface ParsedReport {
  id: string;
  text?: string;
  answers: { question: string; value: number }[];
  prio3: { aggregate: string; publicShare: Uint8Array; inputShare: Uint8Array }[];
}

/**
 * The collector's check of a report against its task, for this collector's
 * role. Anything missing, extra, off the grid, out of range or of the wrong
 * size is refused with the path of the first problem (status 422).
 */
export async function parseReport(task: Task, role: Role, raw: unknown): Promise<ParsedReport> {
  const r = checkReportFields(task, role, raw);
  const parsed: ParsedReport = { id: r.id, answers: [], prio3: [] };
  if (r.text !== undefined) parsed.text = r.text;
  for (const q of r.answers ? task.questions : []) parsed.answers.push({ question: q.id, value: r.answers![q.id]! });
  for (const a of task.aggregates) {
    const vdaf = vdafFor(a);
    const w = r.prio3![a.id]!;
    const publicShare = fromBase64(w.public, `prio3.${a.id}.public`);
    const inputShare = fromBase64(w.share, `prio3.${a.id}.share`);
    try {
      decodePublicShare(vdaf, publicShare);
      checkInputShare(vdaf, role, inputShare);
    } catch (e) {
      throw new ReportError(422, `prio3.${a.id}: ${(e as Error).message}`);
    }
    parsed.prio3.push({ aggregate: a.id, publicShare, inputShare });
  }
  return parsed;
}

/** Field-by-field check of a report's shape against the task (synchronous; no Prio3 decoding). */
export function checkReportFields(task: Task, role: Role, raw: unknown): WireReport {
  const r = obj(raw, "report");
  if (r.version !== REPORT_VERSION)
    throw new ReportError(400, `unknown report version ${JSON.stringify(r.version)}: this collector accepts version ${REPORT_VERSION}.`);
  const leader = role === "leader";
  only(r, "report", [
    "version",
    "task",
    "id",
    ...(leader && task.text ? ["text"] : []),
    ...(leader && task.questions.length ? ["answers"] : []),
    ...(task.aggregates.length ? ["prio3"] : []),
  ]);
  if (typeof r.id !== "string" || !/^[0-9a-f]{32}$/.test(r.id)) bad("id must be 32 lower-case hex digits");
  if (typeof r.task !== "string" || !/^[0-9a-f]{64}$/.test(r.task)) bad("task must be the task's id, 64 lower-case hex digits");
  const out: WireReport = { version: 2, task: r.task as string, id: r.id as string };
  if (leader && task.text) {
    if (typeof r.text !== "string" || r.text.length === 0 || r.text.length > MAX_TEXT_CHARS) bad(`text must be a string of 1 to ${MAX_TEXT_CHARS} characters`);
    out.text = r.text as string;
  }
  if (leader && task.questions.length) out.answers = answers(task, r.answers);
  if (task.aggregates.length) out.prio3 = prio3Fields(task, role, r.prio3);
  return out;
}

function answers(task: Task, raw: unknown): Record<string, number> {
  const a = obj(raw, "answers");
  only(
    a,
    "answers",
    task.questions.map((q) => q.id),
  );
  const out: Record<string, number> = {};
  for (const q of task.questions) {
    const v = a[q.id];
    const path = `answers.${q.id}`;
    if (typeof v !== "number" || !Number.isFinite(v)) bad(`${path} must be a number`);
    if (q.type === "rr") {
      if (!Number.isInteger(v) || v < 0 || v >= q.labels.length) bad(`${path} must be an answer index from 0 to ${q.labels.length - 1}`);
    } else {
      if (!Number.isInteger(v / q.step)) bad(`${path} must be a multiple of ${q.step} (privatized values lie on the grid)`);
      const tail = boundedTail(q);
      if (v < q.lower - tail || v > q.upper + tail)
        bad(`${path} is outside [${q.lower - tail}, ${q.upper + tail}]: no honest report lies there (noise beyond that has probability below 1e-12)`);
    }
    out[q.id] = v;
  }
  return out;
}

function prio3Fields(task: Task, role: Role, raw: unknown): Record<string, WireShare> {
  const p = obj(raw, "prio3");
  only(
    p,
    "prio3",
    task.aggregates.map((a) => a.id),
  );
  const out: Record<string, WireShare> = {};
  for (const a of task.aggregates) {
    const w = obj(p[a.id], `prio3.${a.id}`);
    only(w, `prio3.${a.id}`, ["public", "share"]);
    const sizes = wireSizes(vdafFor(a));
    const expected = role === "leader" ? sizes.leaderShare : sizes.helperShare;
    if (typeof w.public !== "string" || w.public.length !== b64Length(sizes.publicShare))
      bad(`prio3.${a.id}.public must be ${sizes.publicShare} bytes of base64`);
    if (typeof w.share !== "string" || w.share.length !== b64Length(expected))
      bad(`prio3.${a.id}.share must be ${expected} bytes of base64 (the ${role}'s input share)`);
    out[a.id] = { public: w.public as string, share: w.share as string };
  }
  return out;
}

/** What an analyst reads back from an aggregate: the proven range of a sum, as a reminder of what a report could add. */
export function describeAggregate(a: Aggregate): string {
  return a.type === "sum"
    ? `sum of amounts in [${a.lower}, ${a.upper}] with ${a.decimals} decimals (Prio3Sum, ${a.bits} bits: a report's proof admits up to ${sumProvenUpper(a)})`
    : `count of ${a.labels.length} categories (Prio3Histogram)`;
}

const b64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function obj(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) bad(`${path} must be an object`);
  return x as Record<string, unknown>;
}
function only(o: Record<string, unknown>, path: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
  for (const k of keys) if (!(k in o)) bad(`${path} is missing ${JSON.stringify(k)}`);
}
function bad(msg: string): never {
  throw new ReportError(422, msg);
}
