// Several collector processes behind one port (`veil-collector serve --workers N`):
// node:cluster's primary holds the listening socket and hands each connection to a
// worker in turn; every worker is a whole collector on the same database (which
// should be PostgreSQL: SQLite serialises writers on one file). The primary
// migrates the database and holds the tasks before it forks, restarts a worker
// that dies, and stops them all on SIGINT or SIGTERM. A report a dying worker had
// not acknowledged is the device's to send again; one it acknowledged is committed.
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";

/** What a worker tells the primary once it listens. */
interface Listening {
  veil: "listening";
  url: string;
}

/** Limits that hold for the whole service, shared out among `workers` processes (each enforces its part). */
export function perWorker(total: number, workers: number): number {
  return Math.max(1, Math.ceil(total / workers));
}

/** In a worker: tells the primary where it listens. */
export function reportListening(url: string): void {
  process.send?.({ veil: "listening", url } satisfies Listening);
}

/**
 * In the primary: forks `n` workers, resolves with the URL once all listen,
 * re-forks any that exits while the service runs, and stops every worker on
 * SIGINT or SIGTERM before exiting. `announce` prints each worker's pid (tests
 * and operators kill one by it).
 */
export async function runPrimary(n: number, announce: (line: string) => void): Promise<string> {
  let stopping = false;
  const fork = async (): Promise<string> => {
    const worker = cluster.fork();
    const url = await listeningUrl(worker);
    announce(`worker ${worker.id} pid ${worker.process.pid} listening on ${url}`);
    worker.once("exit", (code, signal) => {
      if (stopping) return;
      announce(`worker ${worker.id} pid ${worker.process.pid} exited (${signal ?? code}); starting another`);
      fork().catch((e: unknown) => announce(`a replacement worker failed to start: ${(e as Error).message}`));
    });
    return url;
  };
  const urls = await Promise.all(Array.from({ length: n }, fork));
  const stop = async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map((w) => {
        const exited = once(w, "exit");
        w.process.kill("SIGTERM");
        return exited;
      }),
    );
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  return urls[0]!;
}

/** Resolves with the worker's URL when it says it listens; rejects if it exits first. */
function listeningUrl(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Partial<Listening>) => {
      if (m?.veil !== "listening" || typeof m.url !== "string") return;
      worker.off("exit", onExit);
      worker.off("message", onMessage);
      resolve(m.url);
    };
    const onExit = (code: number | null) => reject(new Error(`worker ${worker.id} exited with ${code} before it listened`));
    worker.on("message", onMessage);
    worker.once("exit", onExit);
  });
}
