/** The operator cabinet (inside /cabinet): API shapes of users, operators, tariffs, tokens,
 * API keys and the audit log; which roles see which tab; tariff form → API payload (pure). */

import { ApiError } from "./api";
import { type ErrorView, errorView } from "./cabinet";

export type Role = "admin" | "technician" | "client" | "partner";
export const ROLES: readonly Role[] = ["admin", "technician", "partner", "client"];
/** Roles that belong to operators (the API refuses operators for the others). */
export const ORG_ROLES: readonly Role[] = ["technician", "partner"];

export interface UserRow {
  id: number;
  email: string | null;
  phone: string | null;
  full_name: string | null;
  role: Role;
  operator_ids: number[];
  is_active: boolean;
  created_at: string;
}

export interface OperatorRow {
  id: number;
  name: string;
  source: string;
  site_count: number;
}

export const CONNECTOR_TYPES = ["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/** One tariff version; money in whole so'm (int), VAT included. */
export interface TariffRow {
  id: number;
  version: number;
  name: string;
  operator_id: number | null;
  site_id: number | null;
  connector_type: ConnectorType | null;
  power_min_kw: string | null;
  power_max_kw: string | null;
  valid_from: string;
  valid_to: string | null;
  energy_uzs_per_kwh: number;
  time_uzs_per_min: number;
  session_fee_uzs: number;
  idle_uzs_per_min: number;
  idle_grace_min: number;
  vat_percent: string;
  night_start: string | null;
  night_end: string | null;
  night_energy_uzs_per_kwh: number | null;
  night_time_uzs_per_min: number | null;
  timezone: string;
}

export interface IdTokenRow {
  id: number;
  token: string;
  token_type: string;
  status: "Accepted" | "Blocked" | "Expired" | "Invalid" | string;
  expires_at: string | null;
  parent_id_tag: string | null;
}

export interface ApiKeyRow {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated extends ApiKeyRow {
  key: string;
}

export const API_KEY_SCOPES = [
  "stations:read",
  "sessions:read",
  "tariffs:read",
  "operators:read",
] as const;

export interface AuditRow {
  id: number;
  actor: string;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  at: string;
}

// ------------------------------------------------------------------ tabs by role

export const OPERATOR_TABS = ["users", "operators", "tariffs", "tokens", "audit"] as const;
export type OperatorTab = (typeof OPERATOR_TABS)[number];

/** Who may use a tab: the roles the API accepts for its requests. */
const TAB_ROLES: Record<OperatorTab, readonly Role[]> = {
  users: ["admin"], // /api/users
  operators: ["admin", "technician", "partner"], // GET /api/operators
  tariffs: ["admin", "technician", "partner"], // GET /api/tariffs
  tokens: ["admin", "partner"], // /id-tokens (admin), /api/api-keys (admin, partner)
  audit: ["admin"], // /api/audit
};

export function operatorTabsFor(role: string | null | undefined): OperatorTab[] {
  return OPERATOR_TABS.filter((tab) => (TAB_ROLES[tab] as readonly string[]).includes(role ?? ""));
}

export function isOperatorTab(value: unknown): value is OperatorTab {
  return typeof value === "string" && (OPERATOR_TABS as readonly string[]).includes(value);
}

/** Whether a signed-in role has an operator area at all (clients do not). */
export function hasOperatorArea(role: string | null | undefined): boolean {
  return operatorTabsFor(role).length > 0;
}

// ------------------------------------------------------------------ errors

/** Error codes the operator area explains (`operator.error.<code>`); the rest fall back to
 * the cabinet's explanations (weak password, duplicate e-mail, +998 phone, …). */
export const OPERATOR_ERRORS = [
  "role_escalation",
  "self_demotion",
  "self_delete",
  "operator_membership_role",
  "unknown_operator",
  "invalid_role",
  "tariff_overlap",
  "negative_price",
  "invalid_period",
  "night_band",
  "power_class",
  "scope_change",
  "tariff_in_use",
  "operator_in_use",
  "no_tariff",
  "invalid_input",
  "invalid_scope",
  "invalid_expiry",
  "not_a_partner",
  "id_token_exists",
  "forbidden_role",
  "not_found",
] as const;

export interface OperatorErrorView {
  key: string | null;
  detail: string;
}

export function operatorErrorView(e: unknown): OperatorErrorView {
  // The request model refuses a negative price before the service does (same meaning).
  if (
    e instanceof ApiError &&
    e.code === "invalid_input" &&
    /_uzs_\w*: Input should be greater than or equal to 0/.test(e.detail)
  ) {
    return { key: "operator.error.negative_price", detail: e.detail };
  }
  if (e instanceof ApiError && (OPERATOR_ERRORS as readonly string[]).includes(e.code)) {
    return { key: `operator.error.${e.code}`, detail: e.detail };
  }
  const v: ErrorView = errorView(e);
  return { key: v.key, detail: v.detail };
}

// ------------------------------------------------------------------ money and time

/** Whole so'm typed by a person ("12 500", "12500", "-5") as an integer; a fraction or
 * anything else is null. Negative numbers pass: the server says why they are refused. */
export function parseSom(text: string): number | null {
  const s = text.replace(/[\s\u00a0\u202f'’_]/g, "");
  if (!/^-?\d{1,9}$/.test(s)) return null;
  return Number.parseInt(s, 10);
}

/** A `datetime-local` value ("2026-12-07T10:00") as an instant in Tashkent (UTC+5, no DST). */
export function tashkentInstant(local: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(local.trim());
  if (!m) return null;
  return `${m[1]}T${m[2]}${m[3] ?? ":00"}+05:00`;
}

/** An instant as a `datetime-local` value in Tashkent time (for prefilled forms). */
export function tashkentLocal(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() + 5 * 3600_000).toISOString().slice(0, 16);
}

// ------------------------------------------------------------------ tariff form

/** The tariff form as typed (all strings; empty = not set). */
export interface TariffForm {
  name: string;
  operatorId: string;
  connectorType: string;
  powerMinKw: string;
  powerMaxKw: string;
  validFrom: string;
  validTo: string;
  energy: string;
  perMinute: string;
  sessionFee: string;
  idle: string;
  idleGrace: string;
  vat: string;
  nightStart: string;
  nightEnd: string;
  nightEnergy: string;
  nightPerMinute: string;
}

export const EMPTY_TARIFF_FORM: TariffForm = {
  name: "",
  operatorId: "",
  connectorType: "",
  powerMinKw: "",
  powerMaxKw: "",
  validFrom: "",
  validTo: "",
  energy: "",
  perMinute: "",
  sessionFee: "",
  idle: "",
  idleGrace: "",
  vat: "12",
  nightStart: "",
  nightEnd: "",
  nightEnergy: "",
  nightPerMinute: "",
};

/** A new version starts from the current one's prices. */
export function formFromTariff(t: TariffRow): TariffForm {
  const som = (v: number | null) => (v === null ? "" : String(v));
  return {
    name: t.name,
    operatorId: t.operator_id === null ? "" : String(t.operator_id),
    connectorType: t.connector_type ?? "",
    powerMinKw: t.power_min_kw ?? "",
    powerMaxKw: t.power_max_kw ?? "",
    validFrom: "",
    validTo: "",
    energy: som(t.energy_uzs_per_kwh),
    perMinute: som(t.time_uzs_per_min),
    sessionFee: som(t.session_fee_uzs),
    idle: som(t.idle_uzs_per_min),
    idleGrace: som(t.idle_grace_min),
    vat: String(t.vat_percent),
    nightStart: t.night_start ? t.night_start.slice(0, 5) : "",
    nightEnd: t.night_end ? t.night_end.slice(0, 5) : "",
    nightEnergy: som(t.night_energy_uzs_per_kwh),
    nightPerMinute: som(t.night_time_uzs_per_min),
  };
}

/** Which field is wrong and why (a translation key under `operator.tariffs.invalid.`). */
export interface FormProblem {
  field: keyof TariffForm;
  problem: "required" | "wholeSom" | "date" | "percent" | "kw";
}

export type PayloadResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; problems: FormProblem[] };

const MONEY_FIELDS: [keyof TariffForm, string][] = [
  ["energy", "energy_uzs_per_kwh"],
  ["perMinute", "time_uzs_per_min"],
  ["sessionFee", "session_fee_uzs"],
  ["idle", "idle_uzs_per_min"],
  ["idleGrace", "idle_grace_min"],
];

function prices(form: TariffForm, problems: FormProblem[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, key] of MONEY_FIELDS) {
    const text = form[field].trim();
    if (text === "") {
      body[key] = 0;
      continue;
    }
    const v = parseSom(text);
    if (v === null) problems.push({ field, problem: "wholeSom" });
    else body[key] = v;
  }
  const vat = form.vat.trim() || "0";
  if (!/^-?\d{1,3}([.,]\d{1,2})?$/.test(vat)) problems.push({ field: "vat", problem: "percent" });
  else body.vat_percent = vat.replace(",", ".");
  const night = form.nightStart.trim() !== "" || form.nightEnd.trim() !== "";
  body.night_start = form.nightStart.trim() || null;
  body.night_end = form.nightEnd.trim() || null;
  for (const [field, key] of [
    ["nightEnergy", "night_energy_uzs_per_kwh"],
    ["nightPerMinute", "night_time_uzs_per_min"],
  ] as [keyof TariffForm, string][]) {
    const text = form[field].trim();
    if (text === "" || !night) {
      body[key] = null;
      continue;
    }
    const v = parseSom(text);
    if (v === null) problems.push({ field, problem: "wholeSom" });
    else body[key] = v;
  }
  return body;
}

function period(form: TariffForm, problems: FormProblem[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const from = tashkentInstant(form.validFrom);
  if (!form.validFrom.trim()) problems.push({ field: "validFrom", problem: "required" });
  else if (from === null) problems.push({ field: "validFrom", problem: "date" });
  else body.valid_from = from;
  if (form.validTo.trim()) {
    const to = tashkentInstant(form.validTo);
    if (to === null) problems.push({ field: "validTo", problem: "date" });
    else body.valid_to = to;
  } else body.valid_to = null;
  return body;
}

/** `POST /api/tariffs`: a new tariff (scope, period and prices). Money is sent as integers,
 * VAT and power as decimal strings: never floats. */
export function tariffPayload(form: TariffForm): PayloadResult {
  const problems: FormProblem[] = [];
  const name = form.name.trim();
  if (!name) problems.push({ field: "name", problem: "required" });
  const body: Record<string, unknown> = {
    name,
    operator_id: form.operatorId ? Number.parseInt(form.operatorId, 10) : null,
    connector_type: form.connectorType || null,
    ...period(form, problems),
    ...prices(form, problems),
  };
  for (const [field, key] of [
    ["powerMinKw", "power_min_kw"],
    ["powerMaxKw", "power_max_kw"],
  ] as [keyof TariffForm, string][]) {
    const text = form[field].trim().replace(",", ".");
    if (!text) body[key] = null;
    else if (!/^\d{1,4}(\.\d{1,2})?$/.test(text)) problems.push({ field, problem: "kw" });
    else body[key] = text;
  }
  return problems.length ? { ok: false, problems } : { ok: true, body };
}

/** `POST /api/tariffs/{id}/versions`: the same scope from `valid_from` with these prices. */
export function versionPayload(form: TariffForm): PayloadResult {
  const problems: FormProblem[] = [];
  const name = form.name.trim();
  const body: Record<string, unknown> = {
    ...(name ? { name } : {}),
    ...period(form, problems),
    ...prices(form, problems),
  };
  return problems.length ? { ok: false, problems } : { ok: true, body };
}

// ------------------------------------------------------------------ tariff versions

/** The versions of one tariff: the same operator, site, connector type and power class. */
export interface TariffGroup {
  key: string;
  operatorId: number | null;
  siteId: number | null;
  connectorType: ConnectorType | null;
  powerMinKw: string | null;
  powerMaxKw: string | null;
  /** Oldest first. */
  versions: TariffRow[];
}

export function scopeKey(t: TariffRow): string {
  return [t.operator_id, t.site_id, t.connector_type, t.power_min_kw, t.power_max_kw]
    .map((v) => (v === null ? "-" : String(v)))
    .join("|");
}

export function groupTariffs(rows: TariffRow[]): TariffGroup[] {
  const groups = new Map<string, TariffGroup>();
  for (const t of rows) {
    const key = scopeKey(t);
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        operatorId: t.operator_id,
        siteId: t.site_id,
        connectorType: t.connector_type,
        powerMinKw: t.power_min_kw,
        powerMaxKw: t.power_max_kw,
        versions: [],
      };
      groups.set(key, g);
    }
    g.versions.push(t);
  }
  for (const g of groups.values()) {
    g.versions.sort((a, b) => Date.parse(a.valid_from) - Date.parse(b.valid_from) || a.id - b.id);
  }
  return [...groups.values()];
}

