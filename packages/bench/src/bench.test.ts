import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { createVeil, readPack } from "@veil/core";
import { parseDataset, parseCsv, splitSeeded, subsample, readDataset, DatasetError } from "./datasets.js";
import { encodeSplit, privatizeSplit, documentsOf } from "./corpus.js";
import { DEFAULT_PACK } from "./results.js";
import { LogisticRegression, TfidfVectorizer, trainAndScore } from "./classifier.js";

test("datasets: the space, tsv, csv and fastText formats, and clear errors", () => {
  assert.deepEqual(parseDataset("1 a good film\n0 dull .\n", { format: "space" }), [
    { label: "1", text: "a good film" },
    { label: "0", text: "dull ." },
  ]);
  assert.deepEqual(parseDataset("ham\tsee you\nspam\tWIN now\n", { format: "tsv", labelCol: 0, textCol: 1 })[1], { label: "spam", text: "WIN now" });
  assert.deepEqual(parseCsv('id,text,label\n1,"a, b ""q""\nline 2",pos\n\n2,plain,neg'), [
    ["id", "text", "label"],
    ["1", 'a, b "q"\nline 2', "pos"],
    ["2", "plain", "neg"],
  ]);
  assert.equal(parseDataset('1,"x, y",pos\n', { format: "csv", textCol: 1, labelCol: 2 })[0]!.text, "x, y");
  assert.deepEqual(parseDataset("__label__sports the match\n", { format: "fasttext" }), [{ label: "sports", text: "the match" }]);
  assert.throws(() => parseDataset("justonefield\n", { format: "space" }), DatasetError);
  assert.throws(() => parseDataset("", { format: "tsv" }), DatasetError);
});

test("splitSeeded is deterministic, disjoint and complete", () => {
  const xs = Array.from({ length: 100 }, (_, i) => ({ text: `t${i}`, label: String(i % 2) }));
  const a = splitSeeded(xs, 0.2, 5);
  const b = splitSeeded(xs, 0.2, 5);
  assert.deepEqual(a, b);
  assert.equal(a.test.length, 20);
  assert.equal(new Set([...a.train, ...a.test].map((e) => e.text)).size, 100);
  assert.notDeepEqual(splitSeeded(xs, 0.2, 6).test, a.test);
});

test("TF-IDF + logistic regression separates a separable toy problem and gives calibrated probabilities", () => {
  const train = Array.from({ length: 200 }, (_, i) => ({ text: i % 2 ? "great lovely superb film" : "awful boring dull film", label: i % 2 ? "pos" : "neg" }));
  assert.equal(
    trainAndScore(train, [
      { text: "superb", label: "pos" },
      { text: "boring film", label: "neg" },
    ]),
    1,
  );
  const vec = new TfidfVectorizer().fit(["a b", "a c"]);
  const x = vec.transform("b b a zzz");
  assert.ok(Math.abs(x.val.reduce((s, v) => s + v * v, 0) - 1) < 1e-12, "L2-normalized");
  const p = new LogisticRegression(3, vec.size).probabilities(x);
  assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-12);
});

const SST = fileURLToPath(new URL("../../../../shared/data/sst2/sentence-level/", import.meta.url));
test(
  "the clean SST-2 baseline reaches the usual TF-IDF logistic-regression accuracy (about 0.80)",
  { skip: !existsSync(SST) && "../shared/data is not beside the repository" },
  () => {
    const train = readDataset(`${SST}stsa.binary.train`, { format: "space" });
    const testSet = readDataset(`${SST}stsa.binary.test`, { format: "space" });
    assert.equal(train.length, 6920);
    const acc = trainAndScore(train, testSet, { epochs: 5 });
    assert.ok(acc > 0.78 && acc < 0.86, `accuracy ${acc}`);
  },
);

test("subsample: a seeded subset of the requested size, in the original order", () => {
  const xs = Array.from({ length: 50 }, (_, i) => ({ text: `t${i}`, label: "x" }));
  const a = subsample(xs, 10, 3);
  assert.equal(a.length, 10);
  assert.deepEqual(a, subsample(xs, 10, 3));
  assert.deepEqual(
    a.map((e) => Number(e.text.slice(1))),
    a.map((e) => Number(e.text.slice(1))).sort((p, q) => p - q),
  );
  assert.equal(subsample(xs, 99, 3).length, 50);
});

test(
  "corpus: out-of-vocabulary words counted and dropped, privatization seeded, whole words out",
  { skip: !existsSync(DEFAULT_PACK) && "no default pack" },
  async () => {
    const veil = await createVeil({ pack: await readPack(readFileSync(DEFAULT_PACK)), backend: "wasm" });
    const split = encodeSplit(veil, [
      { text: "The film was good, zzqqxxv!", label: "1" },
      { text: "Bad.", label: "0" },
    ]);
    assert.equal(split.tokens, 6);
    assert.equal(split.oov, 1);
    assert.deepEqual([...split.offsets], [0, 4, 5]);
    assert.deepEqual(split.clean[0], ["the", "film", "was", "good", "zzqqxxv"]);
    assert.deepEqual(documentsOf(veil, split), [["the", "film", "was", "good"], ["bad"]]);
    const a = privatizeSplit(veil, split, { mechanism: "gumbel", epsilon: 50 }, 3);
    assert.deepEqual(a, privatizeSplit(veil, split, { mechanism: "gumbel", epsilon: 50 }, 3), "same seed, same output");
    assert.deepEqual(
      a.docs.map((d) => d.length),
      [4, 1],
    );
    for (const d of a.docs) for (const w of d) assert.ok(veil.wordId(w as string) !== undefined);
    // A tiny Gumbel scale keeps every word (N_w = 1 to within 1e-9 on this pack).
    const kept = privatizeSplit(veil, split, { mechanism: "gumbel", epsilon: 50, scale: 0.01 }, 3);
    assert.equal(kept.keptTokens, 1);
    assert.deepEqual(kept.docs, documentsOf(veil, split));
    veil.dispose();
  },
);
