// The playground: one page over @veil/web. State lives in a few variables; every
// SDK call goes through run(), which turns errors into messages a person reads.
import {
  clearCache,
  loadVeil,
  MECHANISM_INFO,
  MECHANISMS,
  type AttackResult,
  type LoadedVeil,
  type MechanismName,
  type PerturbResult,
  type VeilError,
} from "@veil/web";
import { barChart, lineChart, type Series } from "./chart.js";
import { SAMPLES, type SampleName } from "./samples.js";

const PACK_URL = new URLSearchParams(location.search).get("pack") ?? "/packs/glove-6b-100d-50k.veilpack";
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const DESCRIPTIONS: Record<MechanismName, string> = {
  gumbel: "Perturbs the distances to a random number of nearest neighbours with Gumbel noise; the closest wins.",
  laplace: "Adds Laplace-style noise to the word's vector and outputs the nearest word.",
  exponential: "Samples any word of the vocabulary, with probability falling off with distance.",
  tem: "Like the exponential mechanism, but all words beyond a radius share one small probability.",
  mahalanobis: "Like M1, but the noise is stretched along the directions in which the embedding's words spread.",
  vickrey: "Adds M1's noise, then picks between the two words nearest to the noisy point, the nearer one more often.",
  santext: "Only the rarer half of the vocabulary is resampled (and a common word 20% of the time); other common words pass as they are.",
  custext: "Each word belongs to a fixed group of 20 similar words and is replaced by a member of its group.",
  diffractor: "Words sit on one long chain of near neighbours; a word moves a random number of places along it.",
  "laplace-rank": "Finds M1's nearest word to the noisy point, then outputs a word a random number of ranks away from it.",
};
const COLORS: Record<MechanismName, string> = {
  gumbel: "#7c3aed",
  laplace: "#0891b2",
  exponential: "#d97706",
  tem: "#16a34a",
  mahalanobis: "#be185d",
  vickrey: "#854d0e",
  santext: "#4b5563",
  custext: "#65a30d",
  diffractor: "#0e7490",
  "laplace-rank": "#1d4ed8",
};
/** The mechanisms built on M1's noisy point (M1, M5, M6, M10): the same useful ε range, and no closed-form law (sampled). */
const NOISE_POINT: ReadonlySet<MechanismName> = new Set(["laplace", "mahalanobis", "vickrey", "laplace-rank"]);
/** The mechanisms whose ε is per unit of Euclidean distance (M5: of d_RM), which the N_w curve can share an axis for; M8 and M9 state theirs otherwise. */
const CURVE_MECHANISMS: MechanismName[] = MECHANISMS.filter((m) => m !== "custext" && m !== "diffractor");

let veil: LoadedVeil | null = null;
let mechanism: MechanismName = "gumbel";
let last: PerturbResult | null = null;
const eps: Record<MechanismName, number> = {
  gumbel: 50,
  laplace: 15,
  exponential: 6,
  tem: 6,
  mahalanobis: 15,
  vickrey: 15,
  santext: 6,
  custext: 3,
  diffractor: 0.5,
  "laplace-rank": 15,
};

/** Epsilon range each mechanism is useful in (M4's starts at its calibrated minimum on this pack). */
function range(m: MechanismName): { min: number; max: number; step: number; hint: string } {
  if (m === "gumbel") {
    const min = veil?.minEpsilon("gumbel") ?? 43.058; // the default pack's, until one is loaded
    return { min: Math.ceil(min * 10) / 10, max: Math.ceil(min * 4), step: 0.1, hint: `must be above ${min.toFixed(3)} on this embedding` };
  }
  if (NOISE_POINT.has(m)) return { min: 1, max: 60, step: 0.5, hint: "useful about 5 to 40" };
  if (m === "diffractor") return { min: 0.05, max: 5, step: 0.05, hint: "per position along the word chain: not comparable with the others" };
  if (m === "custext") return { min: 0.5, max: 20, step: 0.5, hint: "among the 20 words of a group" };
  return { min: 0.5, max: 30, step: 0.5, hint: "useful about 1 to 20" };
}

