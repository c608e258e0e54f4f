// VeilWasmExports (wasm-module.ts) is written by hand: this pins it to the
// compiled veil.wasm, so a kernel whose signature changes in assembly/ cannot
// drift from the TypeScript that calls it (same names, same parameter counts;
// an exported WebAssembly function's `length` is its number of parameters).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { compileVeilWasm, instantiateVeilWasm } from "./wasm-module.js";

/** Each member of the interface and its parameter count (-1 for a non-function member). */
function declaredExports(): Map<string, number> {
  const file = fileURLToPath(new URL("../../src/backends/wasm-module.ts", import.meta.url));
  const src = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === "VeilWasmExports")
      for (const m of node.members) out.set(m.name!.getText(src), ts.isMethodSignature(m) ? m.parameters.length : -1);
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

test("VeilWasmExports matches veil.wasm's exports: names and parameter counts", async () => {
  const declared = declaredExports();
  assert.ok(declared.size > 10, "the interface was found and read");
  const ex = (await instantiateVeilWasm(await compileVeilWasm(), () => {})) as unknown as Record<string, unknown>;
  const actual = new Map(
    Object.entries(ex)
      .filter(([name]) => name !== "__setArgumentsLength") // AssemblyScript's own helper for optional arguments
      .map(([name, v]) => [name, typeof v === "function" ? v.length : -1]),
  );
  const missing = [...declared.keys()].filter((n) => !actual.has(n));
  assert.deepEqual(missing, [], "declared but not exported by veil.wasm");
  for (const [name, count] of declared) assert.equal(actual.get(name), count, `${name}: parameter count`);
  const undeclared = [...actual.keys()].filter((n) => !declared.has(n));
  assert.deepEqual(undeclared, [], "exported by veil.wasm but not declared (declare it, or stop exporting it)");
});
