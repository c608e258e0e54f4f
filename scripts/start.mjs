#!/usr/bin/env node
// `npm start` until the playground exists: the CLI demo on a sample text, with
// each mechanism, on the default pack.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sample = "Hi, this is Maria Gonzalez. My husband had a terrible headache and a fever on Tuesday, so we went to the clinic in Boston.";
const runs = [
  ["gumbel", "50"],
  ["laplace", "15"],
  ["exponential", "3"],
  ["tem", "3"],
];
console.log(`Veil demo on the default pack (50,000 GloVe words).\n\ninput:\n  ${sample}\n`);
for (const [m, eps] of runs) {
  const r = spawnSync("node", ["packages/cli/dist/main.js", "perturb", "--mechanism", m, "--epsilon", eps], { cwd: root, input: sample, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status || 1);
  }
  console.log(`${m} (epsilon ${eps}):\n  ${r.stdout.trim()}\n`);
}
console.log(
  "Try it yourself:\n  echo 'your text' | pnpm veil perturb --mechanism gumbel --epsilon 50\n  pnpm veil stats --mechanism tem --epsilon 3 headache\n",
);
