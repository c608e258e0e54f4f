// Prio3 (draft-irtf-cfrg-vdaf-08) for a task's aggregates, through ISRG's
// @divviup/prio3. The package shards and prepares, and encodes shares for the
// wire, but ships no decoders: the decoders below follow VDAF-08's encoding
// (section 7.2.6) and are tested by round trip against the package's encoders
// and on the draft's test vectors (src/test-vectors/, from the draft's poc/test_vec/08).
import { Prio3Histogram, Prio3Sum } from "@divviup/prio3";
import { Buffer } from "buffer";
import { cryptoSource, type RandomSource } from "@veil/core";
import type { Aggregate } from "./task.js";

/** The two aggregators of a pair: the leader (id 0) drives preparation; the helper (id 1) answers it. */
export type Role = "leader" | "helper";
/** Each role's aggregator id in Prio3 (the leader holds the explicit shares, the helper the seeds). */
export const AGGREGATOR_ID: Record<Role, number> = { leader: 0, helper: 1 };

/** One Prio3 instance (Prio3Sum or Prio3Histogram) with two aggregators. */
export type Prio3Vdaf = Prio3Sum | Prio3Histogram;

const vdafs = new Map<string, Prio3Vdaf>();

/**
 * The VDAF a task aggregate is collected with. Instances hold only their
 * parameters (every call is pure), so one per shape serves every report: making
 * one costs about 26 µs, which intake and preparation would otherwise pay per report.
 */
export function vdafFor(a: Aggregate): Prio3Vdaf {
  const key = a.type === "sum" ? `sum/${a.bits}` : `histogram/${a.labels.length}/${a.chunkLength}`;
  let v = vdafs.get(key);
  if (!v)
    vdafs.set(
      key,
      (v =
        a.type === "sum" ? new Prio3Sum({ shares: 2, bits: a.bits }) : new Prio3Histogram({ shares: 2, length: a.labels.length, chunkLength: a.chunkLength })),
    );
  return v;
}

/** A client's sharded measurement: the public share and one input share per aggregator, encoded for the wire. */
export interface EncodedShards {
  publicShare: Uint8Array;
  inputShares: [leader: Uint8Array, helper: Uint8Array];
}

/**
 * Shards one measurement with its validity proof. The nonce is the report id;
 * the sharding randomness comes from `random` (crypto.getRandomValues unless a
 * test passes a seeded source). Refuses a measurement the circuit does not admit.
 */
export async function shardMeasurement(vdaf: Prio3Vdaf, measurement: number, nonce: Uint8Array, random: RandomSource = cryptoSource()): Promise<EncodedShards> {
  const rand = new Uint8Array(vdaf.randSize);
  random.fill(rand);
  const out = await vdaf.shardEncoded(measurement, Buffer.from(nonce), Buffer.from(rand));
  const [leader, helper] = out.inputShares;
  return { publicShare: new Uint8Array(out.publicShare), inputShares: [new Uint8Array(leader!), new Uint8Array(helper!)] };
}

/** A wire field that does not decode (wrong length, or a field element out of range). */
export class Prio3DecodeError extends Error {
  override name = "Prio3DecodeError";
}

type PublicShare = Parameters<Prio3Vdaf["prepareInit"]>[4];
type InputShare = Parameters<Prio3Vdaf["prepareInit"]>[5];
type PreparationShare = Parameters<Prio3Vdaf["unshardPreparationShares"]>[1][number];
type PreparationMessage = Parameters<Prio3Vdaf["prepareNext"]>[1];

// VDAF-08's XOF usages (section 6.2), for re-expanding a helper's seeds.
const USAGE_MEASUREMENT_SHARE = 1;
const USAGE_PROOF_SHARE = 2;

/** Sizes on the wire, in bytes, for each encoded message of this VDAF. */
export function wireSizes(vdaf: Prio3Vdaf): { leaderShare: number; helperShare: number; publicShare: number; prepShare: number; prepMessage: number } {
  const { flp, xof, proofs, shares } = vdaf;
  const E = flp.field.encodedSize;
  const S = xof.seedSize;
  const joint = flp.jointRandLen > 0;
  return {
    leaderShare: (flp.measurementLen + flp.proofLen * proofs) * E + (joint ? S : 0),
    helperShare: (joint ? 3 : 2) * S,
    publicShare: joint ? shares * S : 0,
    prepShare: flp.verifierLen * proofs * E + (joint ? S : 0),
    prepMessage: joint ? S : 0,
  };
}

function expect(bytes: Uint8Array, length: number, what: string): Buffer {
  if (bytes.length !== length) throw new Prio3DecodeError(`${what} must be ${length} bytes, got ${bytes.length}.`);
  return Buffer.from(bytes);
}

function elements(vdaf: Prio3Vdaf, bytes: Buffer, what: string): bigint[] {
  try {
    return vdaf.flp.field.decode(bytes);
  } catch (e) {
    throw new Prio3DecodeError(`${what}: ${(e as Error).message}.`);
  }
}

/** Decodes a public share: the aggregators' joint-randomness parts, one seed each. */
export function decodePublicShare(vdaf: Prio3Vdaf, bytes: Uint8Array): PublicShare {
  const b = expect(bytes, wireSizes(vdaf).publicShare, "the public share");
  const S = vdaf.xof.seedSize;
  return { jointRandParts: Array.from({ length: vdaf.shares }, (_, i) => b.subarray(i * S, (i + 1) * S)) };
}

