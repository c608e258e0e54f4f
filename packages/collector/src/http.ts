// HTTP pieces the collector's routes share: errors with a status, bounded body
// reading that stops at the first refusal, the analyst's credential, a token
// bucket for intake, and the Host check against DNS rebinding.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** An error a route answers with: its status and a reason for the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Headers every response carries. */
export const COMMON_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

/**
 * Reads a JSON body of at most `maxBytes`. The content type and the declared
 * length are checked before a byte is read; a body that grows past the limit
 * stops being read at once (the caller closes the connection after answering).
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new HttpError(415, "send the body as application/json.");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw new HttpError(413, `bodies are limited to ${maxBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `bodies are limited to ${maxBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not valid JSON.");
  }
}

/**
 * Answers with JSON. A request whose body was not read to the end (a refusal
 * before or while reading it) gets `Connection: close` and its socket is
 * closed once the answer is out, so a refused 1 GiB body is not read after all.
 */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const unread = !req.complete;
  const socket = req.socket; // detached from req once the answer is out
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...COMMON_HEADERS, ...headers, ...(unread ? { Connection: "close" } : {}) });
  res.end(JSON.stringify(body), () => {
    if (unread) socket?.destroy();
  });
}

/** A new analyst or peer token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What a collector stores of a token: its SHA-256, hex. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Whether the request carries the analyst token whose hash is `expectedHash`:
 * `Authorization: Bearer TOKEN`, or HTTP Basic with the token as password (so a
 * browser can open the dashboard). Compared in constant time.
 */
export function analystAuthorized(req: IncomingMessage, expectedHash: string, allowBasic = true): boolean {
  const header = req.headers.authorization ?? "";
  let token: string | undefined;
  const bearer = /^Bearer (\S+)$/.exec(header);
  const basic = allowBasic ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(header) : null;
  if (bearer) token = bearer[1];
  else if (basic) token = Buffer.from(basic[1]!, "base64").toString("utf8").split(":").slice(1).join(":");
  if (!token) return false;
  return timingSafeEqual(Buffer.from(tokenHash(token), "hex"), Buffer.from(expectedHash, "hex"));
}

/**
 * Refuses a request without the analyst credential (401, with the challenge a
 * browser shows as a login). A change (a release) takes only the Bearer form:
 * a browser resends cached Basic credentials on its own, so any page could
 * otherwise make a logged-in analyst's browser post a release (CSRF).
 */
export function requireAnalyst(req: IncomingMessage, expectedHash: string): void {
  if (!analystAuthorized(req, expectedHash, req.method === "GET"))
    throw new HttpError(401, "this needs the task's analyst token: send Authorization: Bearer TOKEN.", {
      "WWW-Authenticate": 'Basic realm="veil-collector", charset="UTF-8"',
    });
}

/** A token bucket: `rate` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  #tokens: number;
  #at = performance.now();
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }
  /** Takes a token if there is one; otherwise returns the seconds until there will be. */
  take(): number {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return (1 - this.#tokens) / this.rate;
  }
}

/**
 * The Host names this collector answers to. A browser page on another origin
 * that rebinds its own name to 127.0.0.1 still sends its own name as Host, so
 * checking it keeps such pages out (DNS rebinding).
 */
export function hostAllowed(req: IncomingMessage, port: number, extra: readonly string[]): boolean {
  const host = (req.headers.host ?? "").toLowerCase();
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...extra.map((h) => h.toLowerCase())].includes(host);
}
