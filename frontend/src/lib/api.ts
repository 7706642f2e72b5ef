/** A small typed fetch wrapper: errors carry the API's `{detail, code}` (pure but for fetch). */

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

export async function apiFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
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
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
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
