// The README's API example runs as written, in Node, from the repository root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = fileURLToPath(new URL("../../../", import.meta.url));

test(
  "the README's API example runs as written in Node",
  { skip: !existsSync(path.join(root, "packs/glove-6b-100d-50k.veilpack")) && "no default pack (npm test builds it)" },
  () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The API"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(code && code.includes("createVeil"), "the example is the first ts block under ## The API");
    // Inside @veil/core's package, so `import "@veil/core"` resolves to this build (a package can import itself by name).
    const file = fileURLToPath(new URL("./readme-example.tmp.mjs", import.meta.url));
    writeFileSync(file, `${code}\nconsole.log(JSON.stringify({ text: r.text, backend: veil.backend.name }));\n`);
    try {
      const r = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { text: string; backend: string };
      assert.ok(out.text.length > 10);
    } finally {
      rmSync(file, { force: true });
    }
  },
);
