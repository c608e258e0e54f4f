// A standard text classifier for the utility benchmark: TF-IDF features
// (Veil's own tokenizer, lower-cased words) into multinomial logistic regression
// with L2 regularization, trained by seeded mini-batch Adam. Small and tested
// rather than a dependency: no maintained npm package does sparse TF-IDF logistic
// regression without native code or a tensor runtime.
import { tokenize, lookupKey } from "@veil/core";
import { seededSource, UniformStream } from "@veil/core/testing";

export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
}

export function words(text: string): string[] {
  return tokenize(text)
    .filter((t) => t.wordLike)
    .map((t) => lookupKey(t.text));
}

/** A document: raw text (tokenized with Veil's tokenizer) or its words, already tokenized. */
export type Document = string | readonly string[];

const wordsOf = (doc: Document): readonly string[] => (typeof doc === "string" ? words(doc) : doc);

export class TfidfVectorizer {
  private readonly vocab = new Map<string, number>();
  private idf = new Float64Array(0);

  /** Learns the vocabulary (words in at least `minCount` documents) and smoothed idf = ln((1 + N)/(1 + df)) + 1. */
  fit(texts: readonly Document[], minCount = 1): this {
    const df = new Map<string, number>();
    for (const t of texts) for (const w of new Set(wordsOf(t))) df.set(w, (df.get(w) ?? 0) + 1);
    const kept = [...df.entries()].filter(([, c]) => c >= minCount).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    this.idf = new Float64Array(kept.length);
    kept.forEach(([w, c], i) => {
      this.vocab.set(w, i);
      this.idf[i] = Math.log((1 + texts.length) / (1 + c)) + 1;
    });
    return this;
  }

  get size(): number {
    return this.idf.length;
  }

  /** Sublinear tf (1 + ln tf) times idf, L2-normalized; unknown words are dropped. */
  transform(text: Document): SparseVector {
    const tf = new Map<number, number>();
    for (const w of wordsOf(text)) {
      const i = this.vocab.get(w);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const idx = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const val = Float64Array.from(idx, (i) => (1 + Math.log(tf.get(i)!)) * this.idf[i]!);
    let norm = 0;
    for (const v of val) norm += v * v;
    if (norm > 0) for (let k = 0; k < val.length; k++) val[k]! /= Math.sqrt(norm);
    return { idx, val };
  }
}

export interface LogisticOptions {
  /** L2 penalty per example (weight decay), default 1e-4. */
  l2?: number;
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
}

export class LogisticRegression {
  private W: Float64Array; // classes x features, then one bias per class
  constructor(
    readonly classes: number,
    readonly features: number,
  ) {
    this.W = new Float64Array(classes * (features + 1));
  }

  private scores(x: SparseVector, out: Float64Array): void {
    const f1 = this.features + 1;
    for (let c = 0; c < this.classes; c++) {
      let s = this.W[c * f1 + this.features]!;
      for (let k = 0; k < x.idx.length; k++) s += this.W[c * f1 + x.idx[k]!]! * x.val[k]!;
      out[c] = s;
    }
  }

  /** Class probabilities (softmax of the scores). */
  probabilities(x: SparseVector): Float64Array {
    const p = new Float64Array(this.classes);
    this.scores(x, p);
    let max = -Infinity;
    for (const s of p) max = Math.max(max, s);
    let z = 0;
    for (let c = 0; c < this.classes; c++) z += p[c] = Math.exp(p[c]! - max);
    for (let c = 0; c < this.classes; c++) p[c]! /= z;
    return p;
  }

  predict(x: SparseVector): number {
    const p = this.probabilities(x);
    let best = 0;
    for (let c = 1; c < this.classes; c++) if (p[c]! > p[best]!) best = c;
    return best;
  }

  /** Minimizes mean cross-entropy + l2/2 |W|^2 with Adam over seeded mini-batches. */
  fit(X: readonly SparseVector[], y: readonly number[], o: LogisticOptions = {}): this {
    const l2 = o.l2 ?? 1e-4,
      epochs = o.epochs ?? 20,
      batch = o.batch ?? 32,
      lr = o.learningRate ?? 0.05;
    const u = new UniformStream(seededSource(o.seed ?? 1));
    const f1 = this.features + 1;
    const m = new Float64Array(this.W.length),
      v = new Float64Array(this.W.length),
      g = new Float64Array(this.W.length);
    const order = Int32Array.from(X, (_, i) => i);
    let t = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(u.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let start = 0; start < order.length; start += batch) {
        g.fill(0);
        const end = Math.min(order.length, start + batch);
        for (let b = start; b < end; b++) {
          const x = X[order[b]!]!;
          const p = this.probabilities(x);
          p[y[order[b]!]!]! -= 1;
          for (let c = 0; c < this.classes; c++) {
            const e = p[c]! / (end - start);
            for (let k = 0; k < x.idx.length; k++) g[c * f1 + x.idx[k]!]! += e * x.val[k]!;
            g[c * f1 + this.features]! += e;
          }
        }
        t++;
        const b1 = 0.9,
          b2 = 0.999,
          c1 = 1 - b1 ** t,
          c2 = 1 - b2 ** t;
        for (let i = 0; i < this.W.length; i++) {
          const gi = g[i]! + l2 * this.W[i]!;
          m[i] = b1 * m[i]! + (1 - b1) * gi;
          v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
          this.W[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
        }
      }
    }
    return this;
  }
}

/** A trained text classifier: TF-IDF features into logistic regression. */
export class TextClassifier {
  private constructor(
    private readonly labels: string[],
    private readonly vectorizer: TfidfVectorizer,
    private readonly model: LogisticRegression,
  ) {}

  /** Labels become classes in order of first appearance. */
  static train(docs: readonly Document[], labels: readonly string[], o: LogisticOptions = {}): TextClassifier {
    const classes = [...new Set(labels)];
    const vec = new TfidfVectorizer().fit(docs);
    const model = new LogisticRegression(classes.length, vec.size).fit(
      docs.map((d) => vec.transform(d)),
      labels.map((l) => classes.indexOf(l)),
      o,
    );
    return new TextClassifier(classes, vec, model);
  }

  predict(doc: Document): string {
    return this.labels[this.model.predict(this.vectorizer.transform(doc))]!;
  }

  /** Fraction of `docs` whose predicted label is the given one. */
  accuracy(docs: readonly Document[], labels: readonly string[]): number {
    let right = 0;
    docs.forEach((d, i) => (right += this.predict(d) === labels[i] ? 1 : 0));
    return right / docs.length;
  }
}

/** Trains on `train`, returns accuracy on `test`. */
export function trainAndScore(
  train: readonly { text: Document; label: string }[],
  test: readonly { text: Document; label: string }[],
  o: LogisticOptions = {},
): number {
  const model = TextClassifier.train(
    train.map((e) => e.text),
    train.map((e) => e.label),
    o,
  );
  return model.accuracy(
    test.map((e) => e.text),
    test.map((e) => e.label),
  );
}
