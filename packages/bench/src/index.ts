export { parseDataset, readDataset, parseCsv, splitSeeded, DatasetError, type Example, type DataFormat, type ReadOptions } from "./datasets.js";
export { TfidfVectorizer, LogisticRegression, trainAndScore, words, type SparseVector, type LogisticOptions } from "./classifier.js";
