/** A small typed fetch wrapper: errors carry the API's `{detail, code}` (pure but for fetch). */

import { ENDPOINTS } from "./endpoints";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code: string,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = "ApiError";
  }
}

const TOKEN_KEY = "quvvat.token";

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

const REFRESH_KEY = "quvvat.refresh";

export function getRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

export function setRefreshToken(token: string | null): void {
  if (token) localStorage.setItem(REFRESH_KEY, token);
  else localStorage.removeItem(REFRESH_KEY);
}

/** Parse an error body `{detail, code}`; FastAPI's list-shaped details are joined. */
export function errorFromBody(status: number, body: unknown): ApiError {
  if (body && typeof body === "object" && "detail" in body) {
    const b = body as { detail: unknown; code?: unknown };
    const detail =
      typeof b.detail === "string"
        ? b.detail
        : Array.isArray(b.detail)
          ? b.detail.map((d) => JSON.stringify(d)).join("; ")
          : JSON.stringify(b.detail);
    return new ApiError(status, detail, typeof b.code === "string" ? b.code : "error");
  }
  return new ApiError(status, `HTTP ${status}`, "http_error");
}

/** `fetch` options; `anonymous` leaves out the stored token (sign-up, login, refresh:
 * the API refuses any request that carries an expired token). */
export interface ApiInit extends RequestInit {
  anonymous?: boolean;
}

/** The successful response of a request with the stored bearer token; errors throw. */
async function apiResponse(path: string, init: ApiInit): Promise<Response> {
  const { anonymous, ...rest } = init;
  const headers = new Headers(rest.headers);
  const token = anonymous ? null : getToken();
  if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(path, { ...rest, headers });
  } catch (e) {
    throw new ApiError(0, e instanceof Error ? e.message : String(e), "network_error");
  }
  if (!res.ok) {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    throw errorFromBody(res.status, body);
  }
  return res;
}

export async function apiFetch<T>(path: string, init: ApiInit = {}): Promise<T> {
  const res = await apiResponse(path, init);
  if (res.status === 204) return undefined as T; // no content (DELETE), whatever its type says
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
}

/** A file the API makes (a PDF, an export) as a blob, with the bearer token. */
export async function apiBlob(path: string, init: ApiInit = {}): Promise<Blob> {
  return (await apiResponse(path, init)).blob();
}

/** One server-sent event (`event:` name, default "message"; `data:` lines joined). */
export interface ServerEvent {
  event: string;
  data: string;
}

/** Split a text/event-stream buffer into complete events and the unfinished rest
 * (the format of the HTML standard: blank-line separated, `:` comments ignored). */
export function parseEventStream(buffer: string): { events: ServerEvent[]; rest: string } {
  const text = buffer.replace(/\r\n?/g, "\n");
  const blocks = text.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: ServerEvent[] = [];
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

/** Read a server-sent event stream with the bearer token in the Authorization
 * header (a browser's EventSource cannot send one, and a token in the URL would
 * end up in logs). Resolves when the server ends the stream; rejects with an
 * ApiError when it refuses or the connection drops; `signal` stops it. */
export async function streamEvents(
  path: string,
  onEvent: (e: ServerEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await apiResponse(path, { signal, headers: { Accept: "text/event-stream" } });
  if (!res.body) throw new ApiError(0, "the browser cannot read streams", "no_stream");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const parsed = parseEventStream(buffer + value);
      buffer = parsed.rest;
      for (const e of parsed.events) onEvent(e);
    }
  } catch (e) {
    if (signal.aborted) return;
    throw new ApiError(0, e instanceof Error ? e.message : String(e), "network_error");
  }
}

/** A request with a JSON body and its content type. */
export function jsonRequest(method: string, body: unknown): RequestInit {
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/** OAuth2 password login: `username` is the e-mail or the +998 phone. */
export function passwordLogin(username: string, password: string): Promise<TokenAnswer> {
  return apiFetch<TokenAnswer>(ENDPOINTS.token, {
    anonymous: true,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "password", username, password }),
  });
}

/** MapLibre's request for `url` with the bearer token, when `url` is one of the app's
 * own vector tiles (`{origin}/tiles/...`; restricted layers answer 401/403 without
 * it). Any other URL (the optional online basemap, another host) is left alone
 * (`undefined`), and so is a request when there is no token or it has expired
 * (the API refuses every request that carries an expired token). */
export function tileRequest(
  url: string,
  origin: string,
  token: string | null,
  now: number = Date.now(),
): { url: string; headers: Record<string, string> } | undefined {
  if (!token) return undefined;
  let u: URL;
  try {
    u = new URL(url, origin);
  } catch {
    return undefined;
  }
  if (u.origin !== origin || !u.pathname.startsWith("/tiles/")) return undefined;
  const exp = jwtClaims(token)?.exp;
  if (typeof exp === "number" && exp * 1000 <= now) return undefined;
  return { url, headers: { Authorization: `Bearer ${token}` } };
}

/** Let the browser save a blob as a file called `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const a = document.createElement("a");
  const url = URL.createObjectURL(blob);
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Decode a JWT's payload without verifying it (the API verifies; the UI only adapts). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
