#!/usr/bin/env node
// The packaging test (in `npm test`): Veil as a web developer gets it. It packs
// @veil/core, @veil/web and @veil/pack-en-50k with `pnpm pack`, checks what the
// tarballs hold, installs them into a scratch app in the system's temporary
// folder (outside the workspace) from the tarballs and pnpm's local store with
// --offline, writes the README's browser quick start into that app verbatim,
// type-checks it under the strictest settings, builds it with Vite and with
// webpack 5, and runs both builds in Chromium under the strict CSP with the pack
// served precompressed (gzip, as gzip_static or a CDN serve it). Each build must
// load the pack in Veil's worker, perturb and upload; a second visit must read
// the pack from IndexedDB without downloading it; and of two tabs opening at
// once in a fresh profile, one downloads while the other waits and reads the cache.
//   node e2e/packaging/run.mjs [--keep]   (--keep leaves the scratch folder)
import { spawnSync } from "node:child_process";
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "@playwright/test";
import { build as viteBuild } from "vite";
import webpack from "webpack";
import { chromiumLaunchOptions } from "../chromium.mjs";
import { serveStatic } from "../../scripts/static-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const template = path.join(root, "e2e/packaging/app");
const PACKAGES = ["core", "web", "pack-en-50k"];
const step = (what) => process.stderr.write(`[packaging] ${what}\n`);

