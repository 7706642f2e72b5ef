/** The app state that a shared link restores: view, layers, filters, year, 3D (pure). */

import { CONNECTOR_TYPES, type ConnectorType, isStationStatus, type StationStatus } from "./status";

export const LAYER_IDS = [
  "stations",
  "planned",
  "candidates",
  "h3",
  "substations",
  "grid_lines",
  "parcels",
  "roads",
  "districts",
  "regions",
  "cities",
] as const;
export type LayerId = (typeof LAYER_IDS)[number];

export interface LayerSetting {
  visible: boolean;
  /** 0..1 */
  opacity: number;
}

export interface Filters {
  status: StationStatus[];
  connector: ConnectorType | null;
  minPowerKw: number | null;
  operator: string | null;
  region: string | null;
  q: string;
}

export interface View {
  lon: number;
  lat: number;
  zoom: number;
  bearing: number;
  pitch: number;
}

export interface AppState {
  view: View;
  layers: Record<LayerId, LayerSetting>;
  filters: Filters;
  year: number;
  mode3d: boolean;
}

export const YEAR_MIN = 2025;
export const YEAR_MAX = 2035;

/** Uzbekistan, whole. */
export const HOME_VIEW: View = { lon: 64.5, lat: 41.4, zoom: 5.2, bearing: 0, pitch: 0 };

export const EMPTY_FILTERS: Filters = {
  status: [],
  connector: null,
  minPowerKw: null,
  operator: null,
  region: null,
  q: "",
};

export function defaultState(): AppState {
  const on = new Set<LayerId>(["stations", "planned", "regions", "roads", "cities", "districts"]);
  const layers = {} as Record<LayerId, LayerSetting>;
  for (const id of LAYER_IDS) layers[id] = { visible: on.has(id), opacity: 1 };
  return {
    view: { ...HOME_VIEW },
    layers,
    filters: { ...EMPTY_FILTERS, status: [] },
    year: YEAR_MAX,
    mode3d: false,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, digits: number): string {
  return Number(v.toFixed(digits)).toString();
}

/** The state as a URL hash (without '#'); stable order, compact. */
export function encodeState(s: AppState): string {
  const p = new URLSearchParams();
  const v = s.view;
  p.set(
    "v",
    [
      round(v.zoom, 2),
      round(v.lat, 5),
      round(v.lon, 5),
      round(v.bearing, 1),
      round(v.pitch, 1),
    ].join("/"),
  );
  p.set(
    "l",
    LAYER_IDS.filter((id) => s.layers[id].visible)
      .map((id) => {
        const o = Math.round(s.layers[id].opacity * 100);
        return o === 100 ? id : `${id}:${o}`;
      })
      .join(","),
  );
  const f = s.filters;
  if (f.status.length) p.set("status", f.status.join(","));
  if (f.connector) p.set("connector", f.connector);
  if (f.minPowerKw !== null) p.set("min_kw", String(f.minPowerKw));
  if (f.operator) p.set("operator", f.operator);
  if (f.region) p.set("region", f.region);
  if (f.q) p.set("q", f.q);
  if (s.year !== YEAR_MAX) p.set("year", String(s.year));
  if (s.mode3d) p.set("3d", "1");
  return p.toString();
}

/** Parse a hash written by {@link encodeState}; anything invalid falls back to the default. */
export function decodeState(hash: string): AppState {
  const s = defaultState();
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const v = p.get("v");
  if (v) {
    const n = v.split("/").map(Number);
    const [zoom, lat, lon, bearing, pitch] = n;
    if (
      n.length === 5 &&
      n.every(Number.isFinite) &&
      zoom !== undefined &&
      lat !== undefined &&
      lon !== undefined
    ) {
      s.view = {
        zoom: clamp(zoom, 0, 22),
        lat: clamp(lat, -85, 85),
        lon: clamp(lon, -180, 180),
        bearing: bearing ?? 0,
        pitch: clamp(pitch ?? 0, 0, 85),
      };
    }
  }
  const l = p.get("l");
  if (l !== null) {
    for (const id of LAYER_IDS) s.layers[id] = { visible: false, opacity: 1 };
    for (const part of l.split(",")) {
      const [id, o] = part.split(":");
      if (id && (LAYER_IDS as readonly string[]).includes(id)) {
        const opacity = o === undefined ? 1 : clamp(Number(o) / 100, 0, 1);
        s.layers[id as LayerId] = {
          visible: true,
          opacity: Number.isFinite(opacity) ? opacity : 1,
        };
      }
    }
  }
  const status = p.get("status");
  if (status) s.filters.status = status.split(",").filter(isStationStatus);
  const connector = p.get("connector");
  if (connector && (CONNECTOR_TYPES as readonly string[]).includes(connector)) {
    s.filters.connector = connector as ConnectorType;
  }
  const minKw = Number(p.get("min_kw"));
  if (p.has("min_kw") && Number.isFinite(minKw) && minKw >= 0) s.filters.minPowerKw = minKw;
  s.filters.operator = p.get("operator") || null;
  const region = p.get("region");
  if (region && /^UZ-[A-Z]{2}$/.test(region)) s.filters.region = region;
  s.filters.q = p.get("q") ?? "";
  const year = Number(p.get("year"));
  if (p.has("year") && Number.isInteger(year)) s.year = clamp(year, YEAR_MIN, YEAR_MAX);
  s.mode3d = p.get("3d") === "1";
  return s;
}

/** Query string of the station filters for /tiles/stations and /api/stations. */
export function filterQuery(f: Filters): string {
  const p = new URLSearchParams();
  if (f.status.length) p.set("status", f.status.join(","));
  if (f.connector) p.set("connector_type", f.connector);
  if (f.minPowerKw !== null) p.set("min_power_kw", String(f.minPowerKw));
  if (f.operator) p.set("operator", f.operator);
  if (f.region) p.set("region", f.region);
  if (f.q.trim()) p.set("q", f.q.trim());
  return p.toString();
}

/** Parse the embed page's parameters: ?lang=, ?region=, ?bbox=minx,miny,maxx,maxy. */
export interface EmbedParams {
  lang: string | null;
  region: string | null;
  bbox: [number, number, number, number] | null;
  errors: string[];
}

export function parseEmbedParams(search: string): EmbedParams {
  const p = new URLSearchParams(search);
  const out: EmbedParams = { lang: p.get("lang"), region: null, bbox: null, errors: [] };
  const region = p.get("region");
  if (region !== null) {
    if (/^UZ-[A-Z]{2}$/.test(region)) out.region = region;
    else out.errors.push(`region=${region}`);
  }
  const bbox = p.get("bbox");
  if (bbox !== null) {
    const n = bbox.split(",").map(Number);
    const [minx, miny, maxx, maxy] = n;
    if (
      n.length === 4 &&
      n.every(Number.isFinite) &&
      minx !== undefined &&
      miny !== undefined &&
      maxx !== undefined &&
      maxy !== undefined &&
      minx < maxx &&
      miny < maxy &&
      minx >= -180 &&
      maxx <= 180 &&
      miny >= -90 &&
      maxy <= 90
    ) {
      out.bbox = [minx, miny, maxx, maxy];
    } else out.errors.push(`bbox=${bbox}`);
  }
  return out;
}