/** A person-readable message for any error. */
function message(err: unknown): string {
  const e = err as Partial<VeilError> & Error;
  switch (e?.name) {
    case "EpsilonOutOfRangeError": {
      const min = (e as { minEpsilon?: number }).minEpsilon;
      return `For the truncated Gumbel mechanism, epsilon must be above ${min?.toFixed(3) ?? "its minimum"} on this embedding: below that, its noise cannot be calibrated to the closest pair of words. Choose a larger epsilon.`;
    }
    case "InvalidEpsilonError":
      return `That epsilon does not work here: ${e.message}`;
    case "PackFetchError":
      return `The word embedding could not be downloaded. ${e.message}`;
    case "EmbeddingFormatError":
      return `The downloaded word embedding is damaged. ${e.message}`;
    case "EmptyTextError":
      return "There is no text to perturb yet: type something or pick a sample.";
    case "TextTooLargeError":
      return e.message;
    case "WorkerCrashedError":
      return "The background worker stopped. Press the button again: a new one starts.";
    default:
      return e?.message ? `Something went wrong: ${e.message}` : "Something went wrong.";
  }
}

// --- loading ----------------------------------------------------------------------
async function load(): Promise<void> {
  $("load-error").hidden = true;
  $("phase").textContent = "Starting…";
  const labels = { download: "Downloading the word embedding", verify: "Checking it", index: "Building the neighbour table", ready: "Ready" };
  try {
    veil = await loadVeil({
      pack: PACK_URL,
      onProgress: (p) => {
        const pct = p.phase === "ready" ? 100 : p.total ? Math.round((p.loaded / p.total) * 100) : 0;
        const bar = $("bar");
        bar.style.width = `${p.phase === "download" ? pct * 0.8 : p.phase === "ready" ? 100 : 80 + pct * 0.2}%`;
        bar.parentElement!.setAttribute("aria-valuenow", String(Math.round(parseFloat(bar.style.width))));
        $("phase").textContent =
          `${labels[p.phase]}${p.phase === "download" && !p.fromCache && p.total ? ` (${(p.loaded / 2 ** 20).toFixed(1)} of ${(p.total / 2 ** 20).toFixed(1)} MB)` : ""}${p.fromCache && p.phase !== "ready" ? " (from this browser's cache)" : ""}`;
      },
      onEvent: (e) => {
        if (e.type === "cache-fallback")
          $("source").textContent = "Not cached: this browser refused storage, so the embedding is kept in memory for this visit.";
        if (e.type === "backend-fallback") showBackend();
      },
    });
  } catch (err) {
    $("phase").textContent = "Not loaded";
    $("load-error-text").textContent = message(err);
    $("load-error").hidden = false;
    return;
  }
  $("phase").textContent = "Ready";
  const what = `${veil.pack.n.toLocaleString("en")} words, ${VECTOR_NAMES[veil.pack.stored.vectorType]} vectors`;
  $("source").textContent =
    veil.pack.source === "cache"
      ? `Loaded from cache (${what}): nothing was downloaded.`
      : `Downloaded ${(veil.pack.bytes / 1e6).toFixed(1)} MB once (${what}); cached for next time.`;
  $("source").dataset.source = veil.pack.source;
  showMissingWords(veil.pack.metadata);
  showBackend();
  ($("clear-cache") as HTMLButtonElement).disabled = false;
  ($("perturb") as HTMLButtonElement).disabled = false;
  renderMechanisms();
  (window as unknown as { veilPlayground: unknown }).veilPlayground = { veil };
  document.body.dataset.ready = "true";
}

const VECTOR_NAMES = { f32: "float32", f16: "float16", int8: "int8" } as const;

/** The common words the pack has no vector for (recorded by `veil pack`): they always come out as the placeholder. */
function showMissingWords(metadata: Record<string, unknown>): void {
  const missing = metadata["missingCommonWords"];
  if (!Array.isArray(missing) || missing.length === 0) return;
  const el = $("missing-words");
  el.textContent = `Common words this embedding has no vector for, so they always come out as ***: ${missing.map((w) => `“${String(w)}”`).join(", ")} (of the 100 most common English words).`;
  el.hidden = false;
}

function showBackend(): void {
  if (!veil) return;
  const b = veil.backend;
  const names: Record<string, string> = { webgpu: "WebGPU", wasm: "WebAssembly SIMD", js: "JavaScript" };
  $("backend").textContent = `Computing with ${names[b.name] ?? b.name}`;
  $("backend").dataset.backend = b.name;
  $("backend-reason").textContent = b.reason;
  $("backend-why").hidden = false;
}

