// The pack cache: a pack is stored as CHUNK_BYTES chunks plus a manifest written
// last (so an interrupted write leaves no manifest and reads as a miss). Every
// read checks the manifest against the chunks (count, sizes) and the caller then
// verifies the pack's SHA-256 (readPack); anything wrong and the entry is dropped.
import type { CacheStore } from "./store.js";

/** Bumped when the cache layout changes: entries of another version are stale. */
export const CACHE_FORMAT = 1;
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface CacheManifest {
  cacheFormat: number;
  /** The pack's URL, or `sha256:<hex>` for a pack given as bytes. */
  key: string;
  /** Pack format version (from its header). */
  packVersion: number;
  /** SHA-256 of the pack body (from its header), hex. */
  sha256: string;
  bytes: number;
  chunkBytes: number;
  chunks: number;
  /** When it was stored (ISO 8601). */
  storedAt: string;
  /** The server's version of the file when it was downloaded (ETag, Last-Modified), for `revalidate`. */
  validator?: PackValidator;
}

/** What identifies one version of a file on its server. */
export interface PackValidator {
  etag?: string;
  lastModified?: string;
}

const manifestKey = (key: string): IDBValidKey => ["manifest", key];
const chunkKey = (key: string, i: number): IDBValidKey => ["chunk", key, i];

export type CacheRead = { hit: true; bytes: Uint8Array; manifest: CacheManifest } | { hit: false; why: "absent" | "stale" | "corrupt"; detail?: string };

/** Reads a cached pack. A stale or corrupt entry is deleted and reported as a miss. */
export async function readCachedPack(store: CacheStore, key: string, expect: { sha256?: string; packVersion: number }): Promise<CacheRead> {
  const [m] = (await store.getMany([manifestKey(key)])) as [CacheManifest | undefined];
  if (!m) return { hit: false, why: "absent" };
  const stale =
    m.cacheFormat !== CACHE_FORMAT
      ? `cache format ${m.cacheFormat}, expected ${CACHE_FORMAT}`
      : m.packVersion !== expect.packVersion
        ? `pack format ${m.packVersion}, expected ${expect.packVersion}`
        : expect.sha256 && m.sha256 !== expect.sha256.toLowerCase()
          ? `SHA-256 ${m.sha256.slice(0, 12)}..., expected ${expect.sha256.slice(0, 12)}...`
          : null;
  if (stale) {
    await deleteEntry(store, key, m);
    return { hit: false, why: "stale", detail: stale };
  }
  const parts = (await store.getMany(Array.from({ length: m.chunks }, (_, i) => chunkKey(key, i)))) as unknown[];
  const bytes = new Uint8Array(m.bytes);
  let off = 0;
  for (let i = 0; i < m.chunks; i++) {
    const p = parts[i];
    const want = Math.min(m.chunkBytes, m.bytes - off);
    if (!(p instanceof ArrayBuffer) || p.byteLength !== want) {
      await deleteEntry(store, key, m);
      return { hit: false, why: "corrupt", detail: `chunk ${i} is ${p instanceof ArrayBuffer ? `${p.byteLength} bytes, expected ${want}` : "missing"}` };
    }
    bytes.set(new Uint8Array(p), off);
    off += want;
  }
  return { hit: true, bytes, manifest: m };
}

/** Stores a pack (chunks first, manifest last). Throws the store's error (quota, security) as is. */
export async function writeCachedPack(
  store: CacheStore,
  key: string,
  bytes: Uint8Array,
  info: { sha256: string; packVersion: number; validator?: PackValidator },
): Promise<CacheManifest> {
  const chunks = Math.ceil(bytes.length / CHUNK_BYTES);
  const m: CacheManifest = {
    cacheFormat: CACHE_FORMAT,
    key,
    packVersion: info.packVersion,
    sha256: info.sha256,
    bytes: bytes.length,
    chunkBytes: CHUNK_BYTES,
    chunks,
    storedAt: new Date().toISOString(),
    ...(info.validator && (info.validator.etag || info.validator.lastModified) && { validator: info.validator }),
  };
  const [old] = (await store.getMany([manifestKey(key)])) as [CacheManifest | undefined];
  if (old) await deleteEntry(store, key, old);
  for (let i = 0; i < chunks; i++) {
    // One transaction per chunk keeps each write small; the manifest comes last.
    await store.setMany([[chunkKey(key, i), bytes.slice(i * CHUNK_BYTES, Math.min(bytes.length, (i + 1) * CHUNK_BYTES)).buffer]]);
  }
  await store.setMany([[manifestKey(key), m]]);
  return m;
}

export async function deleteEntry(store: CacheStore, key: string, m?: CacheManifest): Promise<void> {
  const n = m?.chunks ?? 0;
  await store.delMany([manifestKey(key), ...Array.from({ length: n }, (_, i) => chunkKey(key, i))]);
}

/** Every manifest in the store. */
export async function listManifests(store: CacheStore): Promise<CacheManifest[]> {
  const ks = (await store.keys()).filter((k) => Array.isArray(k) && k[0] === "manifest");
  return ((await store.getMany(ks)) as (CacheManifest | undefined)[]).filter((m): m is CacheManifest => !!m);
}

/** Deletes every entry, orphan chunks included. */
export async function clearStore(store: CacheStore): Promise<void> {
  await store.delMany(await store.keys());
}
