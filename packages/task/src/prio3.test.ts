// The VDAF-08 decoders: on the draft's test vectors (src/test-vectors/, copied
// from draft-irtf-cfrg-vdaf poc/test_vec/08) and by round trip against
// @divviup/prio3's own encoders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { Prio3Histogram, Prio3Sum } from "@divviup/prio3";
import { seededSource } from "@veil/core/testing";
import {
  checkInputShare,
  decodeAggregateShare,
  decodeInputShare,
  decodePreparationMessage,
  decodePreparationShare,
  decodePublicShare,
  encodeAggregateShare,
  fromBase64,
  Prio3DecodeError,
  shardMeasurement,
  toBase64,
  wireSizes,
  type Prio3Vdaf,
  type Role,
} from "./prio3.js";

interface Vector {
  verify_key: string;
  agg_shares: string[];
  agg_result: number | number[];
  prep: {
    input_shares: string[];
    measurement: number;
    nonce: string;
    out_shares: string[][];
    prep_messages: string[];
    prep_shares: string[][];
    public_share: string;
    rand: string;
  }[];
}
const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../src/test-vectors/${name}.json`, import.meta.url), "utf8")) as Vector & Record<string, number>;
const hex = (s: string) => Buffer.from(s, "hex");
const roles: Role[] = ["leader", "helper"];

async function checkVector(vdaf: Prio3Vdaf, v: Vector): Promise<void> {
  const verifyKey = hex(v.verify_key);
  const outputs: bigint[][][] = [[], []];
  for (const p of v.prep) {
    const nonce = hex(p.nonce);
    // The package shards exactly as the draft does (so the vector is VDAF-08's).
    const sharded = await vdaf.shardEncoded(p.measurement as never, nonce, hex(p.rand));
    assert.equal(sharded.publicShare.toString("hex"), p.public_share);
    assert.deepEqual(
      sharded.inputShares.map((s) => s.toString("hex")),
      p.input_shares,
    );
    // Each aggregator's preparation from the decoded wire bytes gives the draft's preparation shares.
    const publicShare = decodePublicShare(vdaf, hex(p.public_share));
    const inits = await Promise.all(
      roles.map(async (role, id) => vdaf.prepareInit(verifyKey, id, null, nonce, publicShare, await decodeInputShare(vdaf, role, hex(p.input_shares[id]!)))),
    );
    assert.deepEqual(
      inits.map((i) => vdaf.encodePreparationShare(i.preparationShare).toString("hex")),
      p.prep_shares[0],
    );
    // The decoded preparation shares combine into the draft's preparation message.
    const message = await vdaf.unshardPreparationShares(
      null,
      p.prep_shares[0]!.map((s) => decodePreparationShare(vdaf, hex(s))),
    );
    assert.equal(vdaf.encodePreparationMessage(message).toString("hex"), p.prep_messages[0]);
    const decodedMessage = decodePreparationMessage(vdaf, hex(p.prep_messages[0]!));
    inits.forEach((init, id) => {
      const out = vdaf.prepareNext(init.preparationState, decodedMessage);
      assert.ok("outputShare" in out);
      assert.deepEqual(vdaf.encodeTestVectorOutputShare(out.outputShare), p.out_shares[id]);
      outputs[id]!.push(out.outputShare);
    });
  }
  const aggShares = outputs.map((o) => vdaf.aggregate(null, o));
  assert.deepEqual(
    aggShares.map((a) => Buffer.from(encodeAggregateShare(vdaf, a)).toString("hex")),
    v.agg_shares,
  );
  const decoded = v.agg_shares.map((s) => decodeAggregateShare(vdaf, hex(s)));
  const result = vdaf.unshard(null, decoded, v.prep.length);
  assert.deepEqual(typeof result === "bigint" ? Number(result) : result, v.agg_result);
}

test("decoders reproduce the draft's VDAF-08 test vectors: Prio3Sum (8 bits)", async () => {
  const v = load("Prio3Sum_0");
  await checkVector(new Prio3Sum({ shares: 2, bits: v.bits! }), v);
});

test("decoders reproduce the draft's VDAF-08 test vectors: Prio3Histogram (4 buckets)", async () => {
  const v = load("Prio3Histogram_0");
  await checkVector(new Prio3Histogram({ shares: 2, length: v.length!, chunkLength: v.chunk_length! }), v);
});

test("decode(encode(x)) = x for the package's own shards, for every message and both roles", async () => {
  const random = seededSource(3);
  const cases: [Prio3Vdaf, number][] = [
    [new Prio3Sum({ shares: 2, bits: 17 }), 100_000],
    [new Prio3Sum({ shares: 2, bits: 1 }), 1],
    [new Prio3Histogram({ shares: 2, length: 7, chunkLength: 3 }), 6],
  ];
  for (const [vdaf, measurement] of cases) {
    const nonce = new Uint8Array(16);
    random.fill(nonce);
    const rand = new Uint8Array(vdaf.randSize);
    random.fill(rand);
    const { publicShare, inputShares } = await vdaf.shard(measurement as never, Buffer.from(nonce), Buffer.from(rand));
    const encodedPublic = vdaf.encodePublicShare(publicShare);
    assert.equal(encodedPublic.length, wireSizes(vdaf).publicShare);
    assert.deepEqual(
      decodePublicShare(vdaf, encodedPublic).jointRandParts.map((b) => Buffer.from(b).toString("hex")),
      publicShare.jointRandParts.map((b) => b.toString("hex")),
    );
    for (const [id, role] of roles.entries()) {
      const encoded = vdaf.encodeInputShare(inputShares[id]!);
      assert.equal(encoded.length, role === "leader" ? wireSizes(vdaf).leaderShare : wireSizes(vdaf).helperShare);
      const decoded = await decodeInputShare(vdaf, role, encoded);
      assert.deepEqual(decoded.measurementShare, inputShares[id]!.measurementShare);
      assert.deepEqual(decoded.proofsShare, inputShares[id]!.proofsShare);
      assert.equal(Buffer.from(decoded.blind).toString("hex"), inputShares[id]!.blind.toString("hex"));
    }
    const verifyKey = Buffer.alloc(16, 9);
    const init = await vdaf.prepareInit(verifyKey, 0, null, Buffer.from(nonce), publicShare, inputShares[0]!);
    const encodedPrep = vdaf.encodePreparationShare(init.preparationShare);
    assert.equal(encodedPrep.length, wireSizes(vdaf).prepShare);
    const back = decodePreparationShare(vdaf, encodedPrep);
    assert.deepEqual(back.verifiersShare, init.preparationShare.verifiersShare);
    assert.equal(Buffer.from(back.jointRandomnessPart).toString("hex"), init.preparationShare.jointRandomnessPart.toString("hex"));
  }
});

test("a wrong length, a field element out of range, or text that is not base64 is a Prio3DecodeError", async () => {
  const vdaf = new Prio3Sum({ shares: 2, bits: 8 });
  const sizes = wireSizes(vdaf);
  await assert.rejects(decodeInputShare(vdaf, "leader", new Uint8Array(sizes.leaderShare - 1)), Prio3DecodeError);
  await assert.rejects(decodeInputShare(vdaf, "helper", new Uint8Array(sizes.helperShare + 1)), Prio3DecodeError);
  // 0xff..ff is above Field128's modulus.
  await assert.rejects(decodeInputShare(vdaf, "leader", new Uint8Array(sizes.leaderShare).fill(0xff)), /not in the field/);
  assert.throws(() => decodePreparationShare(vdaf, new Uint8Array(3)), Prio3DecodeError);
  assert.throws(() => decodePublicShare(vdaf, new Uint8Array(sizes.publicShare + 16)), Prio3DecodeError);
  assert.throws(() => fromBase64("not base64!", "x"), Prio3DecodeError);
  assert.deepEqual(fromBase64(toBase64(Uint8Array.of(0, 1, 254, 255)), "x"), Uint8Array.of(0, 1, 254, 255));
});

test("sharding draws its randomness from the given source only, and refuses a measurement outside the circuit's range", async () => {
  const vdaf = new Prio3Sum({ shares: 2, bits: 4 });
  const nonce = new Uint8Array(16);
  const a = await shardMeasurement(vdaf, 5, nonce, seededSource(1));
  const b = await shardMeasurement(vdaf, 5, nonce, seededSource(1));
  const c = await shardMeasurement(vdaf, 5, nonce, seededSource(2));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.inputShares[1], c.inputShares[1]);
  await assert.rejects(shardMeasurement(vdaf, 16, nonce), /not an integer in \[0, 16\)/);
});

test("the intake check accepts the package's own shares and refuses wrong lengths and elements above the modulus, without decoding", async () => {
  const vdaf = new Prio3Sum({ shares: 2, bits: 17 });
  const { inputShares } = await shardMeasurement(vdaf, 1234, new Uint8Array(16), seededSource(5));
  checkInputShare(vdaf, "leader", inputShares[0]);
  checkInputShare(vdaf, "helper", inputShares[1]);
  assert.throws(() => checkInputShare(vdaf, "helper", inputShares[0]), Prio3DecodeError);
  assert.throws(() => checkInputShare(vdaf, "leader", inputShares[0].subarray(1)), Prio3DecodeError);
  // Field128's modulus is 2^66 * 4611686018427387897 + 1: the same value in element 5 is out of the field, one less is in.
  const p = vdaf.flp.field.modulus;
  const put = (x: bigint) => {
    const b = new Uint8Array(inputShares[0]);
    for (let i = 0; i < 16; i++) b[5 * 16 + i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return b;
  };
  assert.throws(() => checkInputShare(vdaf, "leader", put(p)), /element 5 is not in the field/);
  checkInputShare(vdaf, "leader", put(p - 1n));
});
