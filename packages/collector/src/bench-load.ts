// Load and timing helpers shared by the parts of `pnpm bench:collector`.
import type { ReportInput } from "@veil/task";
import type { CollectorProcess } from "./test-pair.js";

/** The analyst token the benchmark's collectors hold. */
export const TOKEN = "bench-analyst-token";

/** Stops a collector process with SIGTERM and waits for it to exit. */
export function stop(p: CollectorProcess): Promise<void> {
  return new Promise((res) => {
    p.child.removeAllListeners("exit");
    p.child.once("exit", () => res());
    p.child.kill("SIGTERM");
  });
}

/** The q-quantile of xs (nearest rank). */
export const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** Posts one report body; resolves to the status. */
export async function postJson(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/v1/reports`, { method: "POST", headers: { "content-type": "application/json" }, body });
  await res.arrayBuffer();
  return res.status;
}

/** Posts `bodies` with `concurrency` in flight; returns reports/s and latencies (ms). */
export async function intake(url: string, bodies: string[], concurrency: number): Promise<{ perSecond: number; p50: number; p99: number; refused: number }> {
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++]!;
        const s = performance.now();
        const status = await postJson(url, b);
        latencies.push(performance.now() - s);
        if (status !== 201) refused++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: bodies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), refused };
}

export async function timeGet(url: string, path: string, n: number): Promise<{ p50: number; max: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - s);
  }
  return { p50: percentile(times, 0.5), max: Math.max(...times), bytes };
}

/** The i-th device's input for the benchmark's task (privatized values fixed here; the Prio3 sharding is real). */
export const benchInput = (i: number): ReportInput => ({
  text: "the delivery was late but the food was good",
  answers: { recommend: i % 2, feature: i % 4, rating: 3 },
  aggregates: { spend: String(i % 1000) },
});

/** Waits until the leader has prepared every report it holds (polls its batches view). */
export async function prepared(url: string, id: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/v1/tasks/${id}/batches`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const b = (await res.json()) as { preparation: Record<string, number> };
    if (!b.preparation.pending && !b.preparation.committing) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
