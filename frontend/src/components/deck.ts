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

export class DeckColumns {
  private readonly overlay: MapboxOverlay;

  constructor(
    private readonly map: MlMap,
    private readonly live: Map<number, StationStatus>,
  ) {
    this.overlay = new MapboxOverlay({ interleaved: true, layers: [] });
    map.addControl(this.overlay);
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
          diskResolution: 12,
          radius: 350,
          extruded: true,
          elevationScale: 60,
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
  }
}
