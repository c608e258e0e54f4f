// The Veil example app: a feedback form whose every answer is privatized in the
// browser, shown to the user, debited from the privacy-budget ledger, and only
// then posted to two collectors. Read this file top to bottom: it is the recipe.
import {
  loadVeil,
  openLedger,
  randomizedResponse,
  kAryResponse,
  boundedNumber,
  boundedGrid,
  encodeFixed,
  share,
  shareToString,
  BudgetExceededError,
  LedgerUnavailableError,
  VeilError,
  type LoadedVeil,
  type PerturbResult,
  type PrivacyLedger,
} from "@veil/web";

// --- configuration: what is collected, and at what privacy cost ------------------
const params = new URLSearchParams(location.search);
const PACK_URL = params.get("pack") ?? "/packs/glove-6b-100d-50k.veilpack";
/** Collector A gets the report and one share of the amount; collector B only the other share. */
const COLLECTORS = [params.get("a") ?? "http://127.0.0.1:8787", params.get("b") ?? "http://127.0.0.1:8788"];
const FORM = "order-feedback";
const FEATURES = ["Search", "Checkout", "Order tracking", "Support chat"];
const ANSWER_EPSILON = 1; // pure epsilon-LDP per answer
const RATING = { lower: 1, upper: 5, epsilon: ANSWER_EPSILON };
const AMOUNT = { lower: 0, upper: 1000, epsilon: ANSWER_EPSILON, decimals: 2 };
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
let textEpsilon = 50;

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
  /** One share of the exact amount (in cents) per collector. */
  shares: string[];
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
    textEpsilon = Math.ceil(veil.minEpsilon("gumbel")) + 6;
    ledger = await openTheLedger();
    $("progress").hidden = true;
    $("status").textContent = `Ready. Your words will be perturbed here, in your browser (${veil.backend.name}).`;
    $<HTMLButtonElement>("preview").disabled = false;
    await showBudget();
  } catch (e) {
    $("progress").hidden = true;
    $("status").textContent = e instanceof VeilError ? e.message : `Could not start: ${String(e)}`;
    $("status").classList.add("error");
  }
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
  const perturbed = await veil!.perturb(raw.text, { mechanism: "gumbel", epsilon: textEpsilon });
  renderable.set(key, perturbed);
  const cents = encodeFixed(raw.amount, AMOUNT.decimals);
  const out: Privatized = {
    text: perturbed.text,
    words: perturbed.privacy.wordsPerturbed,
    textEpsilonTotal: perturbed.privacy.epsilonTotal,
    recommend: randomizedResponse(raw.recommend, ANSWER_EPSILON),
    feature: kAryResponse(raw.feature, FEATURES.length, ANSWER_EPSILON),
    rating: boundedNumber(raw.rating, RATING),
    amount: boundedNumber(Number(raw.amount), AMOUNT),
    shares: share(cents, COLLECTORS.length).map(shareToString),
  };
  previews.set(key, out);
  return out;
}

