#!/usr/bin/env node
// Builds the WebAssembly module (AssemblyScript, SIMD) and every TypeScript package.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status || 1);
}
run("node", ["scripts/build-wasm.mjs"]);
// The machine-bounds module of `pnpm bench:speed` (not part of Veil's runtime).
mkdirSync(path.join(root, "packages/bench/dist"), { recursive: true });
run(bin("asc"), ["assembly/bounds.ts", "--outFile", "packages/bench/dist/bounds.wasm", "--runtime", "stub", "--enable", "simd", "-O3", "--noAssert"]);
run(bin("tsc"), ["-b", "packages/core", "packages/cli", "packages/web", "packages/task", "packages/collector", "packages/bench"]);
run(bin("tsc"), ["-p", "apps/playground"]); // type-check only: Vite builds it
run(bin("tsc"), ["-p", "apps/example"]);