/** Whether a version is in effect at `now`, ahead, or over. */
export function versionState(t: TariffRow, now: Date): "current" | "future" | "past" {
  if (Date.parse(t.valid_from) > now.getTime()) return "future";
  if (t.valid_to !== null && Date.parse(t.valid_to) <= now.getTime()) return "past";
  return "current";
}

/** Query of `GET /api/tariffs/effective` for a preview (operator, connector type, time). */
export function effectiveQuery(p: {
  operatorId: string;
  connectorType: string;
  powerKw: string;
  at: string;
}): string | null {
  const q = new URLSearchParams();
  if (p.operatorId) q.set("operator_id", p.operatorId);
  if (p.connectorType) q.set("connector_type", p.connectorType);
  const kw = p.powerKw.trim().replace(",", ".");
  if (kw) {
    if (!/^\d{1,4}(\.\d{1,2})?$/.test(kw)) return null;
    q.set("power_kw", kw);
  }
  if (p.at.trim()) {
    const at = tashkentInstant(p.at);
    if (at === null) return null;
    q.set("at", at);
  }
  return q.toString();
}

// ------------------------------------------------------------------ audit

/** Fields whose values differ between before and after (both sides as JSON text). */
export function auditChanges(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): { field: string; before: string | null; after: string | null }[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const show = (o: Record<string, unknown> | null, k: string) =>
    o && k in o ? JSON.stringify(o[k]) : null;
  const out: { field: string; before: string | null; after: string | null }[] = [];
  for (const k of [...keys].sort()) {
    if (k === "updated_at" || k === "created_at") continue;
    const b = show(before, k);
    const a = show(after, k);
    if (b !== a) out.push({ field: k, before: b, after: a });
  }
  return out;
}

/** "user:5" → the account's e-mail when known; other actors as they are. */
export function actorLabel(actor: string, users: Map<number, UserRow>): string {
  const m = /^user:(\d+)$/.exec(actor);
  if (!m) return actor;
  const u = users.get(Number(m[1]));
  return u ? (u.email ?? u.phone ?? actor) : actor;
}