/**
 * Decodes an aggregator's input share. The leader's holds its measurement and
 * proof shares as field elements, then its blind; a helper's holds two seeds
 * (expanded here exactly as the client expanded them) and its blind.
 */
export async function decodeInputShare(vdaf: Prio3Vdaf, role: Role, bytes: Uint8Array): Promise<InputShare> {
  const sizes = wireSizes(vdaf);
  const { flp, xof, proofs } = vdaf;
  const E = flp.field.encodedSize;
  const S = xof.seedSize;
  const joint = flp.jointRandLen > 0;
  if (role === "leader") {
    const b = expect(bytes, sizes.leaderShare, "the leader's input share");
    const m = flp.measurementLen * E;
    const p = flp.proofLen * proofs * E;
    const wireMeasurementShare = b.subarray(0, m);
    const wireProofShare = b.subarray(m, m + p);
    const blind = joint ? b.subarray(m + p) : Buffer.alloc(0);
    return {
      measurementShare: elements(vdaf, wireMeasurementShare, "the measurement share"),
      proofsShare: elements(vdaf, wireProofShare, "the proof share"),
      wireMeasurementShare,
      wireProofShare,
      blind,
    };
  }
  const b = expect(bytes, sizes.helperShare, "the helper's input share");
  const id = AGGREGATOR_ID.helper;
  const wireMeasurementShare = b.subarray(0, S);
  const wireProofShare = b.subarray(S, 2 * S);
  const blind = joint ? b.subarray(2 * S, 3 * S) : Buffer.alloc(0);
  const measurementShare = await xof.expandIntoVec(
    flp.field,
    wireMeasurementShare,
    vdaf.domainSeparationTag(USAGE_MEASUREMENT_SHARE),
    Buffer.of(id),
    flp.measurementLen,
  );
  const proofsShare = await xof.expandIntoVec(
    flp.field,
    wireProofShare,
    vdaf.domainSeparationTag(USAGE_PROOF_SHARE),
    Buffer.of(proofs, id),
    flp.proofLen * proofs,
  );
  return { measurementShare, proofsShare, wireMeasurementShare, wireProofShare, blind };
}

/**
 * The intake check of an input share, without decoding it: the exact length
 * for its role and, for the leader's field elements, that each is below the
 * field's modulus (read as little-endian 64-bit words, no BigInt per byte). A
 * helper's share is seeds, so any bytes of the right length are well formed.
 */
export function checkInputShare(vdaf: Prio3Vdaf, role: Role, bytes: Uint8Array): void {
  const sizes = wireSizes(vdaf);
  expect(bytes, role === "leader" ? sizes.leaderShare : sizes.helperShare, `the ${role}'s input share`);
  if (role === "helper") return;
  const { flp, proofs } = vdaf;
  const E = flp.field.encodedSize;
  const p = flp.field.modulus;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < (flp.measurementLen + flp.proofLen * proofs) * E; i += E) {
    let x = 0n;
    for (let w = E - 8; w >= 0; w -= 8) x = (x << 64n) | view.getBigUint64(i + w, true);
    if (x >= p) throw new Prio3DecodeError(`the leader's input share: element ${i / E} is not in the field.`);
  }
}

/** Decodes a preparation share: the verifier share (field elements), then the joint-randomness part. */
export function decodePreparationShare(vdaf: Prio3Vdaf, bytes: Uint8Array): PreparationShare {
  const b = expect(bytes, wireSizes(vdaf).prepShare, "the preparation share");
  const v = vdaf.flp.verifierLen * vdaf.proofs * vdaf.flp.field.encodedSize;
  return { verifiersShare: elements(vdaf, b.subarray(0, v), "the verifier share"), jointRandomnessPart: b.subarray(v) };
}

/** Decodes a preparation message: the joint-randomness seed both aggregators must agree on. */
export function decodePreparationMessage(vdaf: Prio3Vdaf, bytes: Uint8Array): PreparationMessage {
  return { jointRand: expect(bytes, wireSizes(vdaf).prepMessage, "the preparation message") };
}

/** Decodes an aggregate share (the field elements an aggregator sums its output shares into). */
export function decodeAggregateShare(vdaf: Prio3Vdaf, bytes: Uint8Array): bigint[] {
  const b = expect(bytes, vdaf.flp.outputLen * vdaf.flp.field.encodedSize, "the aggregate share");
  return elements(vdaf, b, "the aggregate share");
}

/** Encodes an aggregate share (field elements, little-endian, as VDAF-08 does). */
export function encodeAggregateShare(vdaf: Prio3Vdaf, share: readonly bigint[]): Uint8Array {
  return new Uint8Array(vdaf.encodeAggregatorShare([...share]));
}

/** Adds a signed integer (a noise share) to a field element: x + n mod p. */
export function addSignedToField(vdaf: Prio3Vdaf, x: bigint, n: bigint): bigint {
  const p = vdaf.flp.field.modulus;
  return (((x + n) % p) + p) % p;
}

/**
 * Reads a field element as a signed integer: values above p/2 are negative.
 * A noised total is a true total (at most 2^40 per report times the count)
 * plus noise, far below p/2 = 2^127 in Field128.
 */
export function fieldToSigned(vdaf: Prio3Vdaf, x: bigint): bigint {
  const p = vdaf.flp.field.modulus;
  return x > p / 2n ? x - p : x;
}

/** Standard base64 of bytes (for JSON bodies). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of standard base64; throws Prio3DecodeError on anything else. */
export function fromBase64(text: unknown, what: string): Uint8Array {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Prio3DecodeError(`${what} must be base64.`);
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
