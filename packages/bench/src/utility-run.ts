// Runs the whole utility benchmark: plans the jobs, runs them on a pool of worker
// threads with a progress bar, then aggregates over seeds, compares M4 with M1 at
// matched N_w, and writes the JSON and the charts.
import path from "node:path";
import { MECHANISM_INFO, type MechanismName } from "@veil/core";
import { lineChart, PALETTE, type Series } from "./charts.js";
import { runPool } from "./pool.js";
import { ProgressBar, clock } from "./progress.js";
import { environment, writeResult, type Environment } from "./results.js";
import { isCalibrated, meanSd, interpolate, seriesOf, settingKey, type DatasetSpec, type PointResult, type Setting, type StatsResult } from "./utility.js";
import type { DatasetSummary, Job, JobResult, RunnerConfig } from "./utility-jobs.js";

export interface UtilityOptions extends RunnerConfig {
  grid: Setting[];
  seeds: number;
  threads: number;
  outDir: string;
  /** Written into the report and the charts: how this run differs from the defaults. */
  label: string;
  quiet?: boolean;
}

interface Spread {
  mean: number;
  sd: number;
  runs: number[];
}

export interface UtilityPoint {
  key: string;
  setting: Setting;
  /** The curve it belongs to: the mechanism, or "mechanism+stopwords". */
  series: string;
  calibrated: boolean;
  Nw: number;
  Sw: number;
  /** The attacker's success (exact for M2-M4 and M7-M9, sampled for the others), and within 5 guesses. */
  R?: number;
  R5?: number;
  stats: StatsResult;
  keptTokens: number;
  accuracy: Spread;
  accuracyPrivateTest: Spread;
  /** With `--public N`: the model trained on the privatized texts plus N clean public ones. */
  accuracyWithPublic?: Spread;
}

/** Every curve's accuracy at one N_w (each interpolated per seed), the best marked; with public data when measured. */
export interface EqualNw {
  Nw: number;
  accuracy: Record<string, number>;
  best: string;
  withPublic?: Record<string, number>;
}

export interface Comparison {
  Nw: number;
  m1: number;
  m4: number;
  /** M4 minus M1, mean over seeds of the paired difference, with its sd over seeds. */
  difference: number;
  sd: number;
}

/** Accuracy at one level of attacker success R: each mechanism whose curve reaches it, the best, and each one's paired difference to M1. */
export interface EqualR {
  R: number;
  accuracy: Partial<Record<MechanismName, number>>;
  best: MechanismName;
  /** Mechanism minus M1, mean over seeds of the paired difference (per seed, each curve interpolated at R), with its sd. */
  vsM1: Partial<Record<MechanismName, { difference: number; sd: number }>>;
}

export interface UtilityDataset extends DatasetSummary {
  baselines: { none: { accuracy: Spread; accuracyPrivateTest: Spread }; vocabulary: { accuracy: Spread; accuracyPrivateTest: Spread } };
  points: UtilityPoint[];
  /** M4 against M1 at matched N_w: at the calibrated M4's N_w, and on a grid where both curves reach. */
  m4VsM1: Comparison[];
  /** The same, scored on privatized test texts. */
  m4VsM1PrivateTest: Comparison[];
  /** Every mechanism at equal attacker success (absent when R was not measured). */
  atEqualR?: EqualR[];
  /** Every curve at the same N_w levels (the README's table). */
  atEqualNw?: EqualNw[];
}

export interface UtilityReport extends Environment {
  benchmark: "utility";
  label: string;
  config: Omit<UtilityOptions, "outDir" | "quiet" | "grid" | "datasets"> & { datasets: DatasetSpec[]; grid: string[] };
  seconds: number;
  datasets: UtilityDataset[];
  files: string[];
}

