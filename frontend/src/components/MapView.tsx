import type { FeatureCollection } from "geojson";
import type { GeoJSONFeature, Map as MlMap } from "maplibre-gl";
import * as maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { useEffect, useRef } from "preact/hooks";
import { getToken, tileRequest } from "../lib/api";
import type { Language } from "../lib/format";
import type { LonLat } from "../lib/measure";
import type { CellMetric, ScenarioDrawing } from "../lib/scenario";
import type { AppState, View } from "../lib/state";
import type { StationStatus } from "../lib/status";
import { buildStyle } from "../lib/style";
import type { DeckColumns } from "./deck";

// The worker is a separate module file: tell MapLibre where Vite put it, and
// start it now, while the app still fetches its configuration and renders:
// otherwise it starts with the first map and its start-up (fetch, compile,
// first messages) delays every tile request.
maplibregl.setWorkerUrl(workerUrl);
maplibregl.prewarm();

export interface SelectedFeature {
  layer: string;
  id: number | string | undefined;
  properties: Record<string, unknown>;
  lonLat: LonLat;
}

export interface MapHandle {
  map: MlMap;
  setLiveStatus: (siteId: number, status: StationStatus) => void;
  exportPng: (attribution: string) => Promise<Blob>;
  fitBounds: (bbox: [number, number, number, number]) => void;
  stationFeatures: () => GeoJSONFeature[];
}

interface Props {
  state: AppState;
  lang: Language;
  onlineBasemap: boolean;
  attribution: string;
  publicOnly?: boolean;
  /** Draw the restricted layers (signed in as admin, technician or partner). */
  restricted?: boolean;
  measuring?: boolean;
  measurePoints?: LonLat[];
  /** Route panel: the next map click picks a trip end instead of selecting. */
  picking?: boolean;
  onPick?: (p: LonLat) => void;
  /** Route panel: what to draw (see `routeFeatures`). */
  route?: FeatureCollection;
  /** Scenarios panel: the selected scenario's result layers. */
  scenario?: { drawing: ScenarioDrawing; metric: CellMetric };
  onView: (v: View) => void;
  onSelect?: (f: SelectedFeature | null) => void;
  onMeasureClick?: (p: LonLat) => void;
  /** A double-click while measuring ends the line. */
  onMeasureFinish?: () => void;
  onError: (message: string) => void;
  onReady?: (handle: MapHandle) => void;
}

declare global {
  interface Window {
    quvvat?: {
      map: MlMap;
      firstStationsAt: number | null;
      liveApplied: Record<number, string>;
      /** 3D only: ids of the deck.gl columns drawn at a screen point. */
      columnsAt?: ((x: number, y: number) => number[]) | undefined;
      /** 3D only: station id → the status colouring its column drawn at a point. */
      columnStatusesAt?: ((x: number, y: number) => Record<number, string>) | undefined;
    };
  }
}

const CLICKABLE = [
  "scenario-candidates",
  "stations-points",
  "stations-clusters",
  "planned-points",
  "candidates-points",
  "substations-points",
];

