/** The route panel as data: its shareable parameters, the API's answer, the map drawing (pure). */

import type { FeatureCollection } from "geojson";
import type { LonLat } from "./measure";

/** A trip end: a typed place/station name, or a point picked on the map. */
export interface RoutePoint {
  text: string;
  lonLat: LonLat | null;
}

export interface RouteParams {
  from: RoutePoint;
  to: RoutePoint;
  vehicle: string;
  /** Percent 0..100. */
  startSoc: number;
  /** Percent 0..100: least SoC on arrival at a charger and at the destination. */
  minSoc: number;
  /** Usable battery kWh overriding the preset's (null: the preset's). */
  batteryKwh: number | null;
}

export const DEFAULT_VEHICLE = "byd_yuan_plus";

export function emptyPoint(): RoutePoint {
  return { text: "", lonLat: null };
}

export function defaultRouteParams(): RouteParams {
  return {
    from: emptyPoint(),
    to: emptyPoint(),
    vehicle: DEFAULT_VEHICLE,
    startSoc: 90,
    minSoc: 10,
    batteryKwh: null,
  };
}

export function pointLabel(p: LonLat): string {
  return `${p[1].toFixed(5)}, ${p[0].toFixed(5)}`;
}

export function pickedPoint(p: LonLat): RoutePoint {
  return { text: pointLabel(p), lonLat: p };
}

function encodePoint(p: RoutePoint): string {
  return p.lonLat ? `${p.lonLat[0].toFixed(5)},${p.lonLat[1].toFixed(5)}` : p.text.trim();
}

function decodePoint(value: string | null): RoutePoint {
  if (!value) return emptyPoint();
  const parts = value.split(",");
  if (parts.length === 2) {
    const lon = Number(parts[0]);
    const lat = Number(parts[1]);
    if (
      parts.every((x) => x.trim() !== "") &&
      Number.isFinite(lon) &&
      Number.isFinite(lat) &&
      Math.abs(lon) <= 180 &&
      Math.abs(lat) <= 90
    ) {
      return pickedPoint([lon, lat]);
    }
  }
  return { text: value.slice(0, 200), lonLat: null };
}

function clampPct(v: number, fallback: number): number {
  return Number.isFinite(v) ? Math.min(100, Math.max(0, Math.round(v))) : fallback;
}

/** Whether both ends are given (a plan can be asked for). */
export function isComplete(p: RouteParams): boolean {
  const given = (x: RoutePoint) => x.lonLat !== null || x.text.trim() !== "";
  return given(p.from) && given(p.to);
}

/** The route part of the URL hash ("" when the panel holds no trip). */
export function encodeRoute(p: RouteParams | null): string {
  if (!p || !isComplete(p)) return "";
  const q = new URLSearchParams();
  q.set("from", encodePoint(p.from));
  q.set("to", encodePoint(p.to));
  q.set("car", p.vehicle);
  q.set("soc", String(p.startSoc));
  q.set("min_soc", String(p.minSoc));
  if (p.batteryKwh !== null) q.set("kwh", String(p.batteryKwh));
  return q.toString();
}

/** Parse the route part of a hash; null when it holds no trip. */
export function decodeRoute(hash: string): RouteParams | null {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  if (!q.has("from") || !q.has("to")) return null;
  const d = defaultRouteParams();
  const car = q.get("car");
  const kwh = Number(q.get("kwh"));
  const p: RouteParams = {
    from: decodePoint(q.get("from")),
    to: decodePoint(q.get("to")),
    vehicle: car && /^[A-Za-z0-9_.-]{1,64}$/.test(car) ? car : d.vehicle,
    startSoc: q.has("soc") ? clampPct(Number(q.get("soc")), d.startSoc) : d.startSoc,
    minSoc: q.has("min_soc") ? clampPct(Number(q.get("min_soc")), d.minSoc) : d.minSoc,
    batteryKwh: q.has("kwh") && Number.isFinite(kwh) && kwh > 0 && kwh <= 1000 ? kwh : null,
  };
  return isComplete(p) ? p : null;
}

/** Join the map state's hash and the route's ("a=1" + "b=2" -> "a=1&b=2"). */
export function joinHash(...parts: string[]): string {
  return parts.filter((x) => x !== "").join("&");
}

function pointBody(p: RoutePoint): { lon: number; lat: number } | { place: string } {
  return p.lonLat ? { lon: p.lonLat[0], lat: p.lonLat[1] } : { place: p.text.trim() };
}

