// Cache management from the page (IndexedDB is shared with the worker).
import { PACK_VERSIONS } from "@veil/core";
import { clearStore, listManifests, readCachedPack, type CacheManifest } from "./cache/pack-cache.js";
import { idbCacheStore } from "./cache/store.js";

function keyOf(pack: string | URL): string {
  return new URL(pack, (globalThis as { location?: { href: string } }).location?.href ?? "http://localhost/").href;
}

/** True when the pack at this URL is in Veil's cache and intact (its body present with the recorded size). */
export async function isCached(pack: string | URL): Promise<boolean> {
  return (await readCachedPack(idbCacheStore(), keyOf(pack), { packVersions: PACK_VERSIONS })).hit;
}

/** Deletes every cached pack (Veil's own database only). */
export async function clearCache(): Promise<void> {
  await clearStore(idbCacheStore());
}

/** The cached packs: key, SHA-256, size, when stored. */
export async function cacheInfo(): Promise<CacheManifest[]> {
  return listManifests(idbCacheStore());
}