function payloads(out: Privatized, ledgerId: string, seq: number): unknown[] {
  const amountEntry = { sum: "amount", decimals: AMOUNT.decimals, lower: AMOUNT.lower, upper: AMOUNT.upper };
  const first = {
    version: 1,
    form: FORM,
    ledger: { id: ledgerId, seq },
    text: { mechanism: "gumbel", epsilon: textEpsilon, value: out.text },
    answers: [
      { question: "recommend", type: "rr", k: 2, epsilon: ANSWER_EPSILON, value: out.recommend ? 1 : 0, labels: ["No", "Yes"] },
      { question: "feature", type: "rr", k: FEATURES.length, epsilon: ANSWER_EPSILON, value: out.feature, labels: FEATURES },
      { question: "rating", type: "bounded", ...RATING, step: boundedGrid(RATING.lower, RATING.upper).step, value: out.rating },
      {
        question: "amount",
        type: "bounded",
        lower: AMOUNT.lower,
        upper: AMOUNT.upper,
        epsilon: AMOUNT.epsilon,
        step: boundedGrid(AMOUNT.lower, AMOUNT.upper).step,
        value: out.amount,
      },
    ],
    shares: [{ ...amountEntry, share: out.shares[0]! }],
  };
  const rest = out.shares.slice(1).map((s) => ({ version: 1, form: FORM, ledger: { id: ledgerId, seq }, shares: [{ ...amountEntry, share: s }] }));
  return [first, ...rest];
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
    ["Your words", `<span id="sent-text">${html}</span>`, `ε ${textEpsilon} per word × ${out.words} words (truncated Gumbel)`],
    ["Would recommend", out.recommend ? "Yes" : "No", `randomized response, ε ${ANSWER_EPSILON}`],
    ["Most-used part", FEATURES[out.feature]!, `randomized response over ${FEATURES.length}, ε ${ANSWER_EPSILON}`],
    ["Delivery rating", `${out.rating} (noised: it can fall outside 1–5)`, `noise on [1, 5], ε ${ANSWER_EPSILON}`],
    [
      "Amount",
      `$${out.amount.toFixed(2)} (noised); plus ${COLLECTORS.length} secret shares`,
      `noise on [0, 1000], ε ${ANSWER_EPSILON}; each share alone is a random number`,
    ],
  ];
  $("review-table").innerHTML =
    `<table><tr><th>Question</th><th>What is sent</th><th>Privacy</th></tr>${rows.map((r) => `<tr><td>${r[0]}</td><td>${r[1]}</td><td class="muted">${r[2]}</td></tr>`).join("")}</table>`;
  $("cost").textContent =
    `Sending spends ε ${4 * ANSWER_EPSILON} of today's answer budget and ε ${out.textEpsilonTotal} of today's text budget (less if you already sent these same answers today). Highlighted words were replaced; grey *** are words Veil does not know (names, numbers), which are never sent.`;
  $("payloads").textContent = COLLECTORS.map((url, i) => `POST ${url}/v1/reports\n${JSON.stringify(payloads(out, ledger!.id, 0)[i], null, 2)}`).join("\n\n");
  $("review").hidden = false;
}

// --- send: debit the ledger (durably), then post -------------------------------------
async function send(): Promise<void> {
  if (!pending || !ledger) return;
  const { raw, out } = pending;
  const sendButton = $<HTMLButtonElement>("send");
  sendButton.disabled = true;
  const result = $("result");
  result.hidden = false;
  result.className = "status";
  try {
    // One all-or-nothing release: the answers and the text are charged together,
    // committed to IndexedDB before anything is posted. The same answers again
    // today return the same privatized values and cost nothing more.
    const released = await ledger.releaseAll<unknown>([
      {
        scope: "text",
        epsilon: out.textEpsilonTotal,
        response: { text: out.text, words: out.words, textEpsilonTotal: out.textEpsilonTotal },
        memo: { question: "text", value: raw.text },
      },
      { scope: "answers", epsilon: ANSWER_EPSILON, response: out.recommend, memo: { question: "recommend", value: raw.recommend } },
      { scope: "answers", epsilon: ANSWER_EPSILON, response: out.feature, memo: { question: "feature", value: raw.feature } },
      { scope: "answers", epsilon: ANSWER_EPSILON, response: out.rating, memo: { question: "rating", value: raw.rating } },
      { scope: "answers", epsilon: ANSWER_EPSILON, response: { amount: out.amount, shares: out.shares }, memo: { question: "amount", value: raw.amount } },
    ]);
    const [text, recommend, feature, rating, amount] = released.items.map((r) => r.response) as [
      Pick<Privatized, "text" | "words" | "textEpsilonTotal">,
      boolean,
      number,
      number,
      { amount: number; shares: string[] },
    ];
    const final: Privatized = { ...text, recommend, feature, rating, amount: amount.amount, shares: amount.shares };
    const bodies = payloads(final, released.ledgerId, released.seq);
    const responses = await Promise.all(
      COLLECTORS.map((url, i) =>
        fetch(`${url}/v1/reports`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(bodies[i]) }),
      ),
    );
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