/** The body of `POST /api/route`. */
export function routeRequest(p: RouteParams): Record<string, unknown> {
  const vehicle: Record<string, unknown> = { preset: p.vehicle };
  if (p.batteryKwh !== null) vehicle.battery_kwh = p.batteryKwh;
  return {
    origin: pointBody(p.from),
    destination: pointBody(p.to),
    vehicle,
    start_soc: p.startSoc / 100,
    min_soc_stop: p.minSoc / 100,
    min_soc_arrival: p.minSoc / 100,
  };
}

// The answer of `POST /api/route` (app/schemas/route.py).
export interface ResolvedPoint {
  name: string;
  lon: number;
  lat: number;
}

export interface RouteStop {
  station_id: string;
  name: string;
  lon: number;
  lat: number;
  connector_type: string;
  power_kw: number;
  arrival_soc: number;
  departure_soc: number;
  charging_min: number;
  wait_min: number;
  energy_kwh: number;
  cost_uzs: number;
  busy: boolean;
}

export interface RouteSummary {
  length_km: number;
  drive_min: number;
  charging_min: number;
  wait_min: number;
  total_min: number;
  energy_kwh: number;
  cost_uzs: number;
  arrival_soc: number;
  stops: number;
}

export interface RouteSite {
  id: string;
  name: string;
  kind: "planned" | "candidate";
  lon: number;
  lat: number;
  year: number | null;
  power_kw: number | null;
  alone_makes_possible: boolean | null;
}

export interface RouteGap {
  from_name: string;
  to_name: string;
  from_lon: number;
  from_lat: number;
  to_lon: number;
  to_lat: number;
  length_km: number;
  range_km: number;
}

export interface RouteImpossible {
  reason: string;
  gap: RouteGap | null;
  sites: RouteSite[];
  possible_with_all_sites: boolean;
}

export interface RouteResult {
  feasible: boolean;
  vehicle_id: string;
  origin: ResolvedPoint;
  destination: ResolvedPoint;
  summary: RouteSummary | null;
  stops: RouteStop[];
  geometry: { type: "LineString"; coordinates: number[][] } | null;
  impossible: RouteImpossible | null;
  notes: string[];
}

export interface VehiclePreset {
  id: string;
  name: string;
  battery_kwh: number;
}

export interface GeocodeMatch {
  kind: "city" | "station";
  id: string;
  name: string;
  lon: number;
  lat: number;
  region: string | null;
}

/**
 * What the map draws: the route line ("route"), the stretch without a charger ("gap"),
 * the ends ("end"), numbered stops ("stop") and suggested sites ("planned"/"candidate").
 */
export function routeFeatures(r: RouteResult | null): FeatureCollection {
  const fc: FeatureCollection = { type: "FeatureCollection", features: [] };
  if (!r) return fc;
  const point = (lon: number, lat: number, props: Record<string, unknown>) =>
    fc.features.push({
      type: "Feature",
      properties: props,
      geometry: { type: "Point", coordinates: [lon, lat] },
    });
  if (r.geometry) {
    fc.features.push({
      type: "Feature",
      properties: { kind: "route" },
      geometry: { type: "LineString", coordinates: r.geometry.coordinates },
    });
  }
  const gap = r.impossible?.gap;
  if (gap) {
    fc.features.push({
      type: "Feature",
      properties: { kind: "gap" },
      geometry: {
        type: "LineString",
        coordinates: [
          [gap.from_lon, gap.from_lat],
          [gap.to_lon, gap.to_lat],
        ],
      },
    });
  }
  point(r.origin.lon, r.origin.lat, { kind: "end", label: "A" });
  point(r.destination.lon, r.destination.lat, { kind: "end", label: "B" });
  r.stops.forEach((s, i) => {
    point(s.lon, s.lat, { kind: "stop", label: String(i + 1), name: s.name });
  });
  for (const s of r.impossible?.sites ?? []) {
    point(s.lon, s.lat, { kind: s.kind, label: "", name: s.name });
  }
  return fc;
}

/** Bounds of everything drawn, for fitting the map. */
export function routeBounds(fc: FeatureCollection): [number, number, number, number] | null {
  let b: [number, number, number, number] | null = null;
  const add = (c: number[]) => {
    const [x, y] = c;
    if (x === undefined || y === undefined) return;
    b = b
      ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)]
      : [x, y, x, y];
  };
  for (const f of fc.features) {
    if (f.geometry.type === "Point") add(f.geometry.coordinates);
    else if (f.geometry.type === "LineString") f.geometry.coordinates.forEach(add);
  }
  return b;
}

/** Whole hours and minutes of a duration in minutes. */
export function hoursMinutes(minutes: number): { h: number; m: number } {
  const total = Math.max(0, Math.round(minutes));
  return { h: Math.floor(total / 60), m: total % 60 };
}
