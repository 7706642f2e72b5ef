/** Paths of the API routes the app calls (one place to follow the backend). */

export const ENDPOINTS = {
  station: (id: number | string) => `/api/stations/${encodeURIComponent(String(id))}`,
  stationsSearch: (q: string) => `/api/stations?q=${encodeURIComponent(q)}&limit=8`,
  sessions: (query: string) => `/sessions${query ? `?${query}` : ""}`,
  sessionsCsv: (query: string) => `/sessions/export.csv${query ? `?${query}` : ""}`,
  remoteStart: (cp: string) => `/charge-points/${encodeURIComponent(cp)}/remote-start`,
  remoteStop: (sessionId: number) => `/sessions/${sessionId}/remote-stop`,
  reset: (cp: string) => `/charge-points/${encodeURIComponent(cp)}/reset`,
  availability: (cp: string) => `/charge-points/${encodeURIComponent(cp)}/availability`,
  token: "/api/auth/token",
  route: "/api/route",
  vehicles: "/api/vehicles",
  geocode: (q: string) => `/api/geocode?q=${encodeURIComponent(q)}&limit=6`,
  scenarios: "/api/scenarios",
  scenario: (id: number) => `/api/scenarios/${id}`,
  scenarioLayer: (id: number, layer: string) => `/api/scenarios/${id}/results/${layer}`,
  scenarioExport: (id: number, layer: string, format: "geojson" | "gpkg" | "csv" = "geojson") =>
    `/api/scenarios/${id}/export?layer=${layer}&format=${format}`,
  scenarioDefaults: "/api/scenarios/defaults",
  scenarioCreate: "/api/scenarios?run=false",
  scenarioRun: (id: number) => `/api/scenarios/${id}/run`,
  scenarioCancel: (id: number) => `/api/scenarios/${id}/cancel`,
  scenarioProgress: (id: number) => `/api/scenarios/${id}/progress`,
  /** Server-sent progress events (read with streamEvents, the token in a header). */
  scenarioEvents: (id: number) => `/api/scenarios/${id}/events`,
  scenarioReport: (id: number, lang: string, format: "html" | "pdf") =>
    `/api/scenarios/${id}/report?lang=${lang}&format=${format}`,
  tariff: (cp: string) => `/api/tariffs/effective?charge_point_id=${encodeURIComponent(cp)}`,
  register: "/api/auth/register",
  refresh: "/api/auth/refresh",
  logout: "/api/auth/logout",
  me: "/api/me",
  myTokens: "/api/me/tokens",
  myToken: (id: number) => `/api/me/tokens/${id}`,
  mySessions: (query: string) => `/api/me/sessions${query ? `?${query}` : ""}`,
  mySession: (id: number) => `/api/me/sessions/${id}`,
  myStop: (id: number) => `/api/me/sessions/${id}/stop`,
  myReceipt: (id: number, lang: string) => `/api/me/sessions/${id}/receipt.pdf?lang=${lang}`,
  myCharge: "/api/me/charge",
  myFavourites: "/api/me/favourites",
  myFavourite: (siteId: number) => `/api/me/favourites/${siteId}`,
  myExport: "/api/me/export",
  // The operator cabinet (admins, technicians, partners).
  users: (query = "") => `/api/users${query ? `?${query}` : ""}`,
  user: (id: number) => `/api/users/${id}`,
  operators: "/api/operators",
  operator: (id: number) => `/api/operators/${id}`,
  tariffs: (query = "") => `/api/tariffs${query ? `?${query}` : ""}`,
  tariffById: (id: number) => `/api/tariffs/${id}`,
  tariffVersions: (id: number) => `/api/tariffs/${id}/versions`,
  tariffEffective: (query: string) => `/api/tariffs/effective${query ? `?${query}` : ""}`,
  idTokens: (query = "") => `/id-tokens${query ? `?${query}` : ""}`,
  idToken: (token: string) => `/id-tokens/${encodeURIComponent(token)}`,
  apiKeys: "/api/api-keys",
  apiKey: (id: number) => `/api/api-keys/${id}`,
  audit: (query = "") => `/api/audit${query ? `?${query}` : ""}`,
} as const;

/** A list answer: a bare array, `{data: [...]}` or `{items: [...]}`. */
export function listOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const b = body as { data?: unknown; items?: unknown };
    if (Array.isArray(b.data)) return b.data as T[];
    if (Array.isArray(b.items)) return b.items as T[];
  }
  return [];
}
