// The pack cache: a pack is stored as one Blob plus a manifest written last (so
// an interrupted write leaves no manifest and reads as a miss). Every read checks
// the Blob against the manifest (size) and the caller then verifies the pack's
// SHA-256 (readPack); anything wrong and the entry is dropped.
//
// Why one Blob: Chromium keeps a Blob in IndexedDB as a file and reads it back
// in one go. Measured in Chromium on this repository's 33 MB pack, writing one
// Blob took 216 ms and reading it 142-188 ms, against 1,079 ms and 707-747 ms for
// eight 4 MB ArrayBuffers (cache format 1), which are copied through structured
// clone on every read.
import { sha256, toHex } from "@veil/core/internal";
import type { CacheStore } from "./store.js";

/** Bumped when the cache layout changes: entries of another version are stale. Format 1 kept 4 MB ArrayBuffer chunks. */
export const CACHE_FORMAT = 2;

/** What the cache records about a stored pack (`cacheInfo()` lists them). */
export interface CacheManifest {
  cacheFormat: number;
  /** The pack's URL, or `sha256:<hex>` for a pack given as bytes. */
  key: string;
  /** Pack format version (from its header). */
  packVersion: number;
  /** SHA-256 of the pack body (from its header), hex. */
  sha256: string;
  bytes: number;
  /** Format 1 only: how many chunk entries to delete with it. */
  chunks?: number;
  /** When it was stored (ISO 8601). */
  storedAt: string;
  /** The server's version of the file when it was downloaded (ETag, Last-Modified), for `revalidate`. */
  validator?: PackValidator;
  /**
   * A pack whose table is stored as sets: its table in order, kept beside it so a
   * warm start need not put 50,000 rows back in order again (`orderedTable` of
   * readPack). Its length and SHA-256; a copy that does not match is not used.
   */
  table?: { bytes: number; sha256: string };
}

/** What identifies one version of a file on its server. */
export interface PackValidator {
  etag?: string;
  lastModified?: string;
}

const manifestKey = (key: string): IDBValidKey => ["manifest", key];
const bodyKey = (key: string): IDBValidKey => ["body", key];
const formatOneChunkKey = (key: string, i: number): IDBValidKey => ["chunk", key, i];
const tableKey = (key: string): IDBValidKey => ["table", key];

export type CacheRead =
  { hit: true; bytes: Uint8Array; manifest: CacheManifest; orderedTable?: Int32Array } | { hit: false; why: "absent" | "stale" | "corrupt"; detail?: string };

/** Reads a cached pack. A stale or corrupt entry is deleted and reported as a miss. */
export async function readCachedPack(store: CacheStore, key: string, expect: { sha256?: string; packVersions: readonly number[] }): Promise<CacheRead> {
  const [m] = (await store.getMany([manifestKey(key)])) as [CacheManifest | undefined];
  if (!m) return { hit: false, why: "absent" };
  const stale = staleness(m, expect);
  if (stale) {
    await deleteEntry(store, key, m);
    return { hit: false, why: "stale", detail: stale };
  }
  const [body] = await store.getMany([bodyKey(key)]);
  const problem = !(body instanceof Blob) ? "missing" : body.size !== m.bytes ? `${body.size} bytes, expected ${m.bytes}` : null;
  const bytes = problem ? null : await readBlob(body as Blob);
  if (!bytes) {
    await deleteEntry(store, key, m);
    return { hit: false, why: "corrupt", detail: `the cached body is ${problem ?? "unreadable"}` };
  }
  const orderedTable = m.table ? await readOrderedTable(store, key, m.table) : null;
  return { hit: true, bytes, manifest: m, ...(orderedTable && { orderedTable }) };
}

/** The cached ordered table when its length and SHA-256 match the manifest; else null (the reader then orders the rows itself). */
async function readOrderedTable(store: CacheStore, key: string, want: { bytes: number; sha256: string }): Promise<Int32Array | null> {
  const [blob] = await store.getMany([tableKey(key)]);
  if (!(blob instanceof Blob) || blob.size !== want.bytes || want.bytes % 4 !== 0) return null;
  const bytes = await readBlob(blob);
  if (!bytes || (await hexDigest(bytes)) !== want.sha256) return null;
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

async function hexDigest(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/** Why a manifest no longer matches what the caller expects (null when it does). */
function staleness(m: CacheManifest, expect: { sha256?: string; packVersions: readonly number[] }): string | null {
  if (m.cacheFormat !== CACHE_FORMAT) return `cache format ${m.cacheFormat}, expected ${CACHE_FORMAT}`;
  if (!expect.packVersions.includes(m.packVersion)) return `pack format ${m.packVersion}, this Veil reads ${expect.packVersions.join(" and ")}`;
  if (expect.sha256 && m.sha256 !== expect.sha256.toLowerCase()) return `SHA-256 ${m.sha256.slice(0, 12)}..., expected ${expect.sha256.slice(0, 12)}...`;
  return null;
}

/** The Blob's bytes, or null when the browser cannot read its file any more (deleted or damaged on disk). */
async function readBlob(b: Blob): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await b.arrayBuffer());
  } catch {
    return null;
  }
}

/** Stores a pack (body first, manifest last). Throws the store's error (quota, security) as is. */
export async function writeCachedPack(
  store: CacheStore,
  key: string,
  bytes: Uint8Array,
  info: { sha256: string; packVersion: number; validator?: PackValidator; orderedTable?: Int32Array },
): Promise<CacheManifest> {
  const table = info.orderedTable ? new Uint8Array(info.orderedTable.buffer, info.orderedTable.byteOffset, info.orderedTable.byteLength) : null;
  const m: CacheManifest = {
    cacheFormat: CACHE_FORMAT,
    key,
    packVersion: info.packVersion,
    sha256: info.sha256,
    bytes: bytes.length,
    storedAt: new Date().toISOString(),
    ...(info.validator && (info.validator.etag || info.validator.lastModified) && { validator: info.validator }),
    ...(table && { table: { bytes: table.length, sha256: await hexDigest(table) } }),
  };
  const [old] = (await store.getMany([manifestKey(key)])) as [CacheManifest | undefined];
  if (old) await deleteEntry(store, key, old);
  await store.setMany([[bodyKey(key), new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" })]]);
  if (table) await store.setMany([[tableKey(key), new Blob([table.slice()], { type: "application/octet-stream" })]]);
  await store.setMany([[manifestKey(key), m]]);
  return m;
}

/** Deletes a pack's manifest and body (and a format-1 entry's chunks). */
export async function deleteEntry(store: CacheStore, key: string, m?: CacheManifest): Promise<void> {
  const chunks = Array.from({ length: m?.chunks ?? 0 }, (_, i) => formatOneChunkKey(key, i));
  await store.delMany([manifestKey(key), bodyKey(key), tableKey(key), ...chunks]);
}

/** Every manifest in the store. */
export async function listManifests(store: CacheStore): Promise<CacheManifest[]> {
  const ks = (await store.keys()).filter((k) => Array.isArray(k) && k[0] === "manifest");
  return ((await store.getMany(ks)) as (CacheManifest | undefined)[]).filter((m): m is CacheManifest => !!m);
}

/** Deletes every entry, orphan bodies included. */
export async function clearStore(store: CacheStore): Promise<void> {
  await store.delMany(await store.keys());
}
