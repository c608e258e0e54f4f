// The Veil example app: a feedback form whose every answer is privatized in the
// browser, shown to the user, debited from the privacy-budget ledger, and only
// then posted to two collectors. Read this file top to bottom: it is the recipe.
import {
  loadVeil,
  openLedger,
  randomizedResponse,
  kAryResponse,
  boundedNumber,
  BudgetExceededError,
  LedgerUnavailableError,
  VeilError,
  type LoadedVeil,
  type PerturbResult,
  type PrivacyLedger,
} from "@veil/web";
import { buildReports, parseTask, taskId, type Task, type WireReport } from "@veil/task";
import TASK_DEFINITION from "../task.json" with { type: "json" };

// --- configuration: the task fixes what is collected, and at what privacy cost ------
const params = new URLSearchParams(location.search);
const PACK_URL = params.get("pack") ?? "/packs/glove-6b-100d-50k.veilpack";
/**
 * The leader (A) gets the privatized text and answers and its Prio3 share of the
 * exact amount; the helper (B) only its own Prio3 share. Both must hold this
 * app's task (apps/example/task.json): the app checks before it sends anything.
 */
const COLLECTORS = { leader: params.get("a") ?? "http://127.0.0.1:8787", helper: params.get("b") ?? "http://127.0.0.1:8788" };
const TASK: Task = parseTask(TASK_DEFINITION);
const question = <T extends Task["questions"][number]["type"]>(id: string, type: T) =>
  TASK.questions.find((q) => q.id === id && q.type === type) as Extract<Task["questions"][number], { type: T }>;
const RECOMMEND = question("recommend", "rr");
const FEATURE = question("feature", "rr");
const RATING = question("rating", "bounded");
const AMOUNT = question("amount", "bounded");
const SPEND = TASK.aggregates[0]!;
const FEATURES = FEATURE.labels;
const TEXT_EPSILON = TASK.text!.epsilon;
/** What one form costs of the answer budget: each answer's epsilon plus the secret-shared sum's (spent when its batch is released). */
const FORM_EPSILON = TASK.questions.reduce((s, q) => s + q.epsilon, 0) + SPEND.epsilon;
/**
 * Budget per UTC day. Text and answers are separate scopes because their epsilons
 * are on different scales: a text spends (words x epsilon) of metric-DP, per unit
 * of embedding distance; each answer spends epsilon of pure local DP.
 */
const CAPS = { default: 10, answers: 10, text: 2500 };
const LEDGER_ID_KEY = "veil-example-ledger-id";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let veil: LoadedVeil | undefined;
let ledger: PrivacyLedger | undefined;
let taskIdHex = "";

interface RawAnswers {
  text: string;
  recommend: boolean;
  feature: number;
  rating: number;
  amount: string;
}

interface Privatized {
  /** The perturbed text: the only form of the text that is sent or stored. */
  text: string;
  /** Words perturbed, and the epsilon they spend together. */
  words: number;
  textEpsilonTotal: number;
  recommend: boolean;
  feature: number;
  rating: number;
  amount: number;
  /** The two reports exactly as they are posted: the leader's and the helper's (Prio3 shares of the exact amount, with its proof). */
  reports: { leader: WireReport; helper: WireReport };
}

// Previews are kept per input: asking again for the same answers shows the same
// draw, so a user cannot re-roll until the noise looks favourable (that would
// leak the truth). The ledger's memo does the same across visits.
const previews = new Map<string, Privatized>();
/** The word-by-word result, only to highlight changes in the review (it holds the source words, so it is never stored). */
const renderable = new Map<string, PerturbResult>();
let pending: { raw: RawAnswers; out: Privatized } | undefined;

// --- start: the embedding (in Veil's worker) and the ledger -----------------------
async function start(): Promise<void> {
  try {
    veil = await loadVeil({
      pack: PACK_URL,
      onProgress: (p) => {
        $<HTMLProgressElement>("progress").value = p.phase === "ready" ? 1 : p.total ? (0.9 * p.loaded) / p.total : 0.9;
        $("status").textContent =
          p.phase === "download" ? `Downloading the word embedding (${(p.loaded / 2 ** 20).toFixed(1)} MB)…` : p.phase === "ready" ? "Ready." : "Preparing…";
      },
    });
    if (veil.minEpsilon("gumbel") >= TEXT_EPSILON) throw new Error(`this task's text epsilon ${TEXT_EPSILON} is below what the embedding allows.`);
    taskIdHex = await checkCollectorsHoldTheTask();
    ledger = await openTheLedger();
    $("progress").hidden = true;
    $("status").textContent = `Ready. Your words will be perturbed here, in your browser (${veil.backend.name}).`;
    $<HTMLButtonElement>("preview").disabled = false;
    await showBudget();
  } catch (e) {
    $("progress").hidden = true;
    $("status").textContent = e instanceof VeilError ? e.message : `Could not start: ${e instanceof Error ? e.message : String(e)}`;
    $("status").classList.add("error");
  }
}

