// What every result file records besides its figures: the machine, the date, the
// versions of everything that ran, so a number can be traced to where it came from.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is packages/bench/dist/results.js once built). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEFAULT_PACK = path.join(REPO_ROOT, "packs/glove-6b-100d-50k.veilpack");
export const SHARED_DATA = path.resolve(REPO_ROOT, "../shared/data");
export const RESULTS_DIR = path.join(REPO_ROOT, "bench/results");

export interface Environment {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; release: string; arch: string };
  versions: { node: string; v8: string; veil: string; commit: string | null; dirty: boolean | null };
}

export function environment(): Environment {
  const cpus = os.cpus();
  const git = (args: string[]): string | null => {
    const r = spawnSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const status = git(["status", "--porcelain", "--untracked-files=no"]);
  const core = JSON.parse(readFileSync(path.join(REPO_ROOT, "packages/core/package.json"), "utf8")) as { version: string };
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model.trim() ?? "unknown",
      cores: cpus.length,
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      platform: os.platform(),
      release: os.release(),
      arch: os.arch(),
    },
    versions: {
      node: process.version,
      v8: process.versions.v8,
      veil: core.version,
      commit: git(["rev-parse", "HEAD"]),
      dirty: status === null ? null : status !== "",
    },
  };
}

export function writeResult(dir: string, name: string, content: string | object): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2) + "\n");
  return file;
}
