// The privacy-budget ledger (docs/mechanisms.md, "Budget ledger"): per scope and
// period, epsilons add up (composition) against a cap. A release is debited in
// the same atomic step that checks the cap, and that step is durable before the
// response is handed back; a release that would pass the cap is refused with
// BudgetExceededError and hands back nothing.
import { BudgetExceededError, InvalidOptionError, LedgerUnavailableError } from "../errors.js";
import { checkEpsilon } from "../mechanisms/options.js";
import type { LedgerAccount, LedgerMeta, LedgerStorage } from "./storage.js";

/** The period a privacy budget runs for, in UTC ("all": never resets). */
export type LedgerPeriod = "day" | "week" | "month" | "all";

/** How `PrivacyLedger.open` sets up the budget: caps per scope, the period, the id the app expects. */
export interface OpenLedgerOptions {
  /** Cap on the total epsilon per scope and period. A number applies to every scope; an object names scopes, with `default` for the rest. */
  cap: number | ({ default: number } & Record<string, number>);
  /** Budget period, in UTC. Default "day". */
  period?: LedgerPeriod;
  /**
   * What to do when there is no ledger. Default "error": a missing ledger is
   * reported, never read as a full budget. Pass "create" only when this device
   * has never had one (e.g. the app's first run), and keep the returned `id`.
   */
  ifMissing?: "error" | "create";
  /** The ledger id the app saw before (kept outside the ledger's own storage): a different or missing ledger is then an error. */
  expectId?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

/** One response to release: its scope, its epsilon, and the privatized value (handed back only once the debit is durable). */
export interface ReleaseItem<T> {
  /** Budget scope, e.g. "feedback-form" or "text". */
  scope: string;
  /** The epsilon this response cost (for text, the sum over its perturbed words). */
  epsilon: number;
  /** The privatized response, already computed; handed back only after the debit commits. */
  response: T;
  /**
   * Memoize: the same `question` and raw `value` again in this period returns
   * the first response and is not charged again. The key stored is an HMAC of
   * them under the device secret, so the ledger never holds the raw value.
   */
  memo?: { question: string; value: unknown };
}

/** One released item: its value and what it cost (0 when a memoized release was returned again). */
export interface Released<T> {
  response: T;
  /** Epsilon charged for this item (0 when memoized). */
  charged: number;
  memoized: boolean;
}

/** What `release` returns: every item released, and the ledger's id and counter after the release. */
export interface ReleaseResult<T> {
  items: Released<T>[];
  /** The ledger's id and its release counter after this release. */
  ledgerId: string;
  seq: number;
}

/** A scope's budget now: its cap, what was spent in the current period, and what is left. */
export interface BudgetState {
  scope: string;
  period: string;
  cap: number;
  spent: number;
  remaining: number;
}

const NANO = 1e9;

/** Epsilon in integer units of 1e-9, rounded up (never under-charged); values within 1e-6 units of an integer are that integer, so 0.1 is exactly 1e8. */
export function toNano(epsilon: number): number {
  const u = epsilon * NANO;
  const r = Math.round(u);
  const n = Math.abs(u - r) < 1e-6 ? r : Math.ceil(u);
  if (!Number.isSafeInteger(n)) throw new InvalidOptionError(`epsilon ${epsilon} is too large for the ledger.`);
  return n;
}

export function fromNano(n: number): number {
  return n / NANO;
}

/** The key of the period `at` falls in (e.g. "2026-12-01", "2026-W49", "2026-12", "all"). */
export function periodKey(period: LedgerPeriod, at: Date): string {
  const iso = at.toISOString();
  switch (period) {
    case "day":
      return iso.slice(0, 10);
    case "month":
      return iso.slice(0, 7);
    case "all":
      return "all";
    case "week": {
      // ISO week: the week's Thursday decides the year.
      const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
      const day = d.getUTCDay() || 7;
      d.setUTCDate(d.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
      const week = Math.ceil(((d.getTime() - yearStart) / 86400000 + 1) / 7);
      return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
    }
  }
}

/**
 * The per-user privacy-budget ledger: epsilons add up exactly (fixed-point, no
 * float drift) per scope and period, and a release that would pass the cap
 * releases nothing (`BudgetExceededError`). Storage: IndexedDB in @veil/web, a
 * file in @veil/core/ledger-file.
 */
export class PrivacyLedger {
  private constructor(
    private readonly storage: LedgerStorage,
    readonly id: string,
    private readonly key: CryptoKey,
    private readonly caps: Record<string, number>,
    readonly period: LedgerPeriod,
    private readonly now: () => Date,
  ) {}

  static async open(storage: LedgerStorage, options: OpenLedgerOptions): Promise<PrivacyLedger> {
    const caps = checkCaps(options.cap);
    const period = options.period ?? "day";
    if (!["day", "week", "month", "all"].includes(period)) throw new InvalidOptionError(`period must be day, week, month or all, got ${String(period)}.`);
    const ifMissing = options.ifMissing ?? "error";
    const fresh = ifMissing === "create" ? await storage.newSecret() : undefined;
    const meta = await storage.transact([], (current) => {
      if (current) {
        if (options.expectId !== undefined && current.id !== options.expectId)
          throw new LedgerUnavailableError("replaced", `${storage.where} holds ledger ${current.id}, not the expected ${options.expectId}.`);
        return { result: current };
      }
      if (options.expectId !== undefined)
        throw new LedgerUnavailableError("cleared", `ledger ${options.expectId} is gone from ${storage.where} (site data cleared?); its spending is unknown.`);
      if (ifMissing !== "create")
        throw new LedgerUnavailableError("missing", `there is no ledger in ${storage.where}; open it with ifMissing: "create" on first use.`);
      const created: LedgerMeta = { format: 1, id: newId(), created: new Date().toISOString(), seq: 0, secret: fresh };
      return { meta: created, result: created };
    });
    const key = await storage.hmacKey(meta.secret);
    return new PrivacyLedger(storage, meta.id, key, caps, period, options.now ?? (() => new Date()));
  }

  capFor(scope: string): number {
    return fromNano(this.capNano(scope));
  }

  /** What is left in a scope this period. */
  async budget(scope: string): Promise<BudgetState> {
    checkScope(scope);
    const period = periodKey(this.period, this.now());
    return this.storage.transact([accountKey(scope, period)], (meta, [acc]) => {
      this.checkMeta(meta);
      const spent = acc?.spentNano ?? 0;
      const cap = this.capNano(scope);
      return { result: { scope, period, cap: fromNano(cap), spent: fromNano(spent), remaining: fromNano(Math.max(0, cap - spent)) } };
    });
  }

  /** One release; see releaseAll. */
  async release<T>(item: ReleaseItem<T>): Promise<Released<T>> {
    return (await this.releaseAll([item])).items[0]!;
  }

  /**
   * Releases several responses together, all or nothing: memoized items hand
   * back their earlier response free; the rest are charged to their scopes, and
   * if any scope would pass its cap nothing is charged and BudgetExceededError
   * is thrown. The step is durable before this resolves.
   */
  async releaseAll<T>(items: readonly ReleaseItem<T>[]): Promise<ReleaseResult<T>> {
    if (!Array.isArray(items) || items.length === 0) throw new InvalidOptionError("releaseAll needs at least one item.");
    const period = periodKey(this.period, this.now());
    const nanos = items.map((it) => {
      checkScope(it.scope);
      return toNano(checkEpsilon(it.epsilon));
    });
    const memoKeys = await Promise.all(items.map((it) => (it.memo ? this.memoKey(it.scope, period, it.memo) : Promise.resolve(undefined))));
    const scopes = [...new Set(items.map((it) => it.scope))];
    const keys = scopes.map((s) => accountKey(s, period));
    return this.storage.transact(keys, (meta, current) => {
      const m = this.checkMeta(meta);
      const accounts = new Map<string, LedgerAccount>();
      scopes.forEach((scope, i) => {
        const acc = current[i];
        accounts.set(scope, acc ? { ...acc, memo: { ...acc.memo } } : { scope, period, spentNano: 0, memo: {} });
      });
      const out: Released<T>[] = [];
      items.forEach((it, i) => {
        const acc = accounts.get(it.scope)!;
        const mk = memoKeys[i];
        if (mk !== undefined && mk in acc.memo) {
          out.push({ response: acc.memo[mk] as T, charged: 0, memoized: true });
          return;
        }
        acc.spentNano += nanos[i]!;
        if (mk !== undefined) acc.memo[mk] = it.response;
        out.push({ response: it.response, charged: fromNano(nanos[i]!), memoized: false });
      });
      for (const [scope, acc] of accounts) {
        const cap = this.capNano(scope);
        if (acc.spentNano > cap) {
          const before = current[scopes.indexOf(scope)]?.spentNano ?? 0;
          throw new BudgetExceededError(scope, period, fromNano(cap), fromNano(before), fromNano(acc.spentNano - before));
        }
      }
      const next: LedgerMeta = { ...m, seq: m.seq + 1 };
      return { meta: next, accounts: [...accounts.values()], result: { items: out, ledgerId: m.id, seq: next.seq } };
    });
  }

  private checkMeta(meta: LedgerMeta | undefined): LedgerMeta {
    if (!meta)
      throw new LedgerUnavailableError("cleared", `ledger ${this.id} is gone from ${this.storage.where} (site data cleared?); its spending is unknown.`);
    if (meta.id !== this.id) throw new LedgerUnavailableError("replaced", `${this.storage.where} now holds ledger ${meta.id}, not ${this.id}.`);
    return meta;
  }

  private capNano(scope: string): number {
    return toNano(this.caps[scope] ?? this.caps.default!);
  }

  private async memoKey(scope: string, period: string, memo: { question: string; value: unknown }): Promise<string> {
    const data = new TextEncoder().encode(JSON.stringify([scope, period, memo.question, memo.value]));
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", this.key, data));
    return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  }
}

/** The storage key of one scope's account in one period. */
export function accountKey(scope: string, period: string): string {
  return `${period}\u0000${scope}`;
}

function checkScope(scope: unknown): void {
  if (typeof scope !== "string" || scope.length === 0 || scope.length > 200)
    throw new InvalidOptionError("scope must be a non-empty string of at most 200 characters.");
}

function checkCaps(cap: OpenLedgerOptions["cap"]): Record<string, number> {
  const caps: Record<string, number> = typeof cap === "number" ? { default: cap } : { ...cap };
  if (caps.default === undefined) throw new InvalidOptionError("cap needs a default (a number, or { default, ...scopes }).");
  for (const [k, v] of Object.entries(caps))
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new InvalidOptionError(`cap for ${k} must be a finite positive epsilon.`);
  return caps;
}

function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