/**
 * Both collectors must hold exactly this app's task (same id, the hash of its
 * canonical form): otherwise a collector could read reports under other labels,
 * bounds or epsilons. Refuse to send anything if either does not.
 */
async function checkCollectorsHoldTheTask(): Promise<string> {
  const id = await taskId(TASK);
  for (const [role, url] of Object.entries(COLLECTORS)) {
    const res = await fetch(`${url}/v1/tasks/${id}`).catch(() => undefined);
    const held = res?.ok ? await taskId(parseTask(await res.json())).catch(() => "") : "";
    if (held !== id) throw new Error(`Collector ${role} (${url}) does not hold this form's task ${id.slice(0, 12)}…; nothing will be sent.`);
  }
  return id;
}

/**
 * The ledger's id is also kept in localStorage. If the ledger is gone but the id
 * is not (site data partly cleared), the budget already spent is unknown: say so
 * and refuse, rather than start again from a full budget.
 */
async function openTheLedger(): Promise<PrivacyLedger> {
  const known = localStorage.getItem(LEDGER_ID_KEY);
  const l = known ? await openLedger({ cap: CAPS, period: "day", expectId: known }) : await openLedger({ cap: CAPS, period: "day", ifMissing: "create" });
  localStorage.setItem(LEDGER_ID_KEY, l.id);
  return l;
}

async function showBudget(): Promise<void> {
  if (!ledger) return;
  const [a, t] = await Promise.all([ledger.budget("answers"), ledger.budget("text")]);
  $("budget").textContent = `Privacy budget left today: answers ε ${a.remaining.toFixed(2)} of ${a.cap}; text ε ${t.remaining.toFixed(1)} of ${t.cap}.`;
}

// --- privatize: nothing here leaves the device -------------------------------------
function readForm(): RawAnswers {
  const form = $<HTMLFormElement>("form");
  const data = new FormData(form);
  const text = String(data.get("text") ?? "").trim();
  const recommend = data.get("recommend");
  const feature = data.get("feature");
  const rating = data.get("rating");
  const amount = String(data.get("amount") ?? "").trim();
  if (!text) throw new Error("Please write a few words about your order.");
  if (recommend === null) throw new Error("Please say whether you would recommend us.");
  if (!feature) throw new Error("Please choose the part of the app you use most.");
  if (rating === null) throw new Error("Please rate the delivery.");
  if (!/^\d{1,4}(\.\d{1,2})?$/.test(amount) || Number(amount) > AMOUNT.upper)
    throw new Error("Please enter an amount from 0 to 1000, with at most two decimals.");
  return { text, recommend: recommend === "1", feature: Number(feature), rating: Number(rating), amount };
}

async function privatize(raw: RawAnswers): Promise<Privatized> {
  const key = JSON.stringify(raw);
  const cached = previews.get(key);
  if (cached) return cached;
  const perturbed = await veil!.perturb(raw.text, { mechanism: "gumbel", epsilon: TEXT_EPSILON });
  renderable.set(key, perturbed);
  const recommend = randomizedResponse(raw.recommend, RECOMMEND.epsilon);
  const feature = kAryResponse(raw.feature, FEATURES.length, FEATURE.epsilon);
  const rating = boundedNumber(raw.rating, RATING);
  const amount = boundedNumber(Number(raw.amount), AMOUNT);
  // The exact amount leaves only as Prio3 shares with a validity proof; buildReports refuses a report that does not fit the task.
  const reports = await buildReports(TASK, taskIdHex, {
    text: perturbed.text,
    answers: { recommend: recommend ? 1 : 0, feature, rating, amount },
    aggregates: { [SPEND.id]: raw.amount },
  });
  const out: Privatized = {
    text: perturbed.text,
    words: perturbed.privacy.wordsPerturbed,
    textEpsilonTotal: perturbed.privacy.epsilonTotal,
    recommend,
    feature,
    rating,
    amount,
    reports: { leader: reports.leader, helper: reports.helper },
  };
  previews.set(key, out);
  return out;
}

