// Additive secret sharing in Z_(2^64) (docs/mechanisms.md, "Local-DP primitives", the four
// engineers' protocol of "Computing on private data"): a value becomes m shares
// that sum to it modulo 2^64. Any m - 1 shares are uniformly random together, so
// a holder learns nothing from its own shares; only the sum of all holders'
// totals reveals anything, and it reveals only the total.
import { InvalidOptionError } from "../errors.js";
import { randomBytes, type RandomOptions } from "./random.js";

export const RING_BITS = 64n;
/** Shares live in the ring of integers modulo 2^64. */
export const RING_MODULUS = 1n << RING_BITS;
const MASK = RING_MODULUS - 1n;
const HALF = 1n << (RING_BITS - 1n);

/** The residue of v in [0, 2^64). */
export function toRing(v: bigint): bigint {
  return v & MASK; // BigInt & is two's complement, so negatives wrap correctly
}

/** A ring element read as a signed value in [-2^63, 2^63): how totals and negative shares are shown. */
export function fromRing(v: bigint): bigint {
  const r = toRing(v);
  return r >= HALF ? r - RING_MODULUS : r;
}

/** Splits `value` into `holders` shares that sum to it mod 2^64; all but the last are uniform 64-bit draws. */
export function share(value: bigint, holders: number, options?: RandomOptions): bigint[] {
  if (typeof value !== "bigint") throw new InvalidOptionError(`share takes a bigint (use encodeFixed for decimals), got ${typeof value}.`);
  if (!Number.isInteger(holders) || holders < 2 || holders > 1000)
    throw new InvalidOptionError(`holders must be an integer from 2 to 1000, got ${String(holders)}.`);
  const bytes = randomBytes(options, 8 * (holders - 1));
  const view = new DataView(bytes.buffer);
  const shares: bigint[] = [];
  let sum = 0n;
  for (let i = 0; i < holders - 1; i++) {
    const s = view.getBigUint64(8 * i, true);
    shares.push(s);
    sum += s;
  }
  shares.push(toRing(value - sum));
  return shares;
}

/** Sum of shares mod 2^64, as a signed value: the secret (or a total of secrets). */
export function reconstruct(shares: readonly bigint[]): bigint {
  return fromRing(addShares(...shares));
}

/** Sum mod 2^64 (what each holder does with the shares it receives). */
export function addShares(...shares: bigint[]): bigint {
  let s = 0n;
  for (const x of shares) s += x;
  return toRing(s);
}

/**
 * A decimal as an integer number of 10^-decimals units. Strings are parsed
 * exactly; numbers go through toFixed (the correctly rounded decimal of the
 * double), so 0.1 becomes 1 unit at one decimal, not 1.0000000000000000555.
 */
export function encodeFixed(value: number | string, decimals: number): bigint {
  checkDecimals(decimals);
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Math.abs(value) >= 1e21) throw new InvalidOptionError(`a fixed-point value must be finite and below 1e21, got ${value}.`);
    text = value.toFixed(decimals);
  } else text = value.trim();
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new InvalidOptionError("a fixed-point value must be a decimal number like -12.34.");
  const frac = (m[3] ?? "").padEnd(decimals, "0");
  if (frac.length > decimals && /[1-9]/.test(frac.slice(decimals))) throw new InvalidOptionError(`the value has more than ${decimals} decimals.`);
  const units = BigInt(m[2]! + frac.slice(0, decimals));
  const v = m[1] === "-" ? -units : units;
  if (v < -HALF || v >= HALF) throw new InvalidOptionError("the value does not fit in 64 bits at this precision.");
  return v;
}

/** The exact decimal string of `units` at `decimals` places (e.g. 317150n, 2 -> "3171.50"). */
export function decodeFixed(units: bigint, decimals: number): string {
  checkDecimals(decimals);
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals);
  return (neg ? "-" : "") + whole + (decimals > 0 ? "." + frac : "");
}

/** Shares travel as decimal strings of the unsigned residue (JSON has no 64-bit integers). */
export function shareToString(s: bigint): string {
  return toRing(s).toString();
}

/** Parses a share as `shareToString` writes it (a decimal unsigned 64-bit integer). Throws `InvalidOptionError` on anything else. */
export function shareFromString(text: unknown): bigint {
  if (typeof text !== "string" || !/^\d{1,20}$/.test(text)) throw new InvalidOptionError("a share must be a decimal string of an unsigned 64-bit integer.");
  const v = BigInt(text);
  if (v >= RING_MODULUS) throw new InvalidOptionError("a share must be below 2^64.");
  return v;
}

function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 12)
    throw new InvalidOptionError(`decimals must be an integer from 0 to 12, got ${String(decimals)}.`);
}
