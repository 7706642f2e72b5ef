/** 3D columns (deck.gl) over the MapLibre map; loaded only when 3D is switched on. */

import { ColumnLayer } from "@deck.gl/layers";
import { MapboxOverlay } from "@deck.gl/mapbox";
import type { Map as MlMap } from "maplibre-gl";
import { hexToRgb, isStationStatus, STATUS_COLORS, type StationStatus } from "../lib/status";

interface Column {
  id: number;
  position: [number, number];
  powerKw: number;
  status: StationStatus;
}

/** deck.gl 9.4's MapboxOverlay reads `map.transform` (height, elevation, near/far
 * planes) while drawing; MapLibre 6 moved it to `map._camera.transform`, so every
 * frame threw and no column was ever drawn. Give the overlay a read-only view. */
function exposeTransform(map: MlMap): void {
  if ("transform" in map) return;
  const m = map as MlMap & { _camera?: { transform: unknown } };
  Object.defineProperty(map, "transform", {
    configurable: true,
    get: () => m._camera?.transform,
  });
}

/** Columns keep their size on screen at every zoom (in metres they would cover a
 * city at street level and vanish at country level): a disk of this many pixels,
 * this many pixels of height per kW (350 kW: ~175 px). */
const COLUMN_RADIUS_PX = 6;
const COLUMN_PX_PER_KW = 0.5;

/** Metres per screen pixel at the map's centre (MapLibre's tiles are 512 px). */
function metresPerPixel(map: MlMap): number {
  const lat = (map.getCenter().lat * Math.PI) / 180;
  return (40_075_016.686 * Math.cos(lat)) / (512 * 2 ** map.getZoom());
}

export class DeckColumns {
  private readonly overlay: MapboxOverlay;

  constructor(
    private readonly map: MlMap,
    private readonly live: Map<number, StationStatus>,
  ) {
    exposeTransform(map);
    this.overlay = new MapboxOverlay({ interleaved: true, layers: [] });
    map.addControl(this.overlay);
    if (window.quvvat) {
      window.quvvat.columnsAt = (x, y) => this.idsAt(x, y);
      window.quvvat.columnStatusesAt = (x, y) => this.statusesAt(x, y);
    }
  }

  private picked(x: number, y: number): Column[] {
    return this.overlay
      .pickMultipleObjects({ x, y, radius: 2, depth: 10 })
      .map((i) => i.object as Column | null)
      .filter((c): c is Column => c !== null && typeof c?.id === "number");
  }

  /** Station ids of the columns drawn at a screen point of the map (deck.gl picking:
   * what is really rendered there, for the tests). */
  idsAt(x: number, y: number): number[] {
    return this.picked(x, y).map((c) => c.id);
  }

  /** Station id → the status its column drawn at a screen point is coloured by. */
  statusesAt(x: number, y: number): Record<number, StationStatus> {
    return Object.fromEntries(this.picked(x, y).map((c) => [c.id, c.status]));
  }

  update(): void {
    const seen = new Set<number>();
    const data: Column[] = [];
    for (const f of this.map.querySourceFeatures("stations", { sourceLayer: "stations" })) {
      const p = f.properties;
      if (p.cluster === true || typeof f.id !== "number" || seen.has(f.id)) continue;
      if (f.geometry.type !== "Point") continue;
      seen.add(f.id);
      const tileStatus = isStationStatus(p.status) ? p.status : "unknown";
      data.push({
        id: f.id,
        position: [f.geometry.coordinates[0] ?? 0, f.geometry.coordinates[1] ?? 0],
        powerKw: Number(p.max_power_kw) || 0,
        status: this.live.get(f.id) ?? tileStatus,
      });
    }
    this.overlay.setProps({
      layers: [
        new ColumnLayer<Column>({
          id: "station-columns",
          data,
          pickable: true,
          diskResolution: 12,
          radius: COLUMN_RADIUS_PX,
          radiusUnits: "pixels",
          extruded: true,
          elevationScale: COLUMN_PX_PER_KW * metresPerPixel(this.map),
          getPosition: (d) => d.position,
          getElevation: (d) => d.powerKw,
          getFillColor: (d) => [...hexToRgb(STATUS_COLORS[d.status]), 230],
          updateTriggers: { getFillColor: [this.live.size, Date.now()] },
        }),
      ],
    });
  }

  remove(): void {
    this.map.removeControl(this.overlay);
    if (window.quvvat) {
      window.quvvat.columnsAt = undefined;
      window.quvvat.columnStatusesAt = undefined;
    }
  }
}
