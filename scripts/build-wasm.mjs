#!/usr/bin/env node
// Compiles Veil's WebAssembly module (assembly/, AssemblyScript with SIMD) to
// packages/core/dist/veil.wasm. Run by scripts/build.mjs and by @veil/core's own
// `build` and `prepack`, so a package built or packed alone carries its .wasm.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(path.join(root, "packages/core/dist"), { recursive: true });
// veil.wasm is what ships; veil-testing.wasm adds the samplers' test hooks (assembly/testing.ts) and stays out of the package.
for (const [entry, out] of [
  ["assembly/index.ts", "packages/core/dist/veil.wasm"],
  ["assembly/testing.ts", "packages/core/dist/veil-testing.wasm"],
]) {
  const args = [entry, "--outFile", out, "--runtime", "stub", "--enable", "simd", "-O3", "--noAssert", "--initialMemory", "2"];
  const r = spawnSync(path.join(root, "node_modules", ".bin", "asc"), args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status || 1);
}
