// The unit of work of the utility benchmark and how one is run, the same in a
// worker thread (utility-worker.ts) as in-thread.
import { readFileSync } from "node:fs";
import { createVeil, readPack, type Veil } from "@veil/core";
import type { LogisticOptions } from "./classifier.js";
import {
  loadDataset,
  runBaseline,
  runPoint,
  runStats,
  type DatasetSpec,
  type LoadedDataset,
  type PointResult,
  type Setting,
  type StatsResult,
} from "./utility.js";

export type Job =
  | { kind: "point"; dataset: string; setting: Setting; seed: number }
  | { kind: "baseline"; dataset: string; which: "none" | "vocabulary"; seed: number }
  | { kind: "stats"; dataset: string; setting: Setting };

export type JobResult = PointResult | StatsResult;

export interface RunnerConfig {
  pack: string;
  backend: "wasm" | "js";
  datasets: DatasetSpec[];
  fit: LogisticOptions;
  statsWords: number;
  statsDraws: number;
  /** The attacker's inputs (the prior's commonest words) and M1's draws per input; none: R is not measured. */
  attack?: { words: number; draws: number };
}

export interface DatasetSummary {
  name: string;
  sizes: LoadedDataset["sizes"];
  trainTokens: number;
  trainOov: number;
  trainVocabulary: number;
  labels: number;
}

export class JobRunner {
  private constructor(
    private readonly veil: Veil,
    private readonly config: RunnerConfig,
    private readonly data: Map<string, LoadedDataset>,
  ) {}

  static async open(config: RunnerConfig): Promise<JobRunner> {
    const veil = await createVeil({ pack: await readPack(readFileSync(config.pack)), backend: config.backend });
    return new JobRunner(veil, config, new Map(config.datasets.map((spec) => [spec.name, loadDataset(veil, spec)])));
  }

  summaries(): DatasetSummary[] {
    return [...this.data.values()].map((d) => ({
      name: d.spec.name,
      sizes: d.sizes,
      trainTokens: d.train.tokens,
      trainOov: d.train.oov,
      trainVocabulary: d.vocabulary.length,
      labels: new Set(d.train.labels).size,
    }));
  }

  run(job: Job): JobResult {
    const data = this.data.get(job.dataset);
    if (!data) throw new Error(`no dataset named ${job.dataset}`);
    switch (job.kind) {
      case "point":
        return runPoint(this.veil, data, job.setting, job.seed, this.config.fit);
      case "baseline":
        return runBaseline(this.veil, data, job.which, job.seed, this.config.fit);
      case "stats":
        return runStats(this.veil, data, job.setting, this.config.statsWords, this.config.statsDraws, this.config.attack);
    }
  }

  dispose(): void {
    this.veil.dispose();
  }
}
