// The combine step of a secret-shared sum: ask every server to release its
// noised share sum for the current round, check they cover the same reports,
// and add them. Only this noised total is ever revealed.
import { combineReleased, decodeFixed, shareFromString } from "@veil/core";
import type { SumRelease } from "./store.js";

export interface CombinedSum {
  sum: string;
  count: number;
  epsilon: number;
  /** Noised total, exact decimal string. */
  total: string;
  /** Noised mean (total / count), as a number. */
  mean: number;
  /** Standard deviation of the noise in the total: sqrt(2a)/(1 - a) units, a = exp(-epsilon/sensitivity). */
  noiseStdDev: number;
}

export async function combineSum(servers: string[], sum: string, epsilon: number): Promise<CombinedSum> {
  if (servers.length < 2) throw new Error("combine needs at least two servers.");
  // Check first that every server holds the same number of shares in its open round,
  // so no server closes a round (and draws its noise) for a release that cannot combine.
  const pending = await Promise.all(
    servers.map(async (base) => {
      const res = await fetch(`${base}/v1/sums`);
      if (!res.ok) throw new Error(`${base}: ${res.status}`);
      const sums = (await res.json()) as { name: string; pending: number }[];
      return sums.find((s) => s.name === sum)?.pending ?? 0;
    }),
  );
  if (pending.every((p) => p === 0)) throw new Error(`sum ${sum} has no new shares on any server.`);
  if (new Set(pending).size !== 1) throw new Error(`the servers hold different numbers of shares (${pending.join(", ")}): a report reached only some of them.`);
  const releases = await Promise.all(
    servers.map(async (base) => {
      const res = await fetch(`${base}/v1/sums/${encodeURIComponent(sum)}/release`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ epsilon, servers: servers.length }),
      });
      const body = (await res.json()) as SumRelease & { error?: string };
      if (!res.ok) throw new Error(`${base}: ${body.error ?? res.status}`);
      return body;
    }),
  );
  const counts = new Set(releases.map((r) => r.count));
  if (counts.size !== 1)
    throw new Error(`the servers hold different numbers of shares (${releases.map((r) => r.count).join(", ")}): a report reached only some of them.`);
  const r0 = releases[0]!;
  const units = combineReleased(releases.map((r) => shareFromString(r.released)));
  const total = decodeFixed(units, r0.decimals);
  const sensitivity = (r0.upper - r0.lower) * 10 ** r0.decimals;
  const a = Math.exp(-epsilon / sensitivity);
  return { sum, count: r0.count, epsilon, total, mean: Number(total) / r0.count, noiseStdDev: Math.sqrt(2 * a) / (1 - a) / 10 ** r0.decimals };
}
