/** Planning scenarios on the map: the API's shapes, the shareable selection, colour scales (pure). */

import type { FeatureCollection } from "geojson";
import type { ExpressionSpecification } from "maplibre-gl";

export const SCENARIO_LAYERS = ["cells", "candidates", "corridors"] as const;
export type ScenarioLayer = (typeof SCENARIO_LAYERS)[number];

/** What colours the H3 cells. */
export type CellMetric = "demand" | "distance";

export type ScenarioStatus = "created" | "running" | "done" | "failed" | "cancelled";

/** One saved scenario (app/schemas/scenarios.py ScenarioPublic). */
export interface Scenario {
  id: number;
  name: string;
  kind: string;
  status: ScenarioStatus;
  params: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

/** The selection a shared link restores. */
export interface ScenarioSelection {
  id: number | null;
  metric: CellMetric;
}

export function defaultScenarioSelection(): ScenarioSelection {
  return { id: null, metric: "demand" };
}

/** The scenario part of the hash ("" when none is selected). */
export function encodeScenario(s: ScenarioSelection): string {
  if (s.id === null) return "";
  const q = new URLSearchParams();
  q.set("scn", String(s.id));
  if (s.metric !== "demand") q.set("scn_by", s.metric);
  return q.toString();
}

export function decodeScenario(hash: string): ScenarioSelection {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const id = Number(q.get("scn"));
  return {
    id: q.has("scn") && Number.isInteger(id) && id > 0 ? id : null,
    metric: q.get("scn_by") === "distance" ? "distance" : "demand",
  };
}

export function scenarioResolution(s: Scenario): number | null {
  const r = s.params.resolution;
  return typeof r === "number" ? r : null;
}

export function scenarioRegion(s: Scenario): string | null {
  const r = s.params.region;
  return typeof r === "string" ? r : null;
}

/** The result layers as drawn (each a FeatureCollection; empty until loaded). */
export interface ScenarioDrawing {
  cells: FeatureCollection;
  candidates: FeatureCollection;
  corridors: FeatureCollection;
}

export function emptyCollection(): FeatureCollection {
  return { type: "FeatureCollection", features: [] };
}

/** Colour ramps: stops [value, colour], read by the style and the legend alike. */
export const DEMAND_STOPS: [number, string][] = [
  [0, "#ffffcc"],
  [10, "#ffeda0"],
  [50, "#feb24c"],
  [200, "#fc4e2a"],
  [1000, "#bd0026"],
  [5000, "#49006a"],
];

/** Distance to the nearest charger, km. */
export const DISTANCE_STOPS: [number, string][] = [
  [0, "#1a9641"],
  [5, "#a6d96a"],
  [15, "#ffffbf"],
  [30, "#fdae61"],
  [60, "#d7191c"],
];

export const SCENARIO_COLORS = {
  candidate: "#6b7280",
  selected: "#2563eb",
  gap: "#d7191c",
  proposed: "#7b3294",
  noData: "#bdbdbd",
} as const;

export function metricStops(metric: CellMetric): [number, string][] {
  return metric === "demand" ? DEMAND_STOPS : DISTANCE_STOPS;
}

/** The fill colour of a cell for the metric (distance_m may be null: no charger reachable). */
export function cellColor(metric: CellMetric): ExpressionSpecification {
  const value: ExpressionSpecification =
    metric === "demand"
      ? ["to-number", ["coalesce", ["get", "demand_kwh_day"], 0]]
      : ["/", ["to-number", ["get", "distance_m"]], 1000];
  const ramp: unknown[] = ["interpolate", ["linear"], value];
  for (const [v, c] of metricStops(metric)) ramp.push(v, c);
  if (metric === "demand") return ramp as ExpressionSpecification;
  return [
    "case",
    ["==", ["get", "distance_m"], null],
    SCENARIO_COLORS.noData,
    ramp as ExpressionSpecification,
  ];
}

/** One candidate's score breakdown as [component, value] rows (nulls dropped). */
export function breakdownRows(raw: unknown): [string, number][] {
  let obj: unknown = raw;
  if (typeof raw === "string") {
    try {
      obj = JSON.parse(raw);
    } catch {
      return [];
    }
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return [];
  return Object.entries(obj as Record<string, unknown>).filter(
    (e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]),
  );
}

/** Reasons stored with a candidate (JSON list of strings). */
export function reasonsOf(raw: unknown): string[] {
  let v: unknown = raw;
  if (typeof raw === "string") {
    try {
      v = JSON.parse(raw);
    } catch {
      return [];
    }
  }
  return Array.isArray(v) ? v.map(String) : [];
}

/** The bounding box of a drawing, or null when empty. */
export function drawingBounds(d: ScenarioDrawing): [number, number, number, number] | null {
  let minx = Infinity;
  let miny = Infinity;
  let maxx = -Infinity;
  let maxy = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number") {
      minx = Math.min(minx, c[0]);
      maxx = Math.max(maxx, c[0]);
      miny = Math.min(miny, c[1]);
      maxy = Math.max(maxy, c[1]);
    } else if (Array.isArray(c)) for (const x of c) visit(x);
  };
  for (const fc of [d.cells, d.candidates, d.corridors]) {
    for (const f of fc.features) {
      if (f.geometry && "coordinates" in f.geometry) visit(f.geometry.coordinates);
    }
  }
  return Number.isFinite(minx) ? [minx, miny, maxx, maxy] : null;
}

// ---------------------------------------------------------------- new scenarios and runs

export const RULE_NAMES = ["afir", "nevi", "uz"] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** One parameter of a new scenario (GET /api/scenarios/defaults). */
export interface ParameterInfo {
  name: string;
  unit: string;
  default: number | null;
  minimum: number | null;
  maximum: number | null;
  exclusive_minimum: boolean;
  integer: boolean;
  optional: boolean;
  description: string | null;
}

