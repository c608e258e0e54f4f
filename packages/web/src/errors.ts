// Errors of the browser package, and how every Veil error crosses the worker
// boundary: structured clone keeps only message/name of an Error, so the worker
// sends a plain record and the page rebuilds an instance of the same class.
import { ERROR_CLASSES, VeilError } from "@veil/core";

/** The worker died (crashed, ran out of memory, or was terminated) while a call was in flight. */
export class WorkerCrashedError extends VeilError {
  override name = "WorkerCrashedError";
  constructor(detail: string) {
    super(
      "WORKER_CRASHED",
      `Veil's worker stopped (${detail}). The call was not completed; call again: a new worker starts and reloads the pack from the cache.`,
    );
  }
}

/** The pack could not be downloaded. */
export class PackFetchError extends VeilError {
  override name = "PackFetchError";
  readonly status: number;
  constructor(url: string, status: number, detail: string, cause?: unknown) {
    super("PACK_FETCH_FAILED", `Could not download the embedding pack from ${url} (${detail}). Check the URL and that the server sends the file.`, { cause });
    this.status = status;
  }
}

/** A plain-object error that survives structured clone. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  fields?: Record<string, unknown>;
}

export type Wire<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** The classes an error may be rebuilt as: the core's and this package's. */
export const KNOWN: Readonly<Record<string, { prototype: Error }>> = { ...ERROR_CLASSES, WorkerCrashedError, PackFetchError };

export function toWire(err: unknown): WireError {
  if (err instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err)) if (k !== "message" && k !== "name" && k !== "stack" && k !== "cause") fields[k] = v;
    return { name: err.name, message: err.message, ...(err.stack !== undefined && { stack: err.stack }), fields };
  }
  return { name: "Error", message: String(err) };
}

/** Rebuilds the error with its class (so `instanceof InvalidEpsilonError` works in the page). */
export function fromWire(w: WireError): Error {
  if (w.name === "AbortError") return new DOMException(w.message, "AbortError");
  const proto = KNOWN[w.name]?.prototype ?? Error.prototype;
  const e = Object.create(proto) as Error;
  Object.defineProperty(e, "message", { value: w.message, writable: true, configurable: true });
  Object.defineProperty(e, "name", { value: w.name, writable: true, configurable: true });
  if (w.stack) Object.defineProperty(e, "stack", { value: w.stack, writable: true, configurable: true });
  Object.assign(e, w.fields ?? {});
  return e;
}

export async function wire<T>(f: () => T | Promise<T>): Promise<Wire<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    return { ok: false, error: toWire(err) };
  }
}

export function unwire<T>(w: Wire<T>): T {
  if (w.ok) return w.value;
  throw fromWire(w.error);
}
