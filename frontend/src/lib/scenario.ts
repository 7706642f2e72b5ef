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
