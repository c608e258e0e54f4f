// The report a browser sends (version 1). Validated field by field; anything
// unexpected is refused with the path of the first problem, and never stored.
import { MECHANISMS, boundedGrid, shareFromString } from "@veil/core";

export const REPORT_VERSION = 1;
export const MAX_REPORT_BYTES = 64 * 1024;
export const MAX_TEXT_CHARS = 20_000;

export interface RrAnswer {
  question: string;
  type: "rr";
  k: number;
  epsilon: number;
  value: number;
  labels?: string[];
}
export interface BoundedAnswer {
  question: string;
  type: "bounded";
  lower: number;
  upper: number;
  step: number;
  epsilon: number;
  value: number;
}
export type Answer = RrAnswer | BoundedAnswer;

export interface ShareEntry {
  /** Name of the secret-shared sum, e.g. "amount". */
  sum: string;
  decimals: number;
  lower: number;
  upper: number;
  /** This server's share: decimal string of an unsigned 64-bit integer. */
  share: string;
}

export interface Report {
  version: 1;
  form: string;
  ledger: { id: string; seq: number };
  text?: { mechanism: string; epsilon: number; value: string };
  answers?: Answer[];
  shares?: ShareEntry[];
}

export class ReportError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseReport(raw: unknown): Report {
  const r = obj(raw, "report");
  if (r.version !== REPORT_VERSION)
    throw new ReportError(400, `unknown report version ${JSON.stringify(r.version)}: this collector accepts version ${REPORT_VERSION}.`);
  only(r, "report", ["version", "form", "ledger", "text", "answers", "shares"]);
  const form = name(r.form, "form");
  const l = obj(r.ledger, "ledger");
  only(l, "ledger", ["id", "seq"]);
  if (typeof l.id !== "string" || !/^[0-9a-f]{32}$/.test(l.id)) bad("ledger.id must be 32 hex digits");
  const seq = int(l.seq, "ledger.seq", 1, Number.MAX_SAFE_INTEGER);
  const report: Report = { version: 1, form, ledger: { id: l.id as string, seq } };
  if (r.text !== undefined) {
    const t = obj(r.text, "text");
    only(t, "text", ["mechanism", "epsilon", "value"]);
    if (!(MECHANISMS as readonly string[]).includes(t.mechanism as string)) bad(`text.mechanism must be one of ${MECHANISMS.join(", ")}`);
    if (typeof t.value !== "string" || t.value.length === 0 || t.value.length > MAX_TEXT_CHARS)
      bad(`text.value must be a string of 1 to ${MAX_TEXT_CHARS} characters`);
    report.text = { mechanism: t.mechanism as string, epsilon: eps(t.epsilon, "text.epsilon"), value: t.value as string };
  }
  if (r.answers !== undefined) {
    if (!Array.isArray(r.answers) || r.answers.length > 50) bad("answers must be an array of at most 50");
    report.answers = (r.answers as unknown[]).map((a, i) => answer(a, `answers[${i}]`));
  }
  if (r.shares !== undefined) {
    if (!Array.isArray(r.shares) || r.shares.length > 10) bad("shares must be an array of at most 10");
    report.shares = (r.shares as unknown[]).map((s, i) => shareEntry(s, `shares[${i}]`));
  }
  if (!report.text && !report.answers?.length && !report.shares?.length) bad("the report is empty: send text, answers or shares");
  return report;
}

function answer(raw: unknown, path: string): Answer {
  const a = obj(raw, path);
  const question = name(a.question, `${path}.question`);
  const epsilon = eps(a.epsilon, `${path}.epsilon`);
  if (a.type === "rr") {
    only(a, path, ["question", "type", "k", "epsilon", "value", "labels"]);
    const k = int(a.k, `${path}.k`, 2, 100);
    const value = int(a.value, `${path}.value`, 0, k - 1);
    const out: RrAnswer = { question, type: "rr", k, epsilon, value };
    if (a.labels !== undefined) {
      if (!Array.isArray(a.labels) || a.labels.length !== k || !a.labels.every((x) => typeof x === "string" && x.length <= 80))
        bad(`${path}.labels must be ${k} strings`);
      out.labels = a.labels as string[];
    }
    return out;
  }
  if (a.type === "bounded") {
    only(a, path, ["question", "type", "lower", "upper", "step", "epsilon", "value"]);
    const lower = num(a.lower, `${path}.lower`);
    const upper = num(a.upper, `${path}.upper`);
    const step = num(a.step, `${path}.step`);
    try {
      boundedGrid(lower, upper, step);
    } catch (e) {
      bad(`${path}: ${(e as Error).message}`);
    }
    const value = num(a.value, `${path}.value`);
    if (!Number.isInteger(value / step)) bad(`${path}.value must be a multiple of step (privatized values are)`);
    return { question, type: "bounded", lower, upper, step, epsilon, value };
  }
  return bad(`${path}.type must be "rr" or "bounded"`);
}

function shareEntry(raw: unknown, path: string): ShareEntry {
  const s = obj(raw, path);
  only(s, path, ["sum", "decimals", "lower", "upper", "share"]);
  const sum = name(s.sum, `${path}.sum`);
  const decimals = int(s.decimals, `${path}.decimals`, 0, 6);
  const lower = num(s.lower, `${path}.lower`);
  const upper = num(s.upper, `${path}.upper`);
  if (!(lower < upper)) bad(`${path}: lower must be below upper`);
  try {
    shareFromString(s.share);
  } catch {
    bad(`${path}.share must be a decimal string of an unsigned 64-bit integer`);
  }
  return { sum, decimals, lower, upper, share: s.share as string };
}

function obj(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) bad(`${path} must be an object`);
  return x as Record<string, unknown>;
}
function only(o: Record<string, unknown>, path: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
}
function name(x: unknown, path: string): string {
  if (typeof x !== "string" || !NAME.test(x)) bad(`${path} must be 1-64 letters, digits, _ . or -`);
  return x as string;
}
function num(x: unknown, path: string): number {
  if (typeof x !== "number" || !Number.isFinite(x)) bad(`${path} must be a finite number`);
  return x as number;
}
function eps(x: unknown, path: string): number {
  const v = num(x, path);
  if (!(v > 0 && v <= 1000)) bad(`${path} must be in (0, 1000]`);
  return v;
}
function int(x: unknown, path: string, lo: number, hi: number): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < lo || x > hi) bad(`${path} must be an integer from ${lo} to ${hi}`);
  return x as number;
}
function bad(msg: string): never {
  throw new ReportError(422, msg);
}
