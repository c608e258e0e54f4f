#!/usr/bin/env node
// Functions longer than a screen (80 lines) in packages/ and assembly/, longest
// first: each should be split into named steps, or say in a comment why not
// ("long-function:" followed by the reason, on the line before it).
//   node scripts/long-functions.mjs [--max 80]
import ts from "typescript";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const max = Number(process.argv[process.argv.indexOf("--max") + 1]) || 80;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (["node_modules", "dist", "test-vectors"].includes(name)) continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith(".d.ts") && !/\.test\./.test(name)) files.push(p);
  }
};
walk(path.join(root, "packages"));
walk(path.join(root, "assembly"));

const long = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = src.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = src.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      const before = text
        .split("\n")
        .slice(Math.max(0, start - 3), start)
        .join("\n");
      if (lines > max && !/long-function:/.test(before)) long.push({ where: `${path.relative(root, file)}:${start + 1}`, name: nameOf(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
}
function nameOf(node) {
  if (node.name) return node.name.getText();
  if (ts.isVariableDeclaration(node.parent)) return node.parent.name.getText();
  if (ts.isPropertyAssignment(node.parent)) return node.parent.name.getText();
  return "(anonymous)";
}
long.sort((a, b) => b.lines - a.lines);
for (const f of long) console.log(`${String(f.lines).padStart(4)} lines  ${f.name}  ${f.where}`);
console.log(long.length ? `${long.length} functions over ${max} lines without a reason given` : `no function over ${max} lines without a reason given`);
process.exitCode = long.length ? 1 : 0;