export interface RuleInfo {
  name: RuleName;
  max_gap_km: number;
  max_offset_km: number;
  min_pool_kw: number;
  min_points: number;
  min_point_kw: number;
}

export interface ScenarioDefaults {
  parameters: ParameterInfo[];
  rules: RuleInfo[];
  default_rules: RuleName[];
}

/** Parameters the form lays out itself; the others are listed generically. */
export const FORM_SPECIAL_PARAMS = ["resolution", "n_sites", "budget_uzs"] as const;

/** The planner's form as typed (numbers stay text until sent). */
export interface ScenarioForm {
  name: string;
  /** ISO 3166-2 code; "" is the whole country. */
  region: string;
  /** "sites": choose N sites; "budget": spend at most the budget. */
  target: "sites" | "budget";
  rules: RuleName[];
  /** Every numeric parameter by name, as typed. */
  values: Record<string, string>;
}

export function defaultForm(d: ScenarioDefaults): ScenarioForm {
  const values: Record<string, string> = {};
  for (const p of d.parameters) values[p.name] = p.default === null ? "" : String(p.default);
  const budget = d.parameters.find((p) => p.name === "budget_uzs");
  return {
    name: "",
    region: "",
    target: budget && budget.default !== null ? "budget" : "sites",
    rules: [...d.default_rules],
    values,
  };
}

/** A typed number: "" → null, "1 000,5" → 1000.5; text that is no number is kept
 * as it is, so that the server names the field. */
export function parseNumber(text: string): number | string | null {
  const s = text.trim().replace(/[\s\u00a0\u202f']/g, "");
  if (s === "") return null;
  const n = Number(s.replace(",", "."));
  return Number.isFinite(n) ? n : text.trim();
}

/** The body of POST /api/scenarios for the form: empty optional fields are null,
 * empty required ones are left out (the server's default applies). */
export function scenarioBody(form: ScenarioForm, d: ScenarioDefaults): Record<string, unknown> {
  const body: Record<string, unknown> = { name: form.name.trim() };
  if (form.region) body.region = form.region;
  for (const p of d.parameters) {
    if (p.name === "n_sites" && form.target !== "sites") continue;
    if (p.name === "budget_uzs" && form.target !== "budget") continue;
    const v = parseNumber(form.values[p.name] ?? "");
    if (v === null) {
      if (p.optional) body[p.name] = null;
    } else body[p.name] = v;
  }
  if (form.target === "budget") body.n_sites = null;
  else body.budget_uzs = null;
  body.rules = RULE_NAMES.filter((r) => form.rules.includes(r));
  return body;
}

/** One problem the server found, attached to a field when it names one. */
export interface FieldError {
  field: string | null;
  code: string;
  message: string;
}

/** Split an error answer `{detail, code}` into per-field messages: the API writes
 * `field: message` (several joined with "; " for invalid input). */
export function fieldErrors(code: string, detail: string): FieldError[] {
  const parts = code === "invalid_input" ? detail.split("; ") : [detail];
  return parts
    .filter((p) => p.trim() !== "")
    .map((p) => {
      const m = /^([A-Za-z_][\w.]*): (.+)$/s.exec(p);
      return m
        ? { field: m[1] ?? null, code, message: m[2] ?? p }
        : { field: null, code, message: p };
    });
}

/** The form field a server field belongs to ("weights.grid" → "weights"). */
export function formField(field: string | null): string | null {
  if (field === null) return null;
  const top = field.split(".")[0] ?? field;
  return top === "uz_rule" ? "rules" : top;
}

/** Progress of a run (app/schemas/scenarios.py ProgressPublic). */
export interface Progress {
  scenario_id: number;
  status: ScenarioStatus;
  stage: string;
  done: number;
  total: number;
}

export const FINAL_STATUSES: readonly ScenarioStatus[] = ["done", "failed", "cancelled"];

export function isFinal(status: ScenarioStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Share of the run done, 0..1 (a finished run is full, a failed one keeps its place). */
export function progressShare(p: Progress): number {
  if (p.status === "done") return 1;
  if (!(p.total > 0) || !Number.isFinite(p.done)) return 0;
  return Math.min(1, Math.max(0, p.done / p.total));
}

const STATUSES: readonly ScenarioStatus[] = ["created", "running", "done", "failed", "cancelled"];

/** One `progress` event's data, or null when it is not one. */
export function parseProgress(data: string): Progress | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (
    typeof o.scenario_id !== "number" ||
    typeof o.status !== "string" ||
    !STATUSES.includes(o.status as ScenarioStatus) ||
    typeof o.stage !== "string" ||
    typeof o.done !== "number" ||
    typeof o.total !== "number"
  ) {
    return null;
  }
  return {
    scenario_id: o.scenario_id,
    status: o.status as ScenarioStatus,
    stage: o.stage,
    done: o.done,
    total: o.total,
  };
}

/** The selected sites by score rank (best first), for the list beside the map. */
export function rankedSites(fc: FeatureCollection, limit = 10): Record<string, unknown>[] {
  const rankOf = (p: Record<string, unknown>) => {
    const r = typeof p.rank === "number" ? p.rank : Number(p.rank);
    return Number.isFinite(r) ? r : Number.POSITIVE_INFINITY;
  };
  return fc.features
    .map((f) => (f.properties ?? {}) as Record<string, unknown>)
    .filter((p) => p.selected === true || p.selected === "true")
    .sort((a, b) => rankOf(a) - rankOf(b) || 0)
    .slice(0, limit);
}
