// The utility benchmark (issue 7): how much accuracy a text classifier keeps when
// its training text is privatized word by word, for each mechanism over a grid of
// settings, against the plausible deniability each setting gives (N_w, S_w).
//
// One job is one (dataset, setting, seed): privatize the training split, train
// TF-IDF + logistic regression, score on the original test texts and on a
// privatized copy of them. A stats job measures mean N_w and S_w of a setting
// over a seeded sample of the training vocabulary, and the attacker's success R
// with the training texts' word frequencies as its prior. Jobs are independent, so a
// pool of worker threads runs them (utility-worker.ts).
import type { AttackResult, MechanismOptions, Veil } from "@veil/core";
import { encodeSplit, privatizeSplit, documentsOf, type EncodedSplit } from "./corpus.js";
import { TextClassifier, type LogisticOptions } from "./classifier.js";
import { readDataset, splitSeeded, subsample, shuffleSeeded, type DataFormat, type Example } from "./datasets.js";
import { useSeededRandom } from "@veil/core/testing";

/** One point of a mechanism's grid: its options. M4 points with `scale` or `lambda` are uncalibrated (docs/mechanisms.md, M4). */
export type Setting = MechanismOptions;

/** Short names of the options in a setting's key (the key of the results and the JSON). */
const KEY_NAMES: Partial<Record<keyof Setting, string>> = {
  scale: "b",
  lambda: "lambda",
  t: "t",
  base: "base",
  s: "s",
  p: "p",
  groupSize: "K",
  variant: "variant",
  radius: "radius",
  c: "c",
  keep: "keep",
};

export const settingKey = (s: Setting): string =>
  `${s.mechanism} eps=${s.epsilon}` +
  Object.entries(KEY_NAMES)
    .filter(([k]) => s[k as keyof Setting] !== undefined)
    .map(([k, short]) => ` ${short}=${String(s[k as keyof Setting])}`)
    .join("");

export const isCalibrated = (s: Setting): boolean => s.mechanism !== "gumbel" || (s.scale === undefined && s.lambda === undefined);

/** The curve a setting belongs to: its mechanism, or the mechanism with stopwords kept. */
export const seriesOf = (s: Setting): string => `${s.mechanism}${s.keep === "stopwords" ? "+stopwords" : ""}`;

/**
 * Default grids, chosen on the default pack (GloVe 6B 100d, 50k words) so that
 * each mechanism's mean N_w runs from about 0.95 to about 0.1. The calibrated M4
 * sits at N_w of about 0.19 for every valid epsilon (docs/mechanisms.md, M4), so its curve
 * against N_w comes from an explicit Gumbel scale b (and one larger Poisson mean
 * to go below the 0.185 floor); those points carry epsilon 45 only nominally.
 */
export const DEFAULT_GRID: Setting[] = [
  ...[6, 7, 8, 9.5, 11.5, 15].map((epsilon) => ({ mechanism: "laplace" as const, epsilon })),
  ...[2.5, 2.9, 3.3, 3.7, 4.1, 4.7].map((epsilon) => ({ mechanism: "exponential" as const, epsilon })),
  ...[2.5, 2.9, 3.3, 3.7, 4.1, 4.7].map((epsilon) => ({ mechanism: "tem" as const, epsilon })),
  ...[45, 100, 1000].map((epsilon) => ({ mechanism: "gumbel" as const, epsilon })),
  ...[0.5, 0.8, 1.2, 1.8, 3].map((scale) => ({ mechanism: "gumbel" as const, epsilon: 45, scale })),
  { mechanism: "gumbel", epsilon: 45, lambda: 60 },
  // The peers' mechanisms (measured N_w on the default pack, 60 SST-2 words): M5 ε 6-17 gives 0.08-0.97;
  // M6 saturates near 0.3 until its noise is small next to the gaps between words, hence ε up to 400;
  // M7 keeps a common word with probability 0.8, so it cannot go below about 0.6.
  ...[6, 7, 8, 10, 13, 17].map((epsilon) => ({ mechanism: "mahalanobis" as const, epsilon })),
  ...[6, 10, 30, 100, 200, 400].map((epsilon) => ({ mechanism: "vickrey" as const, epsilon })),
  ...[1, 2, 3, 4, 6].map((epsilon) => ({ mechanism: "santext" as const, epsilon })),
  ...[2, 4, 6, 8, 11, 16].map((epsilon) => ({ mechanism: "custext" as const, epsilon })),
  ...[0.2, 0.5, 1, 1.5, 2, 3].map((epsilon) => ({ mechanism: "diffractor" as const, epsilon })),
  ...[8, 10, 12, 15, 18, 25].map((epsilon) => ({ mechanism: "laplace-rank" as const, epsilon })),
  // The stopword option on M1 and M4 (docs/mechanisms.md, "Keeping stopwords").
  ...[6, 8, 11.5, 15].map((epsilon) => ({ mechanism: "laplace" as const, epsilon, keep: "stopwords" as const })),
  ...[0.5, 1.2, 3].map((scale) => ({ mechanism: "gumbel" as const, epsilon: 45, scale, keep: "stopwords" as const })),
  { mechanism: "gumbel", epsilon: 45, keep: "stopwords" },
];

