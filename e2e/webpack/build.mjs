#!/usr/bin/env node
// Builds e2e/webpack (an app importing @veil/web) with webpack 5 defaults into e2e/dist/webpack.
import webpack from "webpack";
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = here("../dist/webpack");
mkdirSync(out, { recursive: true });
const stats = await new Promise((resolve, reject) =>
  webpack({ mode: "production", entry: here("./entry.js"), output: { path: out, filename: "main.js", clean: true }, devtool: false }, (err, s) =>
    err ? reject(err) : resolve(s),
  ),
);
if (stats.hasErrors()) {
  console.error(stats.toString("errors-only"));
  process.exit(1);
}
copyFileSync(here("./index.html"), `${out}/index.html`);
console.log(
  "webpack:",
  stats
    .toJson({ assets: true })
    .assets.map((a) => a.name)
    .join(", "),
);
