// The worker bridge: comlink over a module worker, with what comlink leaves out.
// - Death: a worker that crashes or is terminated sends nothing, and comlink's
//   pending promises would hang forever. The worker holds a Web Lock for its whole
//   life; the page queues a request for the same lock, which is granted exactly
//   when the worker's realm is gone. Every call in flight then rejects with
//   WorkerCrashedError, and the next call starts a new worker (when Veil can).
// - Errors keep their class: the engine returns Wire results (see errors.ts).
import { releaseProxy, wrap, type Remote } from "comlink";
import type { VeilEngine } from "./engine.js";
import { WorkerCrashedError } from "./errors.js";

/** Where loadVeil runs the engine: `true` (Veil's own module worker), `false` (this thread), a Worker running `serveVeil()`, or a function that makes one (so Veil can restart it). */
export type WorkerOption = boolean | Worker | (() => Worker);

export class WorkerBridge {
  #worker: Worker | null = null;
  #remote: Remote<VeilEngine> | null = null;
  #death: Promise<never> | null = null;
  #stopLock: AbortController | null = null;
  #disposed = false;
  #starts = 0;

  constructor(
    private readonly factory: (() => Worker) | null,
    private readonly given: Worker | null,
  ) {}

  /** The default worker: this package's worker.js, as a module worker (no blob:, no eval). */
  static ownWorker(): Worker {
    return new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "veil" });
  }

  get canRestart(): boolean {
    return this.factory !== null;
  }

  /** Starts the worker (or adopts the given one) and waits until it answers. */
  async start(): Promise<Remote<VeilEngine>> {
    if (this.#disposed) throw new WorkerCrashedError("loadVeil's result was disposed");
    const w = this.#starts === 0 && this.given ? this.given : this.factory ? this.factory() : null;
    if (!w)
      throw new WorkerCrashedError("it was the app's own Worker, which Veil cannot restart; pass `worker: () => new Worker(...)` to let Veil start a new one");
    this.#starts++;
    this.#worker = w;
    const remote = wrap<VeilEngine>(w);
    let die!: (why: string) => void;
    const death = new Promise<never>((_, reject) => (die = (why) => reject(new WorkerCrashedError(why))));
    death.catch(() => {}); // observed by the calls that race it
    const onError = (ev: ErrorEvent) => {
      ev.preventDefault?.();
      die(ev.message ? `uncaught error in the worker: ${ev.message}` : "the worker failed to start or crashed");
    };
    w.addEventListener("error", onError);
    this.#death = death;
    this.#remote = remote;
    const lockName = `veil-worker-${crypto.randomUUID()}`;
    const hasLock = await Promise.race([remote.hello(lockName), death]);
    const locks = globalThis.navigator?.locks;
    if (hasLock && locks) {
      this.#stopLock = new AbortController();
      locks.request(lockName, { signal: this.#stopLock.signal }, async () => die("the worker was terminated or ran out of memory")).catch(() => {});
    }
    void death.catch(() => {
      if (this.#worker === w) {
        this.#worker = null;
        this.#remote = null;
        w.removeEventListener("error", onError);
      }
    });
    return remote;
  }

  /** True while a worker is running. */
  get alive(): boolean {
    return this.#remote !== null;
  }

  /** Runs `fn` on the worker; rejects with WorkerCrashedError if the worker dies first. */
  async call<T>(fn: (r: Remote<VeilEngine>) => Promise<T>): Promise<T> {
    const remote = this.#remote;
    const death = this.#death;
    if (!remote || !death) throw new WorkerCrashedError("no worker is running");
    return Promise.race([fn(remote), death]);
  }

  /** Terminates the worker. */
  terminate(): void {
    this.#stopLock?.abort();
    this.#stopLock = null;
    this.#remote?.[releaseProxy]();
    this.#worker?.terminate();
    this.#worker = null;
    this.#remote = null;
  }

  dispose(): void {
    this.#disposed = true;
    this.terminate();
  }
}