function run(cmd, args, cwd, timeoutMs = 180_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `pnpm pack` of each package (core's prepack compiles veil.wasm); returns package name -> tarball path. */
function packTarballs(dir) {
  const out = {};
  for (const p of PACKAGES) {
    const printed = run("pnpm", ["pack", "--pack-destination", dir], path.join(root, "packages", p));
    const file = printed.trim().split("\n").pop().trim();
    out[`@veil/${p}`] = file;
  }
  return out;
}

/** What each tarball must and must not hold (README "Installing from the tarballs"). */
function checkTarballs(tarballs) {
  for (const [name, file] of Object.entries(tarballs)) {
    const entries = run("tar", ["-tzf", file], root).split("\n").filter(Boolean);
    const has = (p) => entries.includes(`package/${p}`);
    assert.ok(has("LICENSE") && has("README.md") && has("package.json"), `${name}: LICENSE, README.md and package.json`);
    assert.deepEqual(
      entries.filter((e) => /\.test\.|test-support|veil-testing|\/src\//.test(e)),
      [],
      `${name}: no tests, test support, testing build or sources`,
    );
    const manifest = JSON.parse(run("tar", ["-xzOf", file, "package/package.json"], root));
    assert.ok(manifest.repository && manifest.homepage, `${name}: repository and homepage`);
    assert.ok(!JSON.stringify(manifest).includes("workspace:"), `${name}: no workspace: ranges left`);
    if (name === "@veil/core") assert.ok(has("dist/veil.wasm"), "@veil/core carries dist/veil.wasm");
    if (name === "@veil/pack-en-50k") assert.ok(has("glove-6b-100d-50k.veilpack") && has("info.js"), "the pack and its SHA-256");
    const map = entries.find((e) => e.endsWith(".js.map"));
    if (map) assert.ok(JSON.parse(run("tar", ["-xzOf", file, map], root)).sourcesContent, `${name}: source maps carry their sources`);
  }
}

/** The first ```ts block of the README's "In the browser" section: the quick start. */
function readmeQuickStart() {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## In the browser: `@veil/web`"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, "the README has a browser quick start");
  return m[1];
}

/** The scratch app: the template, the quick start as main.js (and as TypeScript), the tarballs as dependencies. */
function writeApp(app, tarballs) {
  mkdirSync(app, { recursive: true });
  for (const f of readdirSync(template)) copyFileSync(path.join(template, f), path.join(app, f));
  const quick = readmeQuickStart();
  writeFileSync(path.join(app, "main.js"), `import "./harness.js";\n${quick}`);
  writeFileSync(
    path.join(app, "quick-start.ts"),
    `// The README's quick start, with what it leaves to the app declared.\ndeclare const textarea: HTMLTextAreaElement;\ndeclare function upload(text: string): void;\nexport {};\n${quick}`,
  );
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module", dependencies }, null, 2));
  // @veil/web's own dependency on @veil/core 0.1.0 would be looked up on the registry: point it at the tarball.
  writeFileSync(path.join(app, "pnpm-workspace.yaml"), `overrides:\n  "@veil/core": "file:${tarballs["@veil/core"]}"\n`);
}

/** pnpm install from the tarballs and the local store, with no network. */
function install(app) {
  run("pnpm", ["install", "--offline", "--reporter=append-only"], app);
}

async function buildWithVite(app) {
  const outDir = path.join(app, "dist-vite");
  await viteBuild({ root: app, configFile: path.join(app, "vite.config.js"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return outDir;
}

async function buildWithWebpack(app) {
  const outDir = path.join(app, "dist-webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack({ mode: "production", context: app, entry: "./main.js", output: { path: outDir, filename: "main.js", clean: true } }, (err, s) =>
      err ? reject(err) : resolve(s),
    ),
  );
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  copyFileSync(path.join(app, "webpack.html"), path.join(outDir, "index.html"));
  return outDir;
}

/** A deploy step: a .gz beside each pack, which the server then sends with Content-Encoding gzip. */
async function precompressPacks(dir) {
  const packs = [];
  for (const e of readdirSync(dir, { recursive: true })) {
    if (!String(e).endsWith(".veilpack")) continue;
    const file = path.join(dir, String(e));
    await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(`${file}.gz`));
    packs.push(`/${String(e).split(path.sep).join("/")}`);
  }
  assert.equal(packs.length, 1, `the build holds the pack once (found ${packs.join(", ") || "none"})`);
  return packs[0];
}

/** A tab of the app: console lines, errors, and the `fromCache` of its `ready` progress event. */
async function openApp(context, url) {
  const page = await context.newPage();
  const seen = { errors: [], ready: [] };
  page.on("console", (m) => {
    // A failed request is recorded from its response below (where the favicon can be told apart).
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) seen.errors.push(m.text());
    if (m.text().startsWith("ready ")) seen.ready.push(m.text().endsWith("true"));
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && seen.errors.push(`${r.status()} ${r.url()}`));
  await page.goto(url);
  return { page, seen };
}

async function uploaded({ page, seen }) {
  await page.waitForFunction(() => document.title === "uploaded", null, { timeout: 90_000 });
  const text = await page.locator("#uploaded").textContent();
  assert.deepEqual(seen.errors, [], "no errors, CSP violations or failed requests");
  return { text, fromCache: seen.ready.at(-1), workers: page.workers().length };
}

/** First visit, second visit, and two tabs at once, for one build. */
async function checkBuild(browser, name, dir) {
  const packPath = await precompressPacks(dir);
  const server = await serveStatic({ roots: { "/": dir }, port: 0, precompressed: true });
  const base = `http://127.0.0.1:${server.address().port}/`;
  const requests = async () => (await (await fetch(`${base}__requests`)).json())[`gzip ${packPath}`] ?? 0;
  try {
    const context = await browser.newContext();
    const tab = await openApp(context, base);
    const first = await uploaded(tab);
    assert.equal(first.text.split(" ").length, 9, `${name}: the quick start uploads the privatized sentence`);
    assert.notEqual(first.text, "", `${name}: something was uploaded`);
    assert.equal(first.fromCache, false, `${name}: the first visit downloads the pack`);
    assert.ok(first.workers >= 1, `${name}: Veil runs in a worker`);
    assert.equal(await requests(), 1, `${name}: one download, sent precompressed`);
    await tab.page.reload();
    tab.seen.ready.length = 0;
    const second = await uploaded(tab);
    assert.equal(second.fromCache, true, `${name}: the second visit reads IndexedDB`);
    assert.equal(await requests(), 1, `${name}: no second download`);
    await context.close();

    const fresh = await browser.newContext();
    const [a, b] = await Promise.all([openApp(fresh, base), openApp(fresh, base)]);
    const both = await Promise.all([uploaded(a), uploaded(b)]);
    assert.deepEqual(both.map((x) => x.fromCache).sort(), [false, true], `${name}: of two tabs, one downloads and the other waits for the cache`);
    assert.equal(await requests(), 2, `${name}: two tabs, one download`);
    await fresh.close();
    step(`${name}: first visit downloads (gzip), second reads IndexedDB, two tabs share one download: ok`);
  } finally {
    server.close();
  }
}

async function main() {
  const scratch = mkdtempSync(path.join(tmpdir(), "veil-packaging-"));
  try {
    step(`pnpm pack of ${PACKAGES.join(", ")} into ${scratch}`);
    const tarballs = packTarballs(scratch);
    checkTarballs(tarballs);
    const app = path.join(scratch, "app");
    writeApp(app, tarballs);
    step("pnpm install --offline in a scratch app outside the workspace");
    install(app);
    step("tsc on the README's quick start (strict, skipLibCheck false, no @webgpu/types)");
    run(path.join(root, "node_modules/.bin/tsc"), ["-p", path.join(app, "tsconfig.json")], root);
    step("vite build and webpack 5 build");
    const builds = [
      ["vite", await buildWithVite(app)],
      ["webpack", await buildWithWebpack(app)],
    ];
    const browser = await chromium.launch(chromiumLaunchOptions);
    try {
      for (const [name, dir] of builds) await checkBuild(browser, name, dir);
    } finally {
      await browser.close();
    }
    step("ok");
  } finally {
    if (!process.argv.includes("--keep")) rmSync(scratch, { recursive: true, force: true });
    else step(`kept ${scratch}`);
  }
}

await main();
