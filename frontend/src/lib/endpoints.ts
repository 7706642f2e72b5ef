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
  scenarioExport: (id: number, layer: string) =>
    `/api/scenarios/${id}/export?layer=${layer}&format=geojson`,
  scenarioReport: (id: number, lang: string, format: "html" | "pdf") =>
    `/api/scenarios/${id}/report?lang=${lang}&format=${format}`,
  tariff: (cp: string) => `/api/tariffs/effective?charge_point_id=${encodeURIComponent(cp)}`,
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
