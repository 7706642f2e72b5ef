/**
 * The map as data: a MapLibre style built from the app state (pure). The map applies
 * it with `map.setStyle(style, { diff: true })`, so a state change becomes the
 * smallest set of style edits (maputnik's approach).
 */

import type { FeatureCollection } from "geojson";
import type {
  DataDrivenPropertyValueSpecification,
  ExpressionSpecification,
  LayerSpecification,
  SourceSpecification,
  StyleSpecification,
} from "maplibre-gl";
import type { Language } from "./format";

// No `glyphs` URL: MapLibre then draws every label locally with the browser's
// fonts (TinySDF), so labels need no font server and no internet. "Sans Bold"
// resolves to the system sans-serif in bold.
import { type CellMetric, cellColor, SCENARIO_COLORS, type ScenarioDrawing } from "./scenario";
import { type AppState, filterQuery, type LayerId } from "./state";
import { STATUS_COLORS } from "./status";

export const FONT = ["Sans Regular"];
export const FONT_BOLD = ["Sans Bold"];

export interface StyleOptions {
  origin: string;
  lang: Language;
  onlineBasemap: boolean;
  /** Embed: only the public layers. */
  publicOnly?: boolean;
  /** Include the restricted layers (parcels, substations, grid lines, candidate
   * sites): their tiles are for signed-in admins, technicians and partners only,
   * anyone else gets 401/403. Off unless set; never with `publicOnly`. */
  restricted?: boolean;
  /** The planned route to draw (route panel), see `routeFeatures`. */
  route?: FeatureCollection;
  /** The selected planning scenario's result layers (scenarios panel). */
  scenario?: { drawing: ScenarioDrawing; metric: CellMetric };
}

/** Colours of the route drawing, by the feature's `kind`. */
export const ROUTE_COLORS = {
  route: "#2563eb",
  gap: "#d7191c",
  end: "#111827",
  stop: "#0f766e",
  planned: "#7b3294",
  candidate: "#e66101",
} as const;

/** Colour of a station: live status from feature-state, else the tile's status. */
export const STATION_COLOR: ExpressionSpecification = [
  "match",
  ["coalesce", ["feature-state", "status"], ["get", "status"]],
  "available",
  STATUS_COLORS.available,
  "charging",
  STATUS_COLORS.charging,
  "faulted",
  STATUS_COLORS.faulted,
  "unavailable",
  STATUS_COLORS.unavailable,
  "offline",
  STATUS_COLORS.offline,
  STATUS_COLORS.unknown,
];

/** Marker radius by maximum power (AC < 50 kW < DC < 150 kW < HPC < 300 kW < ultra). */
export const STATION_RADIUS: ExpressionSpecification = [
  "step",
  ["get", "max_power_kw"],
  5,
  50,
  7,
  150,
  9,
  300,
  11,
];

export const SPARE_COLOR: ExpressionSpecification = [
  "interpolate",
  ["linear"],
  ["coalesce", ["get", "spare_kw"], 0],
  0,
  "#d7191c",
  5000,
  "#fdae61",
  20000,
  "#a6d96a",
  50000,
  "#1a9641",
];

export function plannedColor(): ExpressionSpecification {
  return ["interpolate", ["linear"], ["get", "year"], 2025, "#c39bd3", 2035, "#4a235a"];
}

function nameField(lang: Language): ExpressionSpecification {
  const key = lang === "ru" ? "name_ru" : lang === "uz" ? "name_uz" : "name_en";
  return ["coalesce", ["get", key], ["get", "name_en"], ["get", "name"], ""];
}

function cityName(lang: Language): ExpressionSpecification {
  return lang === "ru"
    ? ["coalesce", ["get", "name_ru"], ["get", "name"]]
    : ["coalesce", ["get", "name"], ""];
}

function visibility(on: boolean): "visible" | "none" {
  return on ? "visible" : "none";
}

const number = (v: number): DataDrivenPropertyValueSpecification<number> => v;

export function tileUrl(origin: string, layer: string, query = ""): string {
  return `${origin}/tiles/${layer}/{z}/{x}/{y}.pbf${query ? `?${query}` : ""}`;
}