// --- controls ------------------------------------------------------------------------
function renderMechanisms(): void {
  $("mechanisms").innerHTML = MECHANISMS.map(
    (m) => `<label class="mech"><input type="radio" name="mechanism" value="${m}" ${m === mechanism ? "checked" : ""}/>
      <span><strong>${MECHANISM_INFO[m].id} ${MECHANISM_INFO[m].title}</strong> <span class="small">(${MECHANISM_INFO[m].source})</span><br/><span class="small">${DESCRIPTIONS[m]} Guarantee: ${MECHANISM_INFO[m].guarantee}.</span></span></label>`,
  ).join("");
  for (const input of document.querySelectorAll<HTMLInputElement>("input[name=mechanism]"))
    input.addEventListener("change", () => {
      mechanism = input.value as MechanismName;
      syncEpsilon();
      if (last) void perturb();
    });
  syncEpsilon();
}

function syncEpsilon(): void {
  const r = range(mechanism);
  const slider = $<HTMLInputElement>("eps-range");
  Object.assign(slider, { min: String(r.min), max: String(r.max), step: String(r.step) });
  if (mechanism === "gumbel" && veil && eps.gumbel <= veil.minEpsilon("gumbel")) eps.gumbel = r.min;
  slider.value = String(eps[mechanism]);
  $<HTMLInputElement>("eps").value = String(eps[mechanism]);
  $("eps-hint").textContent = `(${r.hint})`;
  $("eps-error").hidden = true;
}

function readEpsilon(): number {
  return Number($<HTMLInputElement>("eps").value);
}

$("eps-range").addEventListener("input", () => {
  $<HTMLInputElement>("eps").value = $<HTMLInputElement>("eps-range").value;
  eps[mechanism] = readEpsilon();
  if (last) void perturb();
});
$("eps").addEventListener("change", () => {
  eps[mechanism] = readEpsilon();
  $<HTMLInputElement>("eps-range").value = String(eps[mechanism]);
  void perturb();
});

for (const b of document.querySelectorAll<HTMLButtonElement>("[data-sample]"))
  b.addEventListener("click", () => {
    $<HTMLTextAreaElement>("text").value = SAMPLES[b.dataset.sample as SampleName];
    if (veil) void perturb();
  });

// --- perturbation -------------------------------------------------------------------
let seq = 0;
async function perturb(): Promise<void> {
  if (!veil) return;
  const my = ++seq;
  const epsilon = readEpsilon();
  $("eps-error").hidden = true;
  try {
    const t0 = performance.now();
    const r = await veil.perturb($<HTMLTextAreaElement>("text").value, { mechanism, epsilon, ...keepOption() });
    if (my !== seq) return;
    $("timing").textContent = `${(performance.now() - t0).toFixed(1)} ms for ${r.words.length} words`;
    last = r;
    renderOutput(r);
  } catch (err) {
    if (my !== seq) return;
    $("eps-error").textContent = message(err);
    $("eps-error").hidden = false;
  }
}

/** `keep: "stopwords"` when the box is ticked. */
function keepOption(): { keep?: "stopwords" } {
  return $<HTMLInputElement>("keep-stopwords").checked ? { keep: "stopwords" } : {};
}

$("keep-stopwords").addEventListener("change", () => {
  if (last) void perturb();
});

/** What a word's class and tooltip say about it. */
function wordLook(w: PerturbResult["words"][number]): { cls: string; title: string } {
  if (w.unprotectedBecause === "stopword") return { cls: "kept", title: `${w.source}: a stopword, sent as it is (unprotected, by your choice)` };
  if (w.unprotectedBecause === "not-sensitive") return { cls: "kept", title: `${w.source}: a common word SanText+ kept as it is (unprotected)` };
  if (!w.inVocabulary)
    return w.protected
      ? { cls: "redacted", title: `${w.source} is not in the vocabulary: redacted` }
      : { cls: "kept-oov", title: "not in the vocabulary: kept" };
  return { cls: w.changed ? "changed" : "same", title: `${w.source} → ${w.output}: click for its probabilities` };
}