export interface DatasetSpec {
  name: string;
  train: string;
  /** Without a test file the data is split, seeded, with `testFraction` held out. */
  test?: string;
  format: DataFormat;
  textCol?: number;
  labelCol?: number;
  testFraction?: number;
  /** Training examples used (a seeded subset; all when larger than the split). */
  trainLimit: number;
  /** Test examples privatized for the privatized-test variant (a seeded subset of the test split). */
  privateTestLimit: number;
  /**
   * The analyst's public data (`--public N`): N clean training texts, disjoint from the
   * privatized ones, added to each privatized training set for a second model.
   */
  publicCount?: number;
}

export interface LoadedDataset {
  spec: DatasetSpec;
  train: EncodedSplit;
  test: EncodedSplit;
  /** The subset of the test split that is also scored privatized. */
  privateTest: EncodedSplit;
  /** Distinct in-vocabulary ids of the training split. */
  vocabulary: Int32Array;
  /** The public clean texts (`publicCount`), as documents, with their labels. */
  publicTexts: { docs: string[][]; labels: string[] } | null;
  sizes: { train: number; trainAvailable: number; test: number; privateTest: number };
}

export function loadDataset(veil: Veil, spec: DatasetSpec): LoadedDataset {
  const read = (p: string): Example[] =>
    readDataset(p, {
      format: spec.format,
      ...(spec.textCol !== undefined && { textCol: spec.textCol }),
      ...(spec.labelCol !== undefined && { labelCol: spec.labelCol }),
    });
  let train: Example[], test: Example[];
  if (spec.test) ((train = read(spec.train)), (test = read(spec.test)));
  else ({ train, test } = splitSeeded(read(spec.train), spec.testFraction ?? 0.2, 7));
  const used = subsample(train, spec.trainLimit, 11);
  const privateTest = subsample(test, spec.privateTestLimit, 13);
  const encTrain = encodeSplit(veil, used);
  const taken = new Set(used);
  const publicExamples = spec.publicCount
    ? shuffleSeeded(
        train.filter((x) => !taken.has(x)),
        19,
      ).slice(0, spec.publicCount)
    : [];
  return {
    spec,
    train: encTrain,
    test: encodeSplit(veil, test),
    privateTest: encodeSplit(veil, privateTest),
    vocabulary: Int32Array.from(new Set(encTrain.ids)).sort(),
    publicTexts: publicExamples.length ? { docs: encodeSplit(veil, publicExamples).clean, labels: publicExamples.map((x) => x.label) } : null,
    sizes: { train: used.length, trainAvailable: train.length, test: test.length, privateTest: privateTest.length },
  };
}

export interface PointResult {
  /** Accuracy on the original test texts. */
  accuracy: number;
  /** Accuracy on the privatized subset of the test texts (same model). */
  accuracyPrivateTest: number;
  /** Fraction of in-vocabulary training tokens left unchanged. */
  keptTokens: number;
  /** Accuracy on the original test texts of a model trained on the privatized texts plus the public ones (`publicCount`). */
  accuracyWithPublic?: number;
}

const optionsOf = (s: Setting): MechanismOptions => ({ ...s });