/** The style layers that belong to each panel layer (for visibility, opacity, legends). */
export const STYLE_LAYERS: Record<LayerId, string[]> = {
  stations: ["stations-clusters", "stations-cluster-count", "stations-points", "stations-power"],
  planned: ["planned-points"],
  candidates: ["candidates-points"],
  h3: [],
  substations: ["substations-points"],
  grid_lines: ["grid-lines"],
  parcels: ["parcels-fill", "parcels-line"],
  roads: ["roads-casing", "roads-line", "roads-ref"],
  districts: ["districts-line"],
  regions: ["regions-line", "regions-label"],
  cities: ["cities-points", "cities-label"],
};

/** The data layer behind each panel layer (tile layer name), for bounds and demo flags. */
export const TILE_LAYER: Record<LayerId, string | null> = {
  stations: "stations",
  planned: "planned",
  candidates: "candidates",
  h3: null,
  substations: "substations",
  grid_lines: "grid_lines",
  parcels: "parcels",
  roads: "roads",
  districts: "districts",
  regions: "regions",
  cities: "cities",
};

/** A scenario's H3 cells (coloured by the metric), under the points and labels. */
function scenarioCellLayers(metric: CellMetric): LayerSpecification[] {
  return [
    {
      id: "scenario-cells",
      type: "fill",
      source: "scenario-cells",
      paint: { "fill-color": cellColor(metric), "fill-opacity": 0.6 },
    },
    {
      id: "scenario-cells-line",
      type: "line",
      source: "scenario-cells",
      minzoom: 8,
      paint: { "line-color": "#ffffff", "line-width": 0.5, "line-opacity": 0.6 },
    },
  ];
}

/** A scenario's corridor gaps and ranked candidate sites (selected ones highlighted). */
const SCENARIO_TOP_LAYERS: LayerSpecification[] = [
  {
    id: "scenario-corridors",
    type: "line",
    source: "scenario-corridors",
    layout: { "line-cap": "round" },
    paint: {
      "line-color": [
        "match",
        ["get", "kind"],
        "gap",
        SCENARIO_COLORS.gap,
        SCENARIO_COLORS.proposed,
      ],
      "line-width": 4,
      "line-dasharray": [2, 1],
    },
  },
  {
    id: "scenario-candidates",
    type: "circle",
    source: "scenario-candidates",
    layout: { "circle-sort-key": ["case", ["get", "selected"], 1, 0] },
    paint: {
      "circle-color": [
        "case",
        ["get", "selected"],
        SCENARIO_COLORS.selected,
        SCENARIO_COLORS.candidate,
      ],
      "circle-radius": ["case", ["get", "selected"], 10, 5],
      "circle-stroke-color": ["case", ["get", "selected"], "#fde047", "#ffffff"],
      "circle-stroke-width": ["case", ["get", "selected"], 3, 1],
    },
  },
  {
    id: "scenario-candidates-rank",
    type: "symbol",
    source: "scenario-candidates",
    filter: ["==", ["get", "selected"], true],
    layout: {
      "text-field": ["to-string", ["get", "rank"]],
      "text-font": FONT_BOLD,
      "text-size": 11,
      "text-allow-overlap": true,
    },
    paint: { "text-color": "#ffffff" },
  },
];

/** The route panel's drawing: line, gap without chargers, ends, stops, suggested sites. */
const ROUTE_LAYERS: LayerSpecification[] = [
  {
    id: "route-casing",
    type: "line",
    source: "route",
    filter: ["==", ["get", "kind"], "route"],
    layout: { "line-join": "round", "line-cap": "round" },
    paint: { "line-color": "#ffffff", "line-width": 8 },
  },
  {
    id: "route-line",
    type: "line",
    source: "route",
    filter: ["==", ["get", "kind"], "route"],
    layout: { "line-join": "round", "line-cap": "round" },
    paint: { "line-color": ROUTE_COLORS.route, "line-width": 4.5 },
  },
  {
    id: "route-gap",
    type: "line",
    source: "route",
    filter: ["==", ["get", "kind"], "gap"],
    paint: { "line-color": ROUTE_COLORS.gap, "line-width": 4, "line-dasharray": [1.5, 1] },
  },
  {
    id: "route-points",
    type: "circle",
    source: "route",
    filter: ["==", ["geometry-type"], "Point"],
    paint: {
      "circle-color": [
        "match",
        ["get", "kind"],
        "stop",
        ROUTE_COLORS.stop,
        "planned",
        ROUTE_COLORS.planned,
        "candidate",
        ROUTE_COLORS.candidate,
        ROUTE_COLORS.end,
      ],
      "circle-radius": ["match", ["get", "kind"], "planned", 7, "candidate", 7, 10],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 2,
    },
  },
  {
    id: "route-labels",
    type: "symbol",
    source: "route",
    filter: ["==", ["geometry-type"], "Point"],
    layout: {
      "text-field": ["get", "label"],
      "text-font": FONT_BOLD,
      "text-size": 12,
      "text-allow-overlap": true,
    },
    paint: { "text-color": "#ffffff" },
  },
];

