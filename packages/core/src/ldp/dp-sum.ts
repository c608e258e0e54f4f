// A differentially private sum under secret sharing (docs/mechanisms.md, "Local-DP
// primitives", the article's closing remark): each of s servers adds its own
// noise share to its sum of shares before releasing it. Each noise share is
// Polya(1/s) - Polya(1/s); the s of them add up to exactly two-sided geometric
// noise (Polya shapes add, and Polya with shape 1 is geometric), so the total is
// epsilon-DP while no server knows, or chose, the noise in it.
import { InvalidOptionError } from "../errors.js";
import { checkEpsilon } from "../mechanisms/options.js";
import { polya, streamFor, type RandomOptions } from "./random.js";
import { addShares, fromRing } from "./secret-sharing.js";

/** How one server noises its share of a sum before release: the total's epsilon and the sensitivity of one report. */
export interface NoiseShareOptions extends RandomOptions {
  /** Privacy of the released total. */
  epsilon: number;
  /** Most one person can move the sum, in integer (fixed-point) units: (upper - lower) * 10^decimals. */
  sensitivity: number;
  /** How many servers add noise shares (all of them must, for the noise to be complete). */
  servers: number;
}

/** One server's noise share, in integer units (a signed number, to add into the ring). */
export function noiseShare(options: NoiseShareOptions): number {
  const epsilon = checkEpsilon(options.epsilon);
  const { sensitivity, servers } = options;
  if (!(Number.isFinite(sensitivity) && sensitivity > 0))
    throw new InvalidOptionError(`sensitivity must be a finite positive number of units, got ${String(sensitivity)}.`);
  if (!Number.isInteger(servers) || servers < 1 || servers > 1000)
    throw new InvalidOptionError(`servers must be an integer from 1 to 1000, got ${String(servers)}.`);
  const s = streamFor(options);
  const rate = epsilon / sensitivity;
  return polya(s, 1 / servers, rate) - polya(s, 1 / servers, rate);
}

/** What a server releases: its sum of shares plus its noise share, mod 2^64. */
export function releaseNoisedShare(shareSum: bigint, options: NoiseShareOptions): bigint {
  return addShares(shareSum, BigInt(noiseShare(options)));
}

/** The combine step: the released shares add up to the true total plus the complete noise (signed units). */
export function combineReleased(released: readonly bigint[]): bigint {
  return fromRing(addShares(...released));
}
