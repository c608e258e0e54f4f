#!/usr/bin/env node
// `npm test` after set-up: lint, formatting, then every test file with Node's
// test runner. Statistical tests are seeded unless VEIL_UNSEEDED=1.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status || 1);
}
run("node", ["scripts/lint.mjs"]);
run(path.join(root, "node_modules/.bin/prettier"), ["--check", "--log-level", "warn", "."]);

const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === "node_modules") continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.js")) files.push(path.relative(root, p));
  }
}
for (const pkg of readdirSync(path.join(root, "packages"))) {
  const dist = path.join(root, "packages", pkg, "dist");
  if (existsSync(dist)) walk(dist);
}
files.sort();
run("node", ["--test", "--test-concurrency=2", ...files]);

// Smoke runs of the fuzzers (fixed seed, a few seconds each; `node scripts/fuzz.mjs --target T --seconds 600` for a long run).
for (const target of ["perturb", "pack", "cli"])
  run("node", ["scripts/fuzz.mjs", "--target", target, "--seconds", target === "cli" ? "15" : "5", "--seed", "1"]);

// The browser: build the e2e page with Vite and a second app with webpack 5, as apps would, then
// Playwright in Debian's Chromium.
run(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "e2e/vite.config.mjs"]);
run("node", ["e2e/webpack/build.mjs"]); // after Vite, which empties e2e/dist
run(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "apps/playground/vite.config.mjs"]);
run(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "apps/example/vite.config.mjs"]);
run("node", ["scripts/size.mjs"]); // the page's share of loadVeil, against its 12 KB gzip budget
run(path.join(root, "node_modules/.bin/tsc"), ["-p", "e2e/strict"]); // the public types under an app's strictest settings
run(path.join(root, "node_modules/.bin/playwright"), ["test", "--config", "e2e/playwright.config.mjs"]);
// The tarballs in a fresh app outside the workspace, built with Vite and webpack, run in Chromium (e2e/packaging/run.mjs).
run("node", ["e2e/packaging/run.mjs"]);