// --- review: show exactly what will be sent -----------------------------------------
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderReview(raw: RawAnswers, out: Privatized): void {
  const words = renderable.get(JSON.stringify(raw))!.words;
  let html = "";
  let at = 0;
  for (const w of words) {
    html += escapeHtml(raw.text.slice(at, w.start));
    const cls = !w.inVocabulary ? "redacted" : w.changed ? "changed" : "";
    html += cls ? `<span class="${cls}">${escapeHtml(w.output)}</span>` : escapeHtml(w.output);
    at = w.start + w.source.length;
  }
  html += escapeHtml(raw.text.slice(at));
  const rows: [string, string, string][] = [
    ["Your words", `<span id="sent-text">${html}</span>`, `ε ${TEXT_EPSILON} per word × ${out.words} words (truncated Gumbel)`],
    ["Would recommend", out.recommend ? "Yes" : "No", `randomized response, ε ${RECOMMEND.epsilon}`],
    ["Most-used part", FEATURES[out.feature]!, `randomized response over ${FEATURES.length}, ε ${FEATURE.epsilon}`],
    ["Delivery rating", `${out.rating} (noised: it can fall outside 1–5)`, `noise on [1, 5], ε ${RATING.epsilon}`],
    ["Amount", `$${out.amount.toFixed(2)} (noised)`, `noise on [0, 1000], ε ${AMOUNT.epsilon}`],
    [
      "Amount, exact",
      "two Prio3 shares, one per collector, with a proof that the amount is in range",
      `each share alone is random; only a total over at least ${TASK.minBatchSize} reports is released, with noise (ε ${SPEND.epsilon})`,
    ],
  ];
  $("review-table").innerHTML =
    `<table><tr><th>Question</th><th>What is sent</th><th>Privacy</th></tr>${rows.map((r) => `<tr><td>${r[0]}</td><td>${r[1]}</td><td class="muted">${r[2]}</td></tr>`).join("")}</table>`;
  $("cost").textContent =
    `Sending spends ε ${FORM_EPSILON} of today's answer budget and ε ${out.textEpsilonTotal} of today's text budget (nothing if you already sent these same answers today). Highlighted words were replaced; grey *** are words Veil does not know (names, numbers), which are never sent. No identifier of you or this device is sent; the report id is random.`;
  $("payloads").textContent = [
    `POST ${COLLECTORS.leader}/v1/reports\n${JSON.stringify(out.reports.leader, null, 2)}`,
    `POST ${COLLECTORS.helper}/v1/reports\n${JSON.stringify(out.reports.helper, null, 2)}`,
  ].join("\n\n");
  $("review").hidden = false;
}

// --- send: debit the ledger (durably), then post -------------------------------------
function post(url: string, report: WireReport): Promise<Response> {
  return fetch(`${url}/v1/reports`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(report) });
}

async function send(): Promise<void> {
  if (!pending || !ledger) return;
  const { raw, out } = pending;
  const sendButton = $<HTMLButtonElement>("send");
  sendButton.disabled = true;
  const result = $("result");
  result.hidden = false;
  result.className = "status";
  try {
    // One all-or-nothing release: the form's text and answers are charged together,
    // committed to IndexedDB before anything is posted. The same form again today
    // returns the same reports (same random id, so the collectors store it once) and costs nothing more.
    const form = { question: "order-feedback", value: raw };
    const released = await ledger.releaseAll<Privatized>([
      { scope: "text", epsilon: out.textEpsilonTotal, response: out, memo: form },
      { scope: "answers", epsilon: FORM_EPSILON, response: out, memo: form },
    ]);
    const { reports } = released.items[1]!.response;
    const responses = await Promise.all([post(COLLECTORS.leader, reports.leader), post(COLLECTORS.helper, reports.helper)]);
    const failed = responses.filter((r) => !r.ok);
    if (failed.length) throw new Error(`a collector refused the report (HTTP ${failed.map((r) => r.status).join(", ")}).`);
    const charged = released.items.reduce((s, r) => s + r.charged, 0);
    result.textContent = `Sent. Thank you! (privacy spent: ε ${charged.toFixed(2)}${released.items.some((r) => r.memoized) ? "; repeated answers reused their earlier privatized values" : ""})`;
    result.classList.add("ok");
    $("review").hidden = true;
  } catch (e) {
    result.classList.add("error");
    if (e instanceof BudgetExceededError) result.textContent = `Not sent: ${e.message}`;
    else if (e instanceof LedgerUnavailableError) result.textContent = `Not sent: ${e.message}`;
    else result.textContent = `Not sent: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    sendButton.disabled = false;
    await showBudget().catch(() => undefined);
  }
}

$("form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const err = $("form-error");
  err.hidden = true;
  $("result").hidden = true;
  let raw: RawAnswers;
  try {
    raw = readForm();
  } catch (e) {
    err.textContent = (e as Error).message;
    err.hidden = false;
    return;
  }
  void privatize(raw).then(
    (out) => {
      pending = { raw, out };
      renderReview(raw, out);
      $("review").scrollIntoView({ behavior: "smooth", block: "start" });
    },
    (e: unknown) => {
      err.textContent = e instanceof Error ? e.message : String(e);
      err.hidden = false;
    },
  );
});
$("send").addEventListener("click", () => void send());
$("edit").addEventListener("click", () => {
  $("review").hidden = true;
  $<HTMLTextAreaElement>("text").focus();
});

void start();