export function MapView(props: Props) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  const live = useRef(new Map<number, StationStatus>());
  const propsRef = useRef(props);
  propsRef.current = props;
  const deckRef = useRef<DeckColumns | null>(null);

  // Create the map once.
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const p = propsRef.current;
    const map = new maplibregl.Map({
      container: el,
      style: buildStyle(p.state, {
        origin: location.origin,
        lang: p.lang,
        onlineBasemap: p.onlineBasemap,
        publicOnly: p.publicOnly,
        restricted: p.restricted,
        route: p.route,
        scenario: p.scenario,
      }),
      center: [p.state.view.lon, p.state.view.lat],
      zoom: p.state.view.zoom,
      bearing: p.state.view.bearing,
      pitch: p.state.view.pitch,
      maxPitch: 70,
      attributionControl: false,
      // The bearer token goes with the app's own tile requests only (restricted
      // layers need it), read at request time: sign-in and sign-out need no reload.
      transformRequest: (url) => tileRequest(url, location.origin, getToken()),
    });
    mapRef.current = map;
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    const debug = {
      map,
      firstStationsAt: null as number | null,
      liveApplied: {} as Record<number, string>,
    };
    window.quvvat = debug;

    const applyLive = () => {
      if (!map.getSource("stations")) return;
      for (const [id, status] of live.current) {
        map.setFeatureState({ source: "stations", sourceLayer: "stations", id }, { status });
      }
    };
    map.on("styledata", applyLive);
    // "First stations drawn" for the first-paint benchmark: the first rendered
    // frame in which a station point or cluster is on screen (not merely loaded).
    const onFirstDraw = () => {
      const layers = ["stations-points", "stations-clusters"].filter((id) => map.getLayer(id));
      if (layers.length && map.queryRenderedFeatures({ layers }).length > 0) {
        debug.firstStationsAt = performance.now();
        map.off("render", onFirstDraw);
      }
    };
    map.on("render", onFirstDraw);
    map.on("error", (e) => {
      const err = (e as { error?: { message?: string; status?: number; url?: string } }).error;
      const url = err?.url;
      const status = err?.status ?? 0;
      if (url && status >= 400 && status < 500) {
        // MapLibre keeps only the status: ask once more for the API's clear detail.
        fetch(url, { headers: tileRequest(url, location.origin, getToken())?.headers ?? {} })
          .then((r) => r.json())
          .then((b: { detail?: unknown }) =>
            propsRef.current.onError(typeof b.detail === "string" ? b.detail : `HTTP ${status}`),
          )
          .catch(() => propsRef.current.onError(err?.message ?? `HTTP ${status}`));
        return;
      }
      propsRef.current.onError(err?.message ?? "map error");
    });
    map.on("moveend", () => {
      const c = map.getCenter();
      propsRef.current.onView({
        lon: c.lng,
        lat: c.lat,
        zoom: map.getZoom(),
        bearing: map.getBearing(),
        pitch: map.getPitch(),
      });
      deckRef.current?.update();
    });
    map.on("idle", () => deckRef.current?.update());
    map.on("dblclick", () => {
      const cur = propsRef.current;
      if (cur.measuring) cur.onMeasureFinish?.();
    });
    map.on("click", (e) => {
      const cur = propsRef.current;
      if (cur.measuring) {
        cur.onMeasureClick?.([e.lngLat.lng, e.lngLat.lat]);
        return;
      }
      if (cur.picking) {
        cur.onPick?.([e.lngLat.lng, e.lngLat.lat]);
        return;
      }
      const layers = CLICKABLE.filter((id) => map.getLayer(id));
      const hit = map.queryRenderedFeatures(e.point, { layers })[0];
      if (!hit) {
        cur.onSelect?.(null);
        return;
      }
      if (hit.layer.id === "stations-clusters") {
        map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2.5, 16) });
        return;
      }
      cur.onSelect?.({
        layer: hit.layer.id,
        id: hit.id,
        properties: hit.properties,
        lonLat: [e.lngLat.lng, e.lngLat.lat],
      });
    });
    for (const id of CLICKABLE) {
      map.on("mouseenter", id, () => {
        map.getCanvas().style.cursor = "pointer";
      });
      map.on("mouseleave", id, () => {
        map.getCanvas().style.cursor = "";
      });
    }
    const handle: MapHandle = {
      map,
      setLiveStatus: (siteId, status) => {
        live.current.set(siteId, status);
        debug.liveApplied[siteId] = status;
        if (map.getSource("stations")) {
          map.setFeatureState(
            { source: "stations", sourceLayer: "stations", id: siteId },
            { status },
          );
        }
        deckRef.current?.update();
      },
      exportPng: (attribution) => exportPng(map, attribution),
      fitBounds: (b) => map.fitBounds(b, { padding: 30, duration: 0 }),
      stationFeatures: () =>
        map
          .querySourceFeatures("stations", { sourceLayer: "stations" })
          .filter((f) => f.properties.cluster !== true),
    };
    propsRef.current.onReady?.(handle);
    return () => {
      deckRef.current?.remove();
      map.remove();
      mapRef.current = null;
    };
  }, []);

  // State → style, as a diff.
  // The route is part of the style: a style diff would otherwise reset its data.
  const { state, lang, onlineBasemap, publicOnly, restricted, route, scenario } = props;
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    map.setStyle(
      buildStyle(state, {
        origin: location.origin,
        lang,
        onlineBasemap,
        publicOnly,
        restricted,
        route,
        scenario,
      }),
      { diff: true },
    );
  }, [
    state.layers,
    state.filters,
    state.year,
    lang,
    onlineBasemap,
    publicOnly,
    restricted,
    route,
    scenario,
  ]);

  // Pitch and the deck.gl columns follow the 3D toggle.
  const was3d = useRef(state.mode3d);
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    let cancelled = false;
    const switchedOff = was3d.current && !state.mode3d;
    was3d.current = state.mode3d;
    if (state.mode3d) {
      if (map.getPitch() < 20) map.easeTo({ pitch: 55, bearing: -15, duration: 600 });
      import("./deck")
        .then(({ DeckColumns }) => {
          if (cancelled || deckRef.current) return;
          deckRef.current = new DeckColumns(map, live.current);
          deckRef.current.update();
        })
        .catch((e: unknown) => propsRef.current.onError(String(e)));
    } else {
      deckRef.current?.remove();
      deckRef.current = null;
      if (switchedOff) map.easeTo({ pitch: 0, bearing: 0, duration: 400 });
    }
    return () => {
      cancelled = true;
    };
  }, [state.mode3d]);

  // Measure line.
  const { measurePoints, measuring } = props;
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    if (measuring) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
    const pts = measurePoints ?? [];
    const source = map.getSource("measure");
    if (source && "setData" in source) {
      (source as maplibregl.GeoJSONSource).setData({
        type: "FeatureCollection",
        features: [
          ...pts.map((c) => ({
            type: "Feature" as const,
            properties: {},
            geometry: { type: "Point" as const, coordinates: [c[0], c[1]] },
          })),
          ...(pts.length > 1
            ? [
                {
                  type: "Feature" as const,
                  properties: {},
                  geometry: {
                    type: "LineString" as const,
                    coordinates: pts.map((c) => [c[0], c[1]]),
                  },
                },
              ]
            : []),
        ],
      });
    }
    map.getCanvas().style.cursor = measuring || props.picking ? "crosshair" : "";
  }, [measurePoints, measuring, props.picking]);

  return <div ref={container} class="map" data-testid="map" />;
}

/** Draw the next frame, copy it with the attribution line burnt in, as a PNG blob. */
function exportPng(map: MlMap, attribution: string): Promise<Blob> {
  return new Promise((resolve, reject) => {
    map.once("render", () => {
      const src = map.getCanvas();
      const out = document.createElement("canvas");
      out.width = src.width;
      out.height = src.height;
      const ctx = out.getContext("2d");
      if (!ctx) {
        reject(new Error("no 2D canvas"));
        return;
      }
      ctx.drawImage(src, 0, 0);
      const ratio = window.devicePixelRatio || 1;
      ctx.font = `${11 * ratio}px sans-serif`;
      const pad = 4 * ratio;
      const w = ctx.measureText(attribution).width + 2 * pad;
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(out.width - w, out.height - 18 * ratio, w, 18 * ratio);
      ctx.fillStyle = "#222";
      ctx.fillText(attribution, out.width - w + pad, out.height - 5 * ratio);
      out.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png");
    });
    map.triggerRepaint();
  });
}
