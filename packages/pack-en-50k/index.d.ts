/** Veil's default embedding pack, as loadVeil and createVeil take it. */
export interface VeilPack {
  /** Where the .veilpack file is: a file: URL in Node, the bundled asset's URL in an app. */
  readonly url: string;
  /** SHA-256 of the pack's body (hex), as its header records it: loadVeil refuses another. */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  readonly n: number;
  readonly d: number;
  readonly K: number;
  /** The pack's name, source and licence, from its metadata. */
  readonly name: string;
  readonly source: string;
  readonly license: string;
}
export declare const pack: VeilPack;
export default pack;