export function buildStyle(state: AppState, opts: StyleOptions): StyleSpecification {
  const L = state.layers;
  const o = (id: LayerId): number => L[id].opacity;
  const vis = (id: LayerId) => visibility(L[id].visible);
  const restricted = !opts.publicOnly && opts.restricted === true;
  // Stations first: MapLibre requests and parses tiles source by source in this
  // order (one worker on a 2-core machine), so the stations are not queued
  // behind the base map's roads and labels on a cold start.
  const sources: Record<string, SourceSpecification> = {
    stations: {
      type: "vector",
      tiles: [tileUrl(opts.origin, "stations", filterQuery(state.filters))],
      minzoom: 0,
      maxzoom: 16,
    },
    base: {
      type: "vector",
      tiles: [tileUrl(opts.origin, "basemap")],
      minzoom: 0,
      maxzoom: 14,
    },
    planned: { type: "vector", tiles: [tileUrl(opts.origin, "planned")], maxzoom: 16 },
    measure: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
  };
  if (!opts.publicOnly) {
    sources.route = {
      type: "geojson",
      data: opts.route ?? { type: "FeatureCollection", features: [] },
    };
  }
  if (!opts.publicOnly && opts.scenario) {
    const d = opts.scenario.drawing;
    sources["scenario-cells"] = { type: "geojson", data: d.cells };
    sources["scenario-candidates"] = { type: "geojson", data: d.candidates };
    sources["scenario-corridors"] = { type: "geojson", data: d.corridors };
  }
  if (restricted) {
    sources.candidates = {
      type: "vector",
      tiles: [tileUrl(opts.origin, "candidates")],
      maxzoom: 16,
    };
    sources.grid = { type: "vector", tiles: [tileUrl(opts.origin, "substations")], maxzoom: 16 };
    sources.grid_lines = {
      type: "vector",
      tiles: [tileUrl(opts.origin, "grid_lines")],
      maxzoom: 16,
    };
    sources.parcels = {
      type: "vector",
      tiles: [tileUrl(opts.origin, "parcels")],
      minzoom: 10,
      maxzoom: 16,
    };
  }
  const layers: LayerSpecification[] = [
    { id: "background", type: "background", paint: { "background-color": "#e4e9ee" } },
  ];
  if (opts.onlineBasemap) {
    sources.osm = {
      type: "raster",
      tiles: ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
      tileSize: 256,
      attribution: "© OpenStreetMap contributors",
      maxzoom: 19,
    };
    layers.push({ id: "osm", type: "raster", source: "osm", paint: { "raster-opacity": 0.9 } });
  } else {
    layers.push({
      id: "country-fill",
      type: "fill",
      source: "base",
      "source-layer": "country",
      paint: { "fill-color": "#fbfaf6" },
    });
  }
  layers.push(
    {
      id: "districts-line",
      type: "line",
      source: "base",
      "source-layer": "districts",
      minzoom: 6,
      layout: { visibility: vis("districts") },
      paint: { "line-color": "#c9c3d6", "line-width": 0.6, "line-opacity": o("districts") },
    },
    {
      id: "regions-line",
      type: "line",
      source: "base",
      "source-layer": "regions",
      layout: { visibility: vis("regions") },
      paint: {
        "line-color": "#8f86a8",
        "line-width": ["interpolate", ["linear"], ["zoom"], 4, 0.8, 10, 2],
        "line-dasharray": [3, 2],
        "line-opacity": o("regions"),
      },
    },
  );
  if (restricted) {
    layers.push(
      {
        id: "parcels-fill",
        type: "fill",
        source: "parcels",
        "source-layer": "parcels",
        layout: { visibility: vis("parcels") },
        paint: {
          "fill-color": [
            "match",
            ["get", "land_use"],
            "commercial",
            "#f5b7b1",
            "industrial",
            "#d2b4de",
            "residential",
            "#f9e79f",
            "agricultural",
            "#abebc6",
            "public",
            "#aed6f1",
            "transport",
            "#d5d8dc",
            "#e5e7e9",
          ],
          "fill-opacity": 0.5 * o("parcels"),
        },
      },
      {
        id: "parcels-line",
        type: "line",
        source: "parcels",
        "source-layer": "parcels",
        layout: { visibility: vis("parcels") },
        paint: { "line-color": "#7b7d7d", "line-width": 0.5, "line-opacity": o("parcels") },
      },
    );
  }
  layers.push(
    {
      id: "roads-casing",
      type: "line",
      source: "base",
      "source-layer": "roads",
      layout: { visibility: vis("roads"), "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": "#d9a441",
        "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1.6, 12, 7],
        "line-opacity": o("roads"),
      },
    },
    {
      id: "roads-line",
      type: "line",
      source: "base",
      "source-layer": "roads",
      layout: { visibility: vis("roads"), "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": "#fde9b5",
        "line-width": ["interpolate", ["linear"], ["zoom"], 4, 0.6, 12, 5],
        "line-opacity": o("roads"),
      },
    },
  );
  if (restricted) {
    layers.push(
      {
        id: "grid-lines",
        type: "line",
        source: "grid_lines",
        "source-layer": "grid_lines",
        layout: { visibility: vis("grid_lines") },
        paint: { "line-color": SPARE_COLOR, "line-width": 2, "line-opacity": o("grid_lines") },
      },
      {
        id: "substations-points",
        type: "circle",
        source: "grid",
        "source-layer": "substations",
        layout: { visibility: vis("substations") },
        paint: {
          "circle-color": SPARE_COLOR,
          "circle-radius": 5,
          "circle-stroke-color": "#333",
          "circle-stroke-width": 1,
          "circle-opacity": o("substations"),
          "circle-stroke-opacity": o("substations"),
        },
      },
      {
        id: "candidates-points",
        type: "circle",
        source: "candidates",
        "source-layer": "candidates",
        layout: { visibility: vis("candidates") },
        paint: {
          "circle-color": [
            "interpolate",
            ["linear"],
            ["coalesce", ["get", "score"], 0],
            0,
            "#fee8c8",
            1,
            "#e34a33",
          ],
          "circle-radius": 6,
          "circle-stroke-color": "#7f2704",
          "circle-stroke-width": 1,
          "circle-opacity": o("candidates"),
        },
      },
    );
  }
  if (!opts.publicOnly && opts.scenario) layers.push(...scenarioCellLayers(opts.scenario.metric));
  layers.push(
    {
      id: "cities-points",
      type: "circle",
      source: "base",
      "source-layer": "cities",
      layout: { visibility: vis("cities") },
      paint: {
        "circle-color": "#444",
        "circle-radius": ["step", ["get", "population"], 2, 100000, 3, 1000000, 4],
        "circle-opacity": o("cities"),
      },
    },
    {
      id: "planned-points",
      type: "circle",
      source: "planned",
      "source-layer": "planned",
      filter: ["<=", ["get", "year"], state.year],
      layout: { visibility: vis("planned") },
      paint: {
        "circle-color": plannedColor(),
        "circle-radius": [
          "interpolate",
          ["linear"],
          ["zoom"],
          5,
          ["step", ["coalesce", ["get", "power_kw"], 0], 1.5, 150, 2.5, 300, 3.5],
          12,
          ["step", ["coalesce", ["get", "power_kw"], 0], 4, 150, 6, 300, 8],
        ],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 5, 0, 10, 1.2],
        "circle-opacity": 0.7 * o("planned"),
        "circle-stroke-opacity": o("planned"),
      },
    },
    {
      id: "stations-clusters",
      type: "circle",
      source: "stations",
      "source-layer": "stations",
      filter: ["==", ["get", "cluster"], true],
      layout: { visibility: vis("stations") },
      paint: {
        "circle-color": STATION_COLOR,
        "circle-radius": ["step", ["get", "point_count"], 12, 10, 15, 50, 19, 200, 24],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
        "circle-opacity": 0.85 * o("stations"),
        "circle-stroke-opacity": o("stations"),
      },
    },
    {
      id: "stations-points",
      type: "circle",
      source: "stations",
      "source-layer": "stations",
      filter: ["!=", ["get", "cluster"], true],
      layout: { visibility: vis("stations") },
      paint: {
        "circle-color": STATION_COLOR,
        "circle-radius": STATION_RADIUS,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": ["step", ["get", "max_power_kw"], 1, 50, 2, 150, 3],
        "circle-opacity": o("stations"),
        "circle-stroke-opacity": o("stations"),
      },
    },
    ...(opts.publicOnly || !opts.scenario ? [] : SCENARIO_TOP_LAYERS),
    ...(opts.publicOnly ? [] : ROUTE_LAYERS),
    {
      id: "measure-line",
      type: "line",
      source: "measure",
      filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#111", "line-width": 2, "line-dasharray": [2, 1] },
    },
    {
      id: "measure-points",
      type: "circle",
      source: "measure",
      filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-color": "#fff",
        "circle-radius": 4,
        "circle-stroke-color": "#111",
        "circle-stroke-width": 2,
      },
    },
    // Labels last, so they sit above every data layer.
    {
      id: "roads-ref",
      type: "symbol",
      source: "base",
      "source-layer": "roads",
      minzoom: 6,
      layout: {
        visibility: vis("roads"),
        "symbol-placement": "line",
        "text-field": ["coalesce", ["get", "ref"], ""],
        "text-font": FONT_BOLD,
        "text-size": 10,
      },
      paint: { "text-color": "#8a5a00", "text-halo-color": "#fff", "text-halo-width": 1.5 },
    },
    {
      id: "regions-label",
      type: "symbol",
      source: "base",
      "source-layer": "region_labels",
      maxzoom: 8,
      layout: {
        visibility: vis("regions"),
        "text-field": nameField(opts.lang),
        "text-font": FONT,
        "text-size": ["interpolate", ["linear"], ["zoom"], 4, 10, 8, 14],
        "text-transform": "uppercase",
        "text-letter-spacing": 0.08,
        "text-max-width": 8,
      },
      paint: {
        "text-color": "#6c6387",
        "text-halo-color": "#fbfaf6",
        "text-halo-width": 1.5,
        "text-opacity": o("regions"),
      },
    },
    {
      id: "cities-label",
      type: "symbol",
      source: "base",
      "source-layer": "cities",
      layout: {
        visibility: vis("cities"),
        "text-field": cityName(opts.lang),
        "text-font": FONT,
        "text-size": ["step", ["get", "population"], 11, 100000, 13, 1000000, 16],
        "text-anchor": "top",
        "text-offset": [0, 0.4],
        "symbol-sort-key": ["-", 0, ["get", "population"]],
      },
      paint: {
        "text-color": "#222",
        "text-halo-color": "#fff",
        "text-halo-width": 1.5,
        "text-opacity": o("cities"),
      },
    },
    {
      id: "stations-cluster-count",
      type: "symbol",
      source: "stations",
      "source-layer": "stations",
      filter: ["==", ["get", "cluster"], true],
      layout: {
        visibility: vis("stations"),
        "text-field": ["to-string", ["get", "point_count"]],
        "text-font": FONT_BOLD,
        "text-size": 12,
        "text-allow-overlap": true,
      },
      paint: { "text-color": "#fff", "text-opacity": o("stations") },
    },
    {
      id: "stations-power",
      type: "symbol",
      source: "stations",
      "source-layer": "stations",
      minzoom: 12,
      filter: ["!=", ["get", "cluster"], true],
      layout: {
        visibility: vis("stations"),
        "text-field": ["concat", ["to-string", ["round", ["get", "max_power_kw"]]], " kW"],
        "text-font": FONT,
        "text-size": number(10),
        "text-offset": [0, 1.3],
        "text-anchor": "top",
      },
      paint: {
        "text-color": "#333",
        "text-halo-color": "#fff",
        "text-halo-width": 1.2,
        "text-opacity": o("stations"),
      },
    },
  );
  return {
    version: 8,
    name: "Quvvat",
    sources,
    layers,
  };
}