/** Privatizes training (and the private test subset) with seed-derived streams, trains, scores. */
export function runPoint(veil: Veil, data: LoadedDataset, setting: Setting, seed: number, fit: LogisticOptions): PointResult {
  const train = privatizeSplit(veil, data.train, optionsOf(setting), 1_000_003 * seed + 1);
  const privTest = privatizeSplit(veil, data.privateTest, optionsOf(setting), 1_000_003 * seed + 2);
  const model = TextClassifier.train(train.docs, data.train.labels, { ...fit, seed });
  const pub = data.publicTexts;
  const mixed = pub && TextClassifier.train([...train.docs, ...pub.docs], [...data.train.labels, ...pub.labels], { ...fit, seed });
  return {
    accuracy: model.accuracy(data.test.clean, data.test.labels),
    accuracyPrivateTest: model.accuracy(privTest.docs, data.privateTest.labels),
    keptTokens: train.keptTokens,
    ...(mixed && { accuracyWithPublic: mixed.accuracy(data.test.clean, data.test.labels) }),
  };
}

/** The references: the clean text ("none"), and the clean text with out-of-vocabulary words dropped ("vocabulary"). */
export function runBaseline(veil: Veil, data: LoadedDataset, which: "none" | "vocabulary", seed: number, fit: LogisticOptions): PointResult {
  const docs = which === "none" ? data.train.clean : documentsOf(veil, data.train);
  const model = TextClassifier.train(docs, data.train.labels, { ...fit, seed });
  const testDocs = which === "none" ? data.privateTest.clean : documentsOf(veil, data.privateTest);
  return { accuracy: model.accuracy(data.test.clean, data.test.labels), accuracyPrivateTest: model.accuracy(testDocs, data.privateTest.labels), keptTokens: 1 };
}

export interface StatsResult {
  /** Mean over the sampled words of N_w = P[M(w) = w]. */
  Nw: number;
  /** Mean over the sampled words of S_w, the distinct outputs in `draws` draws. */
  Sw: number;
  words: number;
  draws: number;
  /** Exact from the output law (M2-M4, M7-M9) or estimated by sampling (M1, M5, M6, M10). */
  method: "exact" | "sampled";
  /**
   * The attacker's success (docs/attack.md) with the training split's word
   * frequencies as its prior, over its `attackWords` commonest words.
   */
  attack?: AttackResult;
}

/** The attacker's prior for a dataset: each vocabulary word's count among the training split's in-vocabulary tokens. */
export function trainingPrior(n: number, data: LoadedDataset): Float64Array {
  const counts = new Float64Array(n);
  for (const id of data.train.ids) counts[id]!++;
  return counts;
}

/**
 * Mean N_w and S_w over `words` distinct training-vocabulary words (a seeded
 * uniform sample), from `Veil.stats`: exact from the output law for M2-M4 and M7-M9 (S_w
 * as its expectation for `draws` draws); M1 has no closed form and is sampled,
 * `draws` per word.
 */
export function runStats(
  veil: Veil,
  data: LoadedDataset,
  setting: Setting,
  words: number,
  draws: number,
  attack?: { words: number; draws: number },
): StatsResult {
  const sample = shuffleSeeded([...data.vocabulary], 17).slice(0, words);
  const vocabulary = veil.embedding.words;
  let nw = 0,
    sw = 0,
    method: StatsResult["method"] = "exact";
  sample.forEach((w, i) => {
    useSeededRandom(veil, 5_000_011 + i);
    const stats = veil.stats(vocabulary[w]!, optionsOf(setting), { samples: draws, top: 0 });
    if (!stats.exact) method = "sampled";
    const { Nw, Sw } = stats.exact ?? stats.sampled;
    nw += Nw;
    sw += Sw;
  });
  const out: StatsResult = { Nw: nw / sample.length, Sw: sw / sample.length, words: sample.length, draws, method };
  if (attack) {
    useSeededRandom(veil, 7_000_003);
    out.attack = veil.attack(optionsOf(setting), { prior: trainingPrior(veil.embedding.n, data), words: attack.words, samples: attack.draws, k: 5 });
  }
  return out;
}

/** Mean and sample standard deviation. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** A curve's value at x by linear interpolation between its points sorted by x (null outside its range). */
export function interpolate(points: readonly { x: number; y: number }[], x: number): number | null {
  const ps = [...points].sort((a, b) => a.x - b.x);
  for (let i = 0; i + 1 < ps.length; i++) {
    const a = ps[i]!,
      b = ps[i + 1]!;
    if (x >= a.x && x <= b.x) return b.x === a.x ? (a.y + b.y) / 2 : a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
  }
  return ps.length === 1 && ps[0]!.x === x ? ps[0]!.y : null;
}
