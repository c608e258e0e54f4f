// CPU time of process trees, read from /proc (Linux), for `pnpm bench:collector`'s
// cost per report: a collector's primary with its workers, PostgreSQL's
// postmaster with its backends. Threads are counted with their process.
import { readFileSync, readdirSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** [pid, ppid, cpu seconds] of every process /proc shows. */
function processes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command (which may hold spaces) start after the last ")".
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push([Number(name), Number(f[1]), (Number(f[11]) + Number(f[12])) / TICKS]);
    } catch {
      // the process exited while we read
    }
  }
  return out;
}

/** CPU seconds used so far by each root's process tree (the root and all its descendants still running). */
export function treeCpuSeconds(roots: readonly number[]): number[] {
  const all = processes();
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const [pid, ppid, s] of all) {
    cpu.set(pid, s);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const sum = (pid: number): number => (cpu.get(pid) ?? 0) + (children.get(pid) ?? []).reduce((a, c) => a + sum(c), 0);
  return roots.map(sum);
}