const NAMES: Record<MechanismName, string> = {
  laplace: "M1 Laplace",
  exponential: "M2 exponential",
  tem: "M3 TEM",
  gumbel: "M4 truncated Gumbel",
  mahalanobis: "M5 Mahalanobis",
  vickrey: "M6 Vickrey",
  santext: "M7 SanText+",
  custext: "M8 CusText",
  diffractor: "M9 1-Diffractor",
  "laplace-rank": "M10 rank-based Laplace",
};
/** One colour per mechanism: the seven of the palette, then the same hues for M8-M10 (drawn dashed in the charts). */
const COLORS: Record<MechanismName | "none" | "vocabulary", string> = {
  laplace: PALETTE[0]!,
  exponential: PALETTE[1]!,
  tem: PALETTE[2]!,
  gumbel: PALETTE[4]!,
  mahalanobis: PALETTE[3]!,
  vickrey: "#8C564B",
  santext: "#7F7F7F",
  custext: "#BCBD22",
  diffractor: "#17BECF",
  "laplace-rank": "#9467BD",
  none: PALETTE[6]!,
  vocabulary: PALETTE[5]!,
};

/** Rough seconds per job on one core, so the long ones start first and the pool ends together. */
function jobCost(job: Job): number {
  if (job.kind === "baseline") return 1;
  const m = job.setting.mechanism;
  const noisy = m === "laplace" || m === "mahalanobis" || m === "vickrey" || m === "laplace-rank";
  const perJob = noisy ? 40 : m === "exponential" || m === "tem" || m === "santext" ? 12 : 2;
  return job.kind === "stats" ? (m === "gumbel" ? 35 : noisy ? 20 : m === "diffractor" ? 10 : 3) : perJob;
}

function spread(runs: number[]): Spread {
  return { ...meanSd(runs), runs };
}

/** Every job of a run: per dataset and seed, the two baselines and each setting; per dataset and setting, its stats. */
function utilityJobs(o: UtilityOptions): Job[] {
  const jobs: Job[] = [];
  for (const d of o.datasets) {
    for (let seed = 1; seed <= o.seeds; seed++) {
      jobs.push({ kind: "baseline", dataset: d.name, which: "none", seed }, { kind: "baseline", dataset: d.name, which: "vocabulary", seed });
      for (const setting of o.grid) jobs.push({ kind: "point", dataset: d.name, setting, seed });
    }
    for (const setting of o.grid) jobs.push({ kind: "stats", dataset: d.name, setting });
  }
  return jobs;
}

/** One dataset's part of the report, from the jobs' results: baselines, points (spread over seeds) and the comparisons. */
function summarizeDataset(summary: DatasetSummary, results: Map<string, JobResult>, o: UtilityOptions): UtilityDataset {
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const point = (key: string, seed: number): PointResult => results.get(`${summary.name}|${key}|${seed}`) as PointResult;
  const base = (which: "none" | "vocabulary"): UtilityDataset["baselines"]["none"] => ({
    accuracy: spread(seeds.map((s) => point(which, s).accuracy)),
    accuracyPrivateTest: spread(seeds.map((s) => point(which, s).accuracyPrivateTest)),
  });
  const points: UtilityPoint[] = o.grid.map((setting) => {
    const key = settingKey(setting);
    const stats = results.get(`${summary.name}|${key}|stats`) as StatsResult;
    const runs = seeds.map((s) => point(key, s));
    return {
      key,
      setting,
      calibrated: isCalibrated(setting),
      Nw: stats.Nw,
      Sw: stats.Sw,
      ...(stats.attack && { R: stats.attack.R, R5: stats.attack.Rk }),
      stats,
      keptTokens: meanSd(runs.map((r) => r.keptTokens)).mean,
      series: seriesOf(setting),
      accuracy: spread(runs.map((r) => r.accuracy)),
      accuracyPrivateTest: spread(runs.map((r) => r.accuracyPrivateTest)),
      ...(runs.every((r) => r.accuracyWithPublic !== undefined) && { accuracyWithPublic: spread(runs.map((r) => r.accuracyWithPublic!)) }),
    };
  });
  return { ...summary, baselines: { none: base("none"), vocabulary: base("vocabulary") }, points, ...comparisons(points, o.seeds) };
}