function renderOutput(r: PerturbResult): void {
  const out = $("output");
  out.classList.remove("empty");
  const text = $<HTMLTextAreaElement>("text").value;
  const parts: string[] = [];
  let at = 0;
  r.words.forEach((w, i) => {
    parts.push(escapeHtml(text.slice(at, w.start)));
    at = w.start + w.source.length;
    const { cls, title } = wordLook(w);
    parts.push(
      w.inVocabulary && w.protected
        ? `<button type="button" class="w ${cls}" data-i="${i}" title="${escapeHtml(title)}">${escapeHtml(w.output)}</button>`
        : `<span class="w ${cls}" title="${escapeHtml(title)}">${escapeHtml(w.output)}</span>`,
    );
  });
  parts.push(escapeHtml(text.slice(at)));
  out.innerHTML = parts.join("");
  // Which call this output is from, for whoever watches the page (the e2e tests wait on it).
  out.dataset.mechanism = r.mechanism;
  out.dataset.renders = String(Number(out.dataset.renders ?? 0) + 1);
  const changed = r.words.filter((w) => w.changed).length;
  const unprotected = r.words.filter((w) => w.unprotectedBecause === "stopword" || w.unprotectedBecause === "not-sensitive").length;
  $("privacy").innerHTML =
    `${r.privacy.wordsPerturbed} words perturbed, ${changed} changed${unprotected ? `, <strong>${unprotected} sent unprotected</strong> (marked with a dotted underline)` : ""}. Total privacy loss of this text: <strong>ε = ${fmt(r.privacy.epsilonTotal)}</strong> (${r.privacy.wordsPerturbed} × ${fmt(r.epsilon)}; epsilons add up over words and over re-rolls). Guarantee: ${r.privacy.guarantee}.`;
  ($("reroll") as HTMLButtonElement).disabled = false;
  ($("copy") as HTMLButtonElement).disabled = false;
  for (const b of out.querySelectorAll<HTMLButtonElement>("button.w")) b.addEventListener("click", () => void showWord(r.words[Number(b.dataset.i)]!.source));
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

$("perturb").addEventListener("click", () => void perturb());
$("reroll").addEventListener("click", () => void perturb());
$("copy").addEventListener("click", async () => {
  if (!last) return;
  await navigator.clipboard?.writeText(last.text).catch(() => {});
  $("copy").textContent = "Copied";
  setTimeout(() => ($("copy").textContent = "Copy"), 1200);
});
$("clear-cache").addEventListener("click", async () => {
  await clearCache();
  $("source").textContent = "Cache cleared: the next visit downloads the embedding again.";
});
$("retry").addEventListener("click", () => void load());

// --- the word panel -------------------------------------------------------------------
async function showWord(word: string): Promise<void> {
  if (!veil) return;
  const panel = $("word-panel");
  panel.hidden = false;
  // Read the controls once: the user may change them while this panel computes.
  const m = mechanism,
    epsilon = readEpsilon();
  $("word-h").textContent = `“${word.toLowerCase()}” under ${MECHANISM_INFO[m].id}, ε = ${fmt(epsilon)}`;
  $("word-sub").textContent = "Working…";
  try {
    const s = await veil.stats(word, { mechanism: m, epsilon }, { samples: 1000, top: 10 });
    const src = s.exact ?? s.sampled;
    const rows = src.top.map((t) => ({ label: t.word, p: t.p, highlight: t.word === s.word }));
    const rest = Math.max(0, 1 - rows.reduce((a, r) => a + r.p, 0));
    rows.push({ label: "all other words", p: rest, highlight: false });
    $("word-sub").textContent = s.exact
      ? "Exact output probabilities (the mechanism's law), the 10 likeliest words and the rest."
      : `${MECHANISM_INFO[m].id}'s law has no closed form: frequencies in 1,000 draws.`;
    $("word-stats").innerHTML =
      `<div><span>N<sub>w</sub></span><strong data-nw="${src.Nw}">${(src.Nw * 100).toFixed(1)}%</strong><small>chance the word is kept</small></div>
      <div><span>S<sub>w</sub></span><strong>${fmt(src.Sw)}</strong><small>distinct outputs in ${s.samples} draws${s.exact ? " (expected)" : ""}</small></div>`;
    $("word-bars").innerHTML = barChart(rows);
    panel.dataset.word = s.word;
    await showAttacker(m, epsilon);
    await drawRealized(word, m, epsilon);
    panel.scrollIntoView({ block: "nearest" });
    await drawCurve(word, epsilon);
  } catch (err) {
    $("word-sub").textContent = message(err);
  }
}

/** How many of the commonest words the playground's attacker considers (the pack lists words commonest first). */
const ATTACK_WORDS = 50;
const attackCache = new Map<string, Promise<AttackResult>>();

/**
 * The attacker's success at this setting, beside N_w: the Bayes-optimal guess
 * of the original word from one privatized word, for an attacker who knows the
 * word is one of the commonest ATTACK_WORDS (uniform over them). Exact for
 * M2-M4 and M7-M9; sampled for M1, M5, M6, M10 (100 draws per word). Cached per setting.
 */
async function showAttacker(m: MechanismName, epsilon: number): Promise<void> {
  const box = document.createElement("div");
  box.id = "word-attack";
  box.innerHTML = `<span>Attacker</span><strong>…</strong><small>computing how often an attacker recovers a word</small>`;
  $("word-stats").append(box);
  const key = `${m}|${epsilon}`;
  if (!attackCache.has(key)) attackCache.set(key, veil!.attack({ mechanism: m, epsilon }, { prior: "uniform", words: ATTACK_WORDS, samples: 100, k: 5 }));
  try {
    const r = await attackCache.get(key)!;
    box.innerHTML = `<span>Attacker</span><strong data-r="${r.R}">${(100 * r.R).toFixed(1)}%</strong><small>An attacker who sees one output word recovers the original ${(100 * r.R).toFixed(1)}% of the time (${(100 * r.Rk).toFixed(1)}% within ${r.k} guesses), if it knows the word is one of the ${r.inputs} commonest (guessing alone: ${(100 * r.baseline.R).toFixed(1)}%)${r.exact ? "" : "; estimated from samples"}.</small>`;
  } catch (err) {
    attackCache.delete(key);
    box.querySelector("small")!.textContent = message(err);
  }
}

/** Realized privacy against the nearest neighbours (exact laws; M1 has none). */
async function drawRealized(word: string, m: MechanismName, epsilon: number): Promise<void> {
  const box = $("word-realized");
  const rows = await veil!.realizedPrivacy(word, { mechanism: m, epsilon }, 5);
  if (!rows) {
    box.innerHTML = "";
    return;
  }
  const bound =
    m === "gumbel"
      ? "M4 has no stated bound: this is what it actually gives."
      : m === "exponential" || m === "tem" || m === "santext"
        ? `Metric DP promises at most ε = ${fmt(epsilon)} per unit of distance${m === "santext" ? " (between sensitive words)" : ""}.`
        : `Its guarantee is stated otherwise: ${MECHANISM_INFO[m].guarantee}.`;
  box.innerHTML = `<h3>Realized privacy against the nearest words</h3>
    <p class="small">How much better an observer of the output can tell this word from a neighbour: the largest log-ratio of output probabilities per unit of distance, and the probability of outputs only one of the two can produce. ${bound}</p>
    <table class="realized"><thead><tr><th scope="col">neighbour</th><th scope="col">distance</th><th scope="col">realized ε</th><th scope="col">one-sided mass</th></tr></thead><tbody>
    ${rows.map((r) => `<tr><td>${escapeHtml(r.word)}</td><td>${r.distance.toFixed(3)}</td><td data-eps="${r.epsilon}">${fmt(r.epsilon)}</td><td>${(r.exclusiveMass * 100).toFixed(2)}%</td></tr>`).join("")}
    </tbody></table>`;
}

async function drawCurve(word: string, current: number): Promise<void> {
  if (!veil) return;
  $("word-curve").innerHTML = '<p class="small">Computing N<sub>w</sub> across epsilon…</p>';
  const series: Series[] = [];
  for (const m of CURVE_MECHANISMS) {
    const noisePoint = NOISE_POINT.has(m);
    const grid =
      m === "gumbel" ? [1.01, 1.25, 1.5, 2, 3, 4].map((f) => veil!.minEpsilon("gumbel") * f) : noisePoint ? [2, 5, 10, 20, 40, 60] : [0.5, 1, 2, 5, 10, 20, 30];
    const points = [];
    for (const e of grid) {
      const s = await veil.stats(word, { mechanism: m, epsilon: e }, { samples: noisePoint ? 300 : 1, top: 1 });
      points.push({ x: e, y: (s.exact ?? s.sampled).Nw });
    }
    series.push({ name: `${MECHANISM_INFO[m].id} ${m}`, color: COLORS[m], points, dashed: m === "tem" }); // M3 often lies on M2
  }
  $("word-curve").innerHTML =
    lineChart(series, { x: current, name: "" }) +
    '<p class="small">M1, M5, M6 and M10 by sampling (300 draws); M2, M3, M4 and M7 exact. M8 and M9 are left out: their ε is not per unit of embedding distance. The line marks the current epsilon.</p>';
}

$<HTMLTextAreaElement>("text").value = SAMPLES.support;
renderMechanisms(); // usable controls while the embedding loads (M4's minimum is refined once it has)
void load();
