#!/usr/bin/env node
// Veil's own lint rules (run by `npm test`):
//  - no Math.random in the SDK's sources or the kernels: randomness comes only from
//    crypto.getRandomValues (docs/mechanisms.md, "Randomness"); tests may use it, sources never.
//  - no focused tests (.only) that would silently skip the rest.
//  - every public export has a doc comment (scripts/doc-check.mjs).
//  - no function over 80 lines without a reason in a comment (scripts/long-functions.mjs).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const problems = [];
function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, visit);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) visit(p);
  }
}
for (const top of ["packages", "assembly", "apps", "e2e"]) {
  try {
    statSync(path.join(root, top));
  } catch {
    continue;
  }
  walk(path.join(root, top), (file) => {
    const rel = path.relative(root, file);
    const isTest = /\.test\.|\/test\//.test(rel);
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "");
        if (!isTest && /\bMath\.random\b/.test(code))
          problems.push(`${rel}:${i + 1}: Math.random is forbidden in sources; use the RandomSource (crypto.getRandomValues).`);
        if (/\b(it|test|describe)\.only\s*\(/.test(code)) problems.push(`${rel}:${i + 1}: focused test (.only) skips the others.`);
      });
  });
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
// No function over 80 lines without a reason (scripts/long-functions.mjs).
const long = spawnSync(process.execPath, [path.join(root, "scripts/long-functions.mjs")], { encoding: "utf8" });
if (long.status !== 0) {
  console.error(long.stdout + long.stderr);
  process.exit(1);
}
// Every public export has a doc comment (scripts/doc-check.mjs).
const docs = spawnSync(process.execPath, [path.join(root, "scripts/doc-check.mjs"), "--list"], { encoding: "utf8" });
if (docs.status !== 0) {
  console.error(docs.stdout + docs.stderr);
  process.exit(1);
}
console.error("lint: ok (no Math.random in sources, no focused tests, no function over 80 lines without a reason, every public export documented)");
