// One side's Prio3 preparation of a report, and the worker pool that runs it
// off the event loop (prepare-worker.ts). Used by both collectors of a pair
// (aggregation.ts describes the protocol).
import { createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import { Worker } from "node:worker_threads";
import { AGGREGATOR_ID, decodeInputShare, decodePreparationShare, decodePublicShare, vdafFor, type Prio3Vdaf, type Role } from "@veil/task";
import type { Prio3Row, StoredTask } from "./store.js";

/**
 * Prio3's verify key, one per task and aggregate: both collectors derive it
 * from the peer secret, and no client ever learns it (the proof's soundness
 * rests on that).
 */
export function verifyKey(peerToken: string, taskId: string, aggregate: string): Buffer {
  return createHmac("sha256", peerToken).update(`veil/prio3-verify-key/${taskId}/${aggregate}`).digest().subarray(0, 16);
}

export interface Prepared {
  /** This side's preparation share per aggregate, encoded. */
  shares: Record<string, Buffer>;
  /** This side's output share per aggregate (decimal field elements), if its peer's share was given and the proof verified. */
  outputs?: Record<string, string[]>;
}

/**
 * One side's preparation of one report: prepareInit on every aggregate and, when
 * the peer's preparation shares are given, the combined verdict and this side's
 * output shares. Throws when a proof fails.
 */
export async function prepareReport(
  taskId: string,
  task: StoredTask["task"],
  role: Role,
  peerToken: string,
  row: Prio3Row,
  peerShares?: Record<string, Buffer>,
): Promise<Prepared> {
  const nonce = Buffer.from(row.id, "hex");
  const out: Prepared = { shares: {} };
  const outputs: Record<string, string[]> = {};
  for (const a of task.aggregates) {
    const vdaf = vdafFor(a);
    const [pub, share] = row.shares[a.id]!;
    const init = await vdaf.prepareInit(
      verifyKey(peerToken, taskId, a.id),
      AGGREGATOR_ID[role],
      null,
      nonce,
      decodePublicShare(vdaf, Buffer.from(pub, "base64")),
      await decodeInputShare(vdaf, role, Buffer.from(share, "base64")),
    );
    out.shares[a.id] = vdaf.encodePreparationShare(init.preparationShare);
    if (!peerShares) continue;
    const peer = decodePreparationShare(vdaf, peerShares[a.id] ?? Buffer.alloc(0));
    const ordered = role === "leader" ? [init.preparationShare, peer] : [peer, init.preparationShare];
    const message = await vdaf.unshardPreparationShares(null, ordered); // throws "Verify error" on an invalid proof
    const next = vdaf.prepareNext(init.preparationState, message); // throws when the joint randomness disagrees
    if (!("outputShare" in next)) throw new Error("Prio3 has one round");
    outputs[a.id] = next.outputShare.map(String);
  }
  if (peerShares) out.outputs = outputs;
  return out;
}

/** Adds output shares into a batch's aggregate shares, field element by field element. */
export function addOutputs(task: StoredTask["task"], aggregate: Record<string, string[]> | null, outputs: Record<string, string[]>): Record<string, string[]> {
  const next: Record<string, string[]> = {};
  for (const a of task.aggregates) {
    const field = vdafFor(a).flp.field;
    const base = aggregate?.[a.id]?.map(BigInt) ?? zeros(vdafFor(a));
    next[a.id] = field.vecAdd(base, outputs[a.id]!.map(BigInt)).map(String);
  }
  return next;
}

export const zeros = (vdaf: Prio3Vdaf) => Array.from({ length: vdaf.flp.outputLen }, () => 0n);

/** One preparation for the worker: everything as plain data (base64 strings), so it crosses the thread boundary by structured clone. */
export interface PrepareRequest {
  taskId: string;
  task: StoredTask["task"];
  role: Role;
  peerToken: string;
  row: Prio3Row;
  peerShares?: Record<string, string>;
}

/** The worker's answer for one request: the preparation shares (base64) and output shares, or why the proof failed. */
export type PrepareResult = { ok: true; shares: Record<string, string>; outputs?: Record<string, string[]> } | { ok: false; error: string };

/** One worker thread running preparations in order; started on first use, and not keeping the process alive while idle. */
export class PreparePool {
  #worker: Worker | undefined;
  #seq = 0;
  readonly #waiting = new Map<number, { resolve: (r: PrepareResult[]) => void; reject: (e: Error) => void }>();

  run(jobs: PrepareRequest[]): Promise<PrepareResult[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    const w = this.#start();
    const seq = ++this.#seq;
    w.ref();
    return new Promise<PrepareResult[]>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      w.postMessage({ seq, jobs });
    });
  }

  close(): Promise<number> | undefined {
    const w = this.#worker;
    this.#worker = undefined;
    return w?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL("./prepare-worker.js", import.meta.url));
    w.on("message", ({ seq, results }: { seq: number; results: PrepareResult[] }) => {
      this.#waiting.get(seq)?.resolve(results);
      this.#waiting.delete(seq);
      if (this.#waiting.size === 0) w.unref();
    });
    w.on("error", (e) => this.#fail(e));
    w.on("exit", () => this.#fail(new Error("the preparation worker stopped")));
    this.#worker = w;
    return w;
  }

  #fail(e: Error): void {
    this.#worker = undefined;
    for (const p of this.#waiting.values()) p.reject(e);
    this.#waiting.clear();
  }
}
