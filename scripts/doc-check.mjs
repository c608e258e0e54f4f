#!/usr/bin/env node
// Every public export has a doc comment: for each package's public entries (the
// exports map's TypeScript sources), lists the exported names whose declaration
// carries no /** ... */ comment. Exit 1 when any is missing (run by scripts/lint.mjs).
//   node scripts/doc-check.mjs [--list]
import ts from "typescript";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The public entries: the source of each `exports` subpath that is an API (not the testing or internal ones). */
const ENTRIES = {
  "@veil/core": ["src/index.ts", "src/ledger-file.ts"],
  "@veil/web": ["src/index.ts", "src/serve.ts"],
  "@veil/task": ["src/index.ts"],
};
const dirOf = { "@veil/core": "core", "@veil/web": "web", "@veil/task": "task" };

function undocumented(pkg, entry) {
  const file = path.join(root, "packages", dirOf[pkg], entry);
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const missing = [];
  for (const sym of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decls = target.declarations ?? [];
    if (decls.some((d) => d.getSourceFile().fileName.includes("node_modules"))) continue; // re-exported from a dependency
    const documented = decls.some((d) => ts.getJSDocCommentsAndTags(d).length > 0 || hasDocComment(d));
    if (!documented) missing.push(`${sym.name} (${path.relative(root, decls[0]?.getSourceFile().fileName ?? file)})`);
  }
  return missing;
}

/** A /** comment right before the declaration (or its variable statement). */
function hasDocComment(d) {
  const node = ts.isVariableDeclaration(d) ? d.parent.parent : d;
  const text = node.getSourceFile().getFullText();
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some((r) => text.slice(r.pos, r.pos + 3) === "/**");
}

let total = 0;
for (const [pkg, entries] of Object.entries(ENTRIES))
  for (const entry of entries) {
    const missing = undocumented(pkg, entry);
    total += missing.length;
    if (missing.length)
      console.log(`${pkg} ${entry}: ${missing.length} exports without a doc comment${process.argv.includes("--list") ? `\n  ${missing.join("\n  ")}` : ""}`);
  }
if (total === 0) console.log("doc-check: every public export has a doc comment");
process.exitCode = total ? 1 : 0;