export async function runUtility(o: UtilityOptions): Promise<UtilityReport> {
  const t0 = performance.now();
  const env = environment();
  const jobs = utilityJobs(o);
  const config: RunnerConfig = {
    pack: o.pack,
    backend: o.backend,
    datasets: o.datasets,
    fit: o.fit,
    statsWords: o.statsWords,
    statsDraws: o.statsDraws,
    ...(o.attack && { attack: o.attack }),
  };
  const bar = new ProgressBar("utility", jobs.length, o.quiet ? ({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream) : process.stderr);
  const results = new Map<string, JobResult>();
  const keyOf = (j: Job): string =>
    j.kind === "baseline"
      ? `${j.dataset}|${j.which}|${j.seed}`
      : j.kind === "point"
        ? `${j.dataset}|${settingKey(j.setting)}|${j.seed}`
        : `${j.dataset}|${settingKey(j.setting)}|stats`;
  let summaries: DatasetSummary[] = [];
  await runPool<Job, JobResult, DatasetSummary[]>({
    worker: new URL("./utility-worker.js", import.meta.url),
    workerData: config,
    threads: o.threads,
    jobs,
    cost: jobCost,
    onReady: (s) => (summaries = s),
    onResult: (job, r) => {
      results.set(keyOf(job), r);
      bar.tick(`${job.dataset} ${job.kind === "baseline" ? job.which : settingKey(job.setting)}${job.kind === "stats" ? " stats" : ` seed ${job.seed}`}`);
    },
  });

  const datasets = summaries.map((summary) => summarizeDataset(summary, results, o));

  const report: UtilityReport = {
    benchmark: "utility",
    label: o.label,
    ...env,
    config: { ...config, seeds: o.seeds, threads: o.threads, label: o.label, grid: o.grid.map(settingKey) },
    seconds: Math.round((performance.now() - t0) / 1000),
    datasets,
    files: [],
  };
  report.files = [
    ...writeCharts(report, o.outDir),
    path.join(o.outDir, "utility.json"),
    writeResult(o.outDir, "utility-table.md", equalNwMarkdown(report) + "\n"),
  ];
  writeResult(o.outDir, "utility.json", report);
  if (!o.quiet) process.stderr.write(summarize(report));
  return report;
}

/** Renders both charts of every dataset of a report into `dir`; returns the files. */
export function writeCharts(report: UtilityReport, dir: string): string[] {
  return report.datasets.flatMap((d) => [
    writeResult(dir, `utility-${d.name}-epsilon.svg`, chartEpsilon(d, report)),
    writeResult(dir, `utility-${d.name}-nw.svg`, chartNw(d, report)),
    ...(d.points.every((p) => p.R !== undefined) ? [writeResult(dir, `utility-${d.name}-attack.svg`, chartR(d, report))] : []),
  ]);
}

/** Paired per seed: M1 and M4 at the same N_w; and, where R was measured, every mechanism at the same R. */
export function comparisons(points: UtilityPoint[], seeds: number): Pick<UtilityDataset, "m4VsM1" | "m4VsM1PrivateTest" | "atEqualR" | "atEqualNw"> {
  const mainPoints = points.filter((p) => p.setting.keep === undefined);
  return {
    m4VsM1: compareM4M1(mainPoints, seeds),
    m4VsM1PrivateTest: compareM4M1(mainPoints, seeds, "accuracyPrivateTest"),
    ...(points.every((p) => p.R !== undefined) && { atEqualR: compareAtEqualR(mainPoints, seeds) }),
    atEqualNw: compareAtEqualNw(points, seeds),
  };
}

/** The N_w levels of the README's table. */
export const NW_LEVELS = [0.2, 0.3, 0.5, 0.7, 0.9];

/** Each curve's accuracy (and with public data) at each N_w level its points span, interpolated per seed; the best marked. */
export function compareAtEqualNw(points: UtilityPoint[], seeds: number, levels = NW_LEVELS): EqualNw[] {
  const bySeries = new Map<string, UtilityPoint[]>();
  for (const p of points) bySeries.set(seriesOfPoint(p), [...(bySeries.get(seriesOfPoint(p)) ?? []), p]);
  const at = (ps: UtilityPoint[], x: number, score: "accuracy" | "accuracyWithPublic"): number | null => {
    const ys = Array.from({ length: seeds }, (_, s) =>
      interpolate(
        ps.map((p) => ({ x: p.Nw, y: p[score]?.runs[s] ?? NaN })),
        x,
      ),
    );
    return ys.every((y): y is number => y !== null && Number.isFinite(y)) ? meanSd(ys).mean : null;
  };
  const out: EqualNw[] = [];
  for (const Nw of levels) {
    const accuracy: Record<string, number> = {};
    const withPublic: Record<string, number> = {};
    for (const [series, ps] of bySeries) {
      const a = at(ps, Nw, "accuracy");
      if (a !== null) accuracy[series] = a;
      const b = ps.every((p) => p.accuracyWithPublic) ? at(ps, Nw, "accuracyWithPublic") : null;
      if (b !== null) withPublic[series] = b;
    }
    // The best among the curves that protect every word (a kept stopword is sent as it is).
    const names = Object.keys(accuracy).filter((x) => !isVariant(x));
    if (names.length === 0) continue;
    const best = names.reduce((x, y) => (accuracy[y]! > accuracy[x]! ? y : x));
    out.push({ Nw, accuracy, best, ...(Object.keys(withPublic).length && { withPublic }) });
  }
  return out;
}

/** A series' name for people: the mechanism's id and name, and "keep stopwords" for the option. */
export function seriesName(series: string): string {
  const [m, variant] = series.split("+") as [MechanismName, string | undefined];
  return `${NAMES[m]}${variant ? ", stopwords kept" : ""}`;
}

/** Each mechanism's guarantee in a few words, for tables (MECHANISM_INFO has the full statement). */
const SHORT_GUARANTEE: Record<MechanismName, string> = {
  laplace: "ε-metric-DP",
  exponential: "ε-metric-DP",
  tem: "ε-metric-DP",
  gumbel: "none stated (realized privacy reported)",
  mahalanobis: "ε-metric-DP in d_RM",
  vickrey: "its base's (M1)",
  santext: "ε-metric-DP among rare words only",
  custext: "ε-DP within its group (the output reveals it)",
  diffractor: "ε-metric-DP in list positions (ε not comparable)",
  "laplace-rank": "M1's ε-metric-DP",
};

/** A series' guarantee in a few words; with stopwords kept, they are unprotected. */
function shortGuarantee(series: string): string {
  return SHORT_GUARANTEE[series.split("+")[0] as MechanismName] + (isVariant(series) ? "; stopwords sent unprotected" : "");
}

/** The README's table: for each N_w level, every curve's accuracy on each dataset, the best (of the curves that protect every word) in bold, and the guarantee. */
export function equalNwMarkdown(report: UtilityReport): string {
  const series = [...new Set(report.datasets.flatMap(mechanismsIn))];
  const head = `| mechanism | guarantee | ${report.datasets.flatMap((d) => NW_LEVELS.map((x) => `${d.name} N_w ${x}`)).join(" | ")} |`;
  const sep = `|---|---|${report.datasets.flatMap(() => NW_LEVELS.map(() => "---:")).join("|")}|`;
  const cell = (d: UtilityDataset, x: number, s: string): string => {
    const row = d.atEqualNw?.find((e) => e.Nw === x);
    const a = row?.accuracy[s];
    if (a === undefined) return "—";
    return row!.best === s ? `**${a.toFixed(3)}**` : a.toFixed(3);
  };
  const rows = series.map(
    (s) => `| ${seriesName(s)} | ${shortGuarantee(s)} | ${report.datasets.flatMap((d) => NW_LEVELS.map((x) => cell(d, x, s))).join(" | ")} |`,
  );
  return [head, sep, ...rows].join("\n");
}

/** What N clean public texts recover (`--public N`): each curve's accuracy without and with them at N_w 0.2 and 0.5. */
export function publicMarkdown(report: UtilityReport, levels = [0.2, 0.5]): string {
  const series = [...new Set(report.datasets.flatMap(mechanismsIn))];
  const head = `| mechanism | ${report.datasets.flatMap((d) => levels.map((x) => `${d.name} N_w ${x}: private only → with public (points)`)).join(" | ")} |`;
  const sep = `|---|${report.datasets.flatMap(() => levels.map(() => "---:")).join("|")}|`;
  const cell = (d: UtilityDataset, x: number, s: string): string => {
    const row = d.atEqualNw?.find((e) => e.Nw === x);
    const a = row?.accuracy[s],
      b = row?.withPublic?.[s];
    return a === undefined || b === undefined ? "—" : `${a.toFixed(3)} → ${b.toFixed(3)} (+${(100 * (b - a)).toFixed(1)})`;
  };
  return [head, sep, ...series.map((s) => `| ${seriesName(s)} | ${report.datasets.flatMap((d) => levels.map((x) => cell(d, x, s))).join(" | ")} |`)].join("\n");
}

/** The tables written beside the JSON: every curve at equal N_w, and what public data recovers (when measured). */
export function writeTables(report: UtilityReport, dir: string): string[] {
  const withPublic = report.datasets.some((d) => d.atEqualNw?.some((e) => e.withPublic));
  return [
    writeResult(dir, "utility-table.md", equalNwMarkdown(report) + "\n"),
    ...(withPublic ? [writeResult(dir, "utility-public.md", publicMarkdown(report) + "\n")] : []),
  ];
}

export function compareM4M1(points: UtilityPoint[], seeds: number, score: "accuracy" | "accuracyPrivateTest" = "accuracy"): Comparison[] {
  const m1 = points.filter((p) => p.setting.mechanism === "laplace");
  const m4 = points.filter((p) => p.setting.mechanism === "gumbel");
  if (m1.length === 0 || m4.length === 0) return [];
  const at = (ps: UtilityPoint[], seed: number, x: number): number | null =>
    interpolate(
      ps.map((p) => ({ x: p.Nw, y: p[score].runs[seed]! })),
      x,
    );
  const calibrated = m4.filter((p) => p.calibrated).map((p) => p.Nw);
  const levels = [...(calibrated.length ? [meanSd(calibrated).mean] : []), 0.3, 0.5, 0.7, 0.9];
  const out: Comparison[] = [];
  for (const x of levels) {
    const diffs: number[] = [],
      a1: number[] = [],
      a4: number[] = [];
    for (let s = 0; s < seeds; s++) {
      const y1 = at(m1, s, x),
        y4 = at(m4, s, x);
      if (y1 === null || y4 === null) break;
      (a1.push(y1), a4.push(y4), diffs.push(y4 - y1));
    }
    if (diffs.length !== seeds) continue;
    const d = meanSd(diffs);
    out.push({ Nw: +x.toFixed(4), m1: meanSd(a1).mean, m4: meanSd(a4).mean, difference: d.mean, sd: d.sd });
  }
  return out;
}

/** Levels of attacker success compared at: every 0.05 that at least two mechanisms' curves reach. */
export function compareAtEqualR(points: UtilityPoint[], seeds: number): EqualR[] {
  const byMechanism = new Map<MechanismName, UtilityPoint[]>();
  for (const p of points) byMechanism.set(p.setting.mechanism, [...(byMechanism.get(p.setting.mechanism) ?? []), p]);
  const at = (ps: UtilityPoint[], seed: number, x: number) =>
    interpolate(
      ps.map((p) => ({ x: p.R!, y: p.accuracy.runs[seed]! })),
      x,
    );
  const out: EqualR[] = [];
  for (let level = 0.05; level < 1; level += 0.05) {
    const R = +level.toFixed(2);
    const perSeed = new Map<MechanismName, number[]>();
    for (const [m, ps] of byMechanism) {
      const ys = Array.from({ length: seeds }, (_, s) => at(ps, s, R));
      if (ys.every((y): y is number => y !== null)) perSeed.set(m, ys);
    }
    if (perSeed.size < 2) continue;
    const accuracy = Object.fromEntries([...perSeed].map(([m, ys]) => [m, meanSd(ys).mean])) as Partial<Record<MechanismName, number>>;
    const best = [...perSeed.keys()].reduce((a, b) => (accuracy[b]! > accuracy[a]! ? b : a));
    const m1 = perSeed.get("laplace");
    const paired = (ys: number[]) => {
      const { mean, sd } = meanSd(ys.map((y, s) => y - m1![s]!));
      return { difference: mean, sd };
    };
    const vsM1 = m1 ? Object.fromEntries([...perSeed].filter(([m]) => m !== "laplace").map(([m, ys]) => [m, paired(ys)])) : {};
    out.push({ R, accuracy, best, vsM1 });
  }
  return out;
}

function note(d: UtilityDataset, r: UtilityReport): string[] {
  return [
    `${d.sizes.train} of ${d.sizes.trainAvailable} training texts, ${d.sizes.test} test texts (${d.sizes.privateTest} when privatized); ${r.config.seeds} seeds, bars ±1 sd; ${r.date.slice(0, 10)}`,
    ...(r.label ? [r.label] : []),
  ];
}

function references(d: UtilityDataset): { name: string; y: number; color: string }[] {
  return [
    { name: "none (clean text)", y: d.baselines.none.accuracy.mean, color: COLORS.none },
    { name: "vocabulary only", y: d.baselines.vocabulary.accuracy.mean, color: COLORS.vocabulary },
  ];
}

/** A point's curve (reports written before points carried `series` get it from the setting). */
const seriesOfPoint = (p: UtilityPoint): string => p.series ?? seriesOf(p.setting);
/** The curves of a dataset, in grid order. */
const mechanismsIn = (d: UtilityDataset): string[] => [...new Set(d.points.map(seriesOfPoint))];
const colorOf = (series: string): string => COLORS[series.split("+")[0] as MechanismName];
const isVariant = (series: string): boolean => series.includes("+");

export function chartEpsilon(d: UtilityDataset, r: UtilityReport): string {
  const series: Series[] = mechanismsIn(d).map((m) => ({
    name: seriesName(m),
    color: colorOf(m),
    dashed: isVariant(m),
    points: d.points.filter((p) => seriesOfPoint(p) === m && p.calibrated).map((p) => ({ x: p.setting.epsilon, y: p.accuracy.mean, err: p.accuracy.sd })),
  }));
  return lineChart({
    title: `${d.name}: accuracy against epsilon (training text privatized)`,
    xLabel: "epsilon (log scale; M4 calibrated, valid above the pack's gumbelMinEpsilon, veil info)",
    yLabel: "test accuracy (original test texts)",
    xLog: true,
    series: series.filter((s) => s.points.length > 0),
    references: references(d),
    note: note(d, r),
  });
}

export function chartNw(d: UtilityDataset, r: UtilityReport): string {
  const series: Series[] = [];
  const many = mechanismsIn(d).length > 4; // with every mechanism, the privatized-test curves would hide the rest
  for (const m of mechanismsIn(d)) {
    const ps = d.points.filter((p) => seriesOfPoint(p) === m);
    series.push({ name: seriesName(m), color: colorOf(m), dashed: isVariant(m), points: ps.map((p) => ({ x: p.Nw, y: p.accuracy.mean, err: p.accuracy.sd })) });
    if (!many)
      series.push({
        name: `${MECHANISM_INFO[m.split("+")[0] as MechanismName].id}, test privatized too`,
        color: colorOf(m),
        dashed: true,
        points: ps.map((p) => ({ x: p.Nw, y: p.accuracyPrivateTest.mean, err: p.accuracyPrivateTest.sd })),
      });
  }
  return lineChart({
    title: `${d.name}: accuracy against plausible deniability N_w`,
    xLabel: "mean N_w = P[M(w) = w] over the training vocabulary (1 = no privacy)",
    yLabel: "test accuracy",
    series,
    references: references(d),
    note: [...note(d, r), "M4 off its calibrated N_w (about 0.2) by an explicit Gumbel scale b, and below it by lambda 60"],
    height: 480,
  });
}

export function chartR(d: UtilityDataset, r: UtilityReport): string {
  const series: Series[] = mechanismsIn(d).map((m) => ({
    name: seriesName(m),
    color: colorOf(m),
    dashed: isVariant(m),
    points: d.points.filter((p) => seriesOfPoint(p) === m).map((p) => ({ x: p.R!, y: p.accuracy.mean, err: p.accuracy.sd })),
  }));
  const words = r.config.attack?.words ?? 0;
  return lineChart({
    title: `${d.name}: accuracy against the attacker's success R`,
    xLabel: "R = P[the best attacker recovers the word] (lower = more privacy)",
    yLabel: "test accuracy (original test texts)",
    series,
    references: references(d),
    note: [
      ...note(d, r),
      `attacker's prior: the training words' frequencies over the ${words} commonest; R exact for M2-M4 and M7-M9, sampled for the others (held-out)`,
    ],
    height: 480,
  });
}

export function summarize(r: UtilityReport): string {
  const lines: string[] = [`utility benchmark: ${clock(r.seconds)} on ${r.machine.cores} cores (${r.config.threads} threads)`];
  for (const d of r.datasets) {
    lines.push(
      `\n${d.name}: ${d.sizes.train} training texts (${d.trainTokens} tokens, ${((100 * d.trainOov) / d.trainTokens).toFixed(1)}% out of vocabulary), ${d.sizes.test} test, ${d.labels} classes`,
      `  none (clean)        acc ${d.baselines.none.accuracy.mean.toFixed(3)} ± ${d.baselines.none.accuracy.sd.toFixed(3)}`,
      `  vocabulary only     acc ${d.baselines.vocabulary.accuracy.mean.toFixed(3)} ± ${d.baselines.vocabulary.accuracy.sd.toFixed(3)}`,
    );
    for (const p of d.points)
      lines.push(
        `  ${p.key.padEnd(32)} N_w ${p.Nw.toFixed(3)} S_w ${p.Sw.toFixed(1).padStart(5)}${p.R !== undefined ? ` R ${p.R.toFixed(3)}` : ""}  acc ${p.accuracy.mean.toFixed(3)} ± ${p.accuracy.sd.toFixed(3)}  privatized test ${p.accuracyPrivateTest.mean.toFixed(3)} ± ${p.accuracyPrivateTest.sd.toFixed(3)}`,
      );
    for (const [what, cs] of [
      ["original", d.m4VsM1],
      ["privatized", d.m4VsM1PrivateTest ?? []],
    ] as const)
      for (const c of cs)
        lines.push(
          `  ${what} test, at N_w ${c.Nw.toFixed(3)}: M4 ${c.m4.toFixed(3)} vs M1 ${c.m1.toFixed(3)}: ${(100 * c.difference).toFixed(1)} ± ${(100 * c.sd).toFixed(1)} points`,
        );
    for (const e of d.atEqualNw ?? [])
      lines.push(
        `  at N_w ${e.Nw}: ${Object.entries(e.accuracy)
          .map(
            ([m, a]) => `${m} ${a.toFixed(3)}${m === e.best ? "*" : ""}${e.withPublic?.[m] !== undefined ? ` (+public ${e.withPublic[m]!.toFixed(3)})` : ""}`,
          )
          .join("  ")}`,
      );
    for (const e of d.atEqualR ?? [])
      lines.push(
        `  at R ${e.R.toFixed(2)}: ${Object.entries(e.accuracy)
          .map(([m, a]) => `${MECHANISM_INFO[m as MechanismName].id} ${a!.toFixed(3)}${m === e.best ? "*" : ""}`)
          .join("  ")}`,
      );
  }
  lines.push(`\nwrote ${r.files.join(", ")}\n`);
  return lines.join("\n");
}
