/**
 * Every error Veil throws is a `VeilError` with a stable `name` and `code`, and a
 * message that says what to do next. Messages never quote the user's text.
 */
export class VeilError extends Error {
  // Explicit, not new.target.name: minifiers rename classes, and the name is part of the API.
  override name = "VeilError";
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Epsilon is missing, not a finite number, or not positive. */
export class InvalidEpsilonError extends VeilError {
  override name = "InvalidEpsilonError";
  constructor(message: string) {
    super("INVALID_EPSILON", message);
  }
}

/** Epsilon is a valid number but below the mechanism's calibrated range (M4). */
export class EpsilonOutOfRangeError extends VeilError {
  override name = "EpsilonOutOfRangeError";
  readonly minEpsilon: number;
  constructor(message: string, minEpsilon: number) {
    super("EPSILON_OUT_OF_RANGE", message);
    this.minEpsilon = minEpsilon;
  }
}

/** The mechanism name is not one of `MECHANISMS`. */
export class UnknownMechanismError extends VeilError {
  override name = "UnknownMechanismError";
  constructor(name: unknown, known: readonly string[]) {
    super("UNKNOWN_MECHANISM", `Unknown mechanism ${JSON.stringify(String(name)).slice(0, 40)}: use one of ${known.join(", ")}.`);
  }
}

/** An option other than epsilon has a bad value. */
export class InvalidOptionError extends VeilError {
  override name = "InvalidOptionError";
  constructor(message: string) {
    super("INVALID_OPTION", message);
  }
}

/** `perturb` was given an empty text. */
export class EmptyTextError extends VeilError {
  override name = "EmptyTextError";
  constructor() {
    super("EMPTY_TEXT", "The text is empty: pass at least one character.");
  }
}

/** The text is longer than `MAX_TEXT_LENGTH`: split it (its `limit` says where). */
export class TextTooLargeError extends VeilError {
  override name = "TextTooLargeError";
  readonly limit: number;
  constructor(length: number, limit: number) {
    super(
      "TEXT_TOO_LARGE",
      `The text has ${length} characters; the limit is ${limit}. Split it and perturb the parts separately (each part's epsilon adds up).`,
    );
    this.limit = limit;
  }
}

/** The embedding pack is truncated, corrupt, or not a Veil pack. `reason` names what is wrong. */
export class EmbeddingFormatError extends VeilError {
  override name = "EmbeddingFormatError";
  readonly reason: string;
  constructor(reason: string, detail: string) {
    super("EMBEDDING_FORMAT", `Invalid embedding pack (${reason}): ${detail}. Rebuild it with \`veil pack\` or download it again.`);
    this.reason = reason;
  }
}

/** No embedding pack was given or found. */
export class MissingPackError extends VeilError {
  override name = "MissingPackError";
  constructor(detail: string) {
    super("MISSING_PACK", `${detail} Build the default pack with \`npm start\` or \`pnpm veil pack\`, or pass a pack explicitly.`);
  }
}

/** The random source is missing or failed; nothing was released. */
export class RandomSourceError extends VeilError {
  override name = "RandomSourceError";
  constructor(detail: string, cause?: unknown) {
    super("RANDOM_SOURCE", `Secure randomness failed (${detail}); nothing was output. Veil needs crypto.getRandomValues.`, { cause });
  }
}

/** No backend could start; the message lists every backend's reason. */
export class BackendUnavailableError extends VeilError {
  override name = "BackendUnavailableError";
  readonly reasons: Readonly<Record<string, string>>;
  constructor(reasons: Record<string, string>) {
    super(
      "BACKEND_UNAVAILABLE",
      `No compute backend could start: ${Object.entries(reasons)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ")}.`,
    );
    this.reasons = reasons;
  }
}

/** A word id or word not in the vocabulary where a vocabulary word is required (stats). */
export class UnknownWordError extends VeilError {
  override name = "UnknownWordError";
  constructor(detail: string) {
    super("UNKNOWN_WORD", detail);
  }
}

/** The privacy budget of a scope and period would be exceeded; nothing was released or charged. */
export class BudgetExceededError extends VeilError {
  override name = "BudgetExceededError";
  readonly scope: string;
  readonly period: string;
  readonly cap: number;
  readonly spent: number;
  readonly requested: number;
  constructor(scope: string, period: string, cap: number, spent: number, requested: number) {
    super(
      "BUDGET_EXCEEDED",
      `Privacy budget exceeded for "${scope.slice(0, 60)}" in ${period}: spent ${spent}, cap ${cap}, this needs ${requested}. Nothing was released; wait for the next period or ask for less.`,
    );
    this.scope = scope;
    this.period = period;
    this.cap = cap;
    this.spent = spent;
    this.requested = requested;
  }
}

/** One text of a batch (`Veil.perturbBatch`) cannot be perturbed: `index` says which, `cause` why. Nothing was perturbed. */
export class BatchTextError extends VeilError {
  override name = "BatchTextError";
  readonly index: number;
  constructor(index: number, cause: VeilError) {
    super("BATCH_TEXT", `Text ${index} of the batch: ${cause.message} Nothing in the batch was perturbed.`, { cause });
    this.index = index;
  }
}

/**
 * The ledger is not there (never created, or cleared by the user or the browser),
 * was replaced by another one, is corrupt, or could not be written. Veil never
 * reads a missing ledger as a full budget; nothing was released.
 */
export class LedgerUnavailableError extends VeilError {
  override name = "LedgerUnavailableError";
  readonly reason: "missing" | "cleared" | "replaced" | "corrupt" | "storage";
  constructor(reason: LedgerUnavailableError["reason"], detail: string, cause?: unknown) {
    super("LEDGER_UNAVAILABLE", `Privacy ledger ${reason}: ${detail} Nothing was released.`, { cause });
    this.reason = reason;
  }
}

/**
 * Every error class of Veil by name: how @veil/web rebuilds an error that
 * crossed the worker boundary as a plain record, without importing all of the
 * core (a namespace import would defeat tree-shaking of the page's bundle).
 */
export const ERROR_CLASSES: Readonly<Record<string, { prototype: Error }>> = {
  VeilError,
  InvalidEpsilonError,
  EpsilonOutOfRangeError,
  UnknownMechanismError,
  InvalidOptionError,
  EmptyTextError,
  TextTooLargeError,
  EmbeddingFormatError,
  MissingPackError,
  RandomSourceError,
  BackendUnavailableError,
  UnknownWordError,
  BudgetExceededError,
  LedgerUnavailableError,
  BatchTextError,
};
