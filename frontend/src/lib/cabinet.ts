/** The driver's cabinet: API shapes of `/api/me/*` and pure helpers (queries, errors). */

import {
  ApiError,
  apiBlob,
  apiFetch,
  getRefreshToken,
  jsonRequest,
  setRefreshToken,
  setToken,
  type TokenAnswer,
} from "./api";
import { ENDPOINTS } from "./endpoints";

export interface MyToken {
  id: number;
  token: string;
  token_type: string;
  status: string;
  expires_at: string | null;
  created_at: string;
}

/** One own session; money is whole so'm (int), energy whole Wh. */
export interface OwnSession {
  id: number;
  charge_point_id: string;
  evse_id: number | null;
  connector_id: number | null;
  site_id: number | null;
  site_name: string | null;
  status: "active" | "completed" | string;
  started_at: string;
  stopped_at: string | null;
  energy_wh: number;
  cost_uzs: number;
  price: { final: boolean; total_uzs: number; vat_uzs: number };
}

export interface Favourite {
  id: number;
  name: string;
  address: string | null;
  city: string | null;
  operator_id: number | null;
}

export interface Me {
  id: number;
  email: string | null;
  phone: string | null;
  full_name: string | null;
  role: string;
}

export const CABINET_TABS = ["charge", "sessions", "tokens", "favourites", "data"] as const;
export type CabinetTab = (typeof CABINET_TABS)[number];

export function isCabinetTab(value: unknown): value is CabinetTab {
  return typeof value === "string" && (CABINET_TABS as readonly string[]).includes(value);
}

/** Error codes of the API that the cabinet explains in the driver's language
 * (`cabinet.error.<code>`); any other error shows the server's own text. */
export const KNOWN_ERRORS = [
  "weak_password",
  "duplicate_email",
  "duplicate_phone",
  "invalid_email",
  "invalid_phone",
  "bad_credentials",
  "login_throttled",
  "invalid_uid",
  "missing_uid",
  "token_taken",
  "no_usable_token",
  "token_unusable",
  "charge_point_offline",
  "charge_point_not_found",
  "start_rejected",
  "stop_rejected",
  "session_stopped",
  "forbidden_role",
  "network_error",
] as const;
export type KnownError = (typeof KNOWN_ERRORS)[number];

export interface ErrorView {
  /** The translation key of the explanation, or null: show `detail` alone. */
  key: `cabinet.error.${KnownError}` | null;
  /** The server's message (what exactly is wrong). */
  detail: string;
}

export function errorView(e: unknown): ErrorView {
  if (e instanceof ApiError) {
    const known = (KNOWN_ERRORS as readonly string[]).includes(e.code);
    return {
      key: known ? (`cabinet.error.${e.code}` as ErrorView["key"]) : null,
      detail: e.detail,
    };
  }
  return { key: null, detail: e instanceof Error ? e.message : String(e) };
}

/** The access token is gone or expired: the driver must sign in again. */
export function isSignedOut(e: unknown): boolean {
  return (
    e instanceof ApiError &&
    e.status === 401 &&
    (e.code === "invalid_token" || e.code === "not_authenticated")
  );
}

/** A `catch` for what a form sends: a signed-out caller goes to `signedOut` (the cabinet
 * asks to sign in again), any other error to `shown` (shown under the form). */
export function signedOutOr(
  signedOut: (e: unknown) => void,
  shown: (e: unknown) => void,
): (e: unknown) => void {
  return (e) => (isSignedOut(e) ? signedOut(e) : shown(e));
}

/** The translation key of a token's kind: an app token ("Central") or an RFID card. */
export function tokenKindKey(tokenType: string): "cabinet.tokens.app" | "cabinet.tokens.rfid" {
  return tokenType === "Central" ? "cabinet.tokens.app" : "cabinet.tokens.rfid";
}

/** Start of a Tashkent calendar day (UTC+5, no daylight saving) as an ISO instant. */
export function tashkentDayStart(day: string): string {
  return `${day}T00:00:00+05:00`;
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Query of `/api/me/sessions`: sessions started on the days `from`..`to` (inclusive,
 * Tashkent days, "YYYY-MM-DD" or ""), optionally only running or finished ones. */
export function sessionsQuery(f: {
  from?: string;
  to?: string;
  status?: "active" | "completed";
  chargePointId?: string;
  limit?: number;
}): string {
  const q = new URLSearchParams();
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (f.from && day.test(f.from)) q.set("since", tashkentDayStart(f.from));
  if (f.to && day.test(f.to)) q.set("until", tashkentDayStart(nextDay(f.to)));
  if (f.status) q.set("status", f.status);
  if (f.chargePointId) q.set("charge_point_id", f.chargePointId);
  q.set("limit", String(f.limit ?? 100));
  return q.toString();
}

/** Keep the new pair of tokens (after a login or a refresh). */
export function storeTokens(a: TokenAnswer | null): void {
  setToken(a ? a.access_token : null);
  setRefreshToken(a ? a.refresh_token : null);
}

let refreshing: Promise<boolean> | null = null;

/** Spend the stored refresh token for a new pair (once, shared by parallel calls). */
function refreshTokens(): Promise<boolean> {
  const stored = getRefreshToken();
  if (!stored) return Promise.resolve(false);
  refreshing ??= apiFetch<TokenAnswer>(ENDPOINTS.refresh, {
    ...jsonRequest("POST", { refresh_token: stored }),
    anonymous: true,
  })
    .then((a) => {
      storeTokens(a);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function withRefresh<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (isSignedOut(e) && (await refreshTokens())) return call();
    throw e;
  }
}

/** `apiFetch` for the cabinet: an expired access token is renewed once, then retried. */
export function meFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  return withRefresh(() => apiFetch<T>(path, init));
}

export function meBlob(path: string): Promise<Blob> {
  return withRefresh(() => apiBlob(path));
}
