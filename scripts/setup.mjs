#!/usr/bin/env node
// Set-up for a fresh machine with only Node and npm: installs pnpm if missing,
// the workspace's packages, builds everything, and builds the default embedding
// pack if it is not there (or is damaged). Idempotent: a second run is quick.
// Flags: --browser also installs Debian's Chromium (for Playwright tests); --postgres Debian's PostgreSQL.
import { execSync, spawnSync } from "node:child_process";
import { existsSync, openSync, readSync, closeSync, statSync, rmSync, linkSync, copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_VERSION = "12.21.0";
const PACK = path.join(root, "packs", "glove-6b-100d-50k.veilpack");
const log = (m) => process.stderr.write(`[setup] ${m}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(" ")} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

// 1. pnpm
if (!has("pnpm") || execSync("pnpm --version").toString().trim() !== PNPM_VERSION) {
  log(`installing pnpm ${PNPM_VERSION} with npm`);
  run("npm", ["install", "-g", `pnpm@${PNPM_VERSION}`, "--no-fund", "--no-audit"]);
}

// 2. packages (fast when already installed)
log("installing workspace packages");
// better-sqlite3 (the collector) compiles against Node's headers; point node-gyp at the
// installed ones, since there is no network to download them (pnpm ignores npm's `nodedir`).
const nodeDir = existsSync("/usr/include/node/node.h") ? { npm_config_nodedir: process.env.npm_config_nodedir ?? "/usr" } : {};
run("pnpm", ["install", "--frozen-lockfile", "--reporter=append-only"], { env: { ...process.env, ...nodeDir, CI: "true" } });

// 3. Chromium for Playwright (never `playwright install`: there is no network for it)
if (process.argv.includes("--browser") && !existsSync("/usr/bin/chromium")) {
  log("installing Debian's chromium");
  run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"]);
}

// 3b. PostgreSQL for the tests that run against a real server (Debian's package; each test starts its own
// cluster in a temporary folder, on a Unix socket only: packages/collector/src/postgres-server.ts)
if (process.argv.includes("--postgres") && !existsSync("/usr/lib/postgresql")) {
  log("installing Debian's postgresql");
  run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql"]);
}

// 4. build
run("node", ["scripts/build.mjs"]);

// 5. the default pack: int8 vectors, a 20-wide table coded as sets, and what M8-M10 need in its metadata
// (README "Packs": 7.2 MB raw and 5.8 MB with brotli, against 33 MB for float32 vectors and a 64-wide
// table, with the same N_w). A pack of another kind at that path (an older default) is rebuilt.
const DEFAULT_PACK = { vectors: "int8", k: 20, table: "sets", rankC: 0.04 };
// The core is built by now (step 4): its own header reader and layout say what size the pack must be.
const { readPackHeader, packByteLength, VECTOR_TYPES, WORD_ORDER_KEY, CUSTEXT_GROUPS_KEY, RANK_C_KEY } = await import(
  new URL("../packages/core/dist/index.js", import.meta.url).href
);
function packLooksValid(file) {
  try {
    const fd = openSync(file, "r");
    const head = Buffer.alloc(128);
    readSync(fd, head, 0, 128, 0);
    closeSync(fd);
    const h = readPackHeader(head);
    if (h.version !== 3 || h.vectorType !== VECTOR_TYPES[DEFAULT_PACK.vectors].code || h.K !== DEFAULT_PACK.k) return false;
    if (h.tableCoding !== DEFAULT_PACK.table) return false;
    if (statSync(file).size !== packByteLength(h)) return false;
    // A pack from before the peers' mechanisms lacks what M8, M9 and M10 read from its metadata.
    const fd2 = openSync(file, "r");
    const meta = Buffer.alloc(h.metaBytes);
    readSync(fd2, meta, 0, meta.length, 128);
    closeSync(fd2);
    const m = JSON.parse(meta.toString("utf8"));
    return Boolean(m[WORD_ORDER_KEY] && m[CUSTEXT_GROUPS_KEY] && m[RANK_C_KEY] === DEFAULT_PACK.rankC);
  } catch {
    return false; // not a pack, an older format, or damaged: rebuild it
  }
}
if (!packLooksValid(PACK)) {
  log(`building the default embedding pack (GloVe 6B 100d, 50,000 words, ${DEFAULT_PACK.vectors} vectors, exact ${DEFAULT_PACK.k}-NN table)`);
  run("node", [
    "packages/cli/dist/main.js",
    "pack",
    "--from",
    "wink",
    "--words",
    "50000",
    "--vectors",
    DEFAULT_PACK.vectors,
    "--k",
    String(DEFAULT_PACK.k),
    "--table",
    DEFAULT_PACK.table,
    "--rank-c", // M10's constant, chosen on public data: docs/mechanisms.md, M10
    String(DEFAULT_PACK.rankC),
    "--out",
    PACK,
  ]);
} else {
  log(`default pack present: ${path.relative(root, PACK)}`);
}

// 6. the default pack as a package (packages/pack-en-50k): the file beside its module, and info.js
// with its SHA-256, size and provenance from the pack's own header and metadata.
{
  const dir = path.join(root, "packages", "pack-en-50k");
  const target = path.join(dir, path.basename(PACK));
  if (!existsSync(target) || statSync(target).size !== statSync(PACK).size || statSync(target).mtimeMs < statSync(PACK).mtimeMs) {
    rmSync(target, { force: true });
    try {
      linkSync(PACK, target); // a second name for the same 33 MB, where the file system allows it
    } catch {
      copyFileSync(PACK, target);
    }
  }
  const fd = openSync(PACK, "r");
  const head = Buffer.alloc(128);
  readSync(fd, head, 0, 128, 0);
  const meta = Buffer.alloc(head.readUInt32LE(40));
  readSync(fd, meta, 0, meta.length, 128);
  closeSync(fd);
  const m = JSON.parse(meta.toString("utf8"));
  const info = {
    sha256: head.subarray(48, 80).toString("hex"),
    bytes: statSync(PACK).size,
    n: head.readUInt32LE(12),
    d: head.readUInt32LE(16),
    K: head.readUInt32LE(20),
    name: m.name ?? "glove-6b-100d-50k",
    source: m.source ?? "",
    license: "PDDL-1.0 (GloVe 6B vectors, Stanford NLP)",
  };
  writeFileSync(
    path.join(dir, "info.js"),
    `// Written by scripts/setup.mjs from the pack's header and metadata.\nexport default ${JSON.stringify(info, null, 2)};\n`,
  );
}
