/** Layer metadata from the tile server (TileJSON + counts) and legends (pure). */

import { LAYER_IDS, type LayerId } from "./state";
import { POWER_CLASSES, STATION_STATUSES, STATUS_COLORS } from "./status";

export interface LayerInfo {
  name: string;
  bounds: [number, number, number, number] | null;
  count: number;
  demo: boolean;
}

/** Layers only admins, technicians and partners may see: their tiles and GeoJSON
 * answer 401 to a visitor and 403 to a client (app/services/layers.py). */
export const RESTRICTED_LAYERS: readonly LayerId[] = [
  "candidates",
  "substations",
  "grid_lines",
  "parcels",
];

/** Whether a signed-in role (from the token's claims; null when signed out) may
 * see the restricted layers (the API decides; the UI only adapts). */
export function seesRestrictedLayers(role: string | null): boolean {
  return role === "admin" || role === "technician" || role === "partner";
}

const PUBLIC_LAYER_IDS: readonly LayerId[] = LAYER_IDS.filter(
  (id) => !RESTRICTED_LAYERS.includes(id),
);

/** The layers the Layers panel offers (the same array each time, for hooks). */
export function offeredLayers(restricted: boolean): readonly LayerId[] {
  return restricted ? LAYER_IDS : PUBLIC_LAYER_IDS;
}

export type LegendItem =
  | {
      kind: "swatch";
      color: string;
      label: string;
      shape: "circle" | "line" | "fill";
      size?: number;
    }
  | { kind: "ramp"; colors: string[]; low: string; high: string };

/** Legend items of a layer; labels are i18n keys. */
export function legendFor(id: LayerId): LegendItem[] {
  switch (id) {
    case "stations":
      return [
        ...STATION_STATUSES.map(
          (s): LegendItem => ({
            kind: "swatch",
            color: STATUS_COLORS[s],
            label: `legend.status.${s}`,
            shape: "circle",
          }),
        ),
        ...POWER_CLASSES.map(
          (c): LegendItem => ({
            kind: "swatch",
            color: "#555",
            label: `legend.power.${c.key}`,
            shape: "circle",
            size: c.radius * 2,
          }),
        ),
        { kind: "swatch", color: "#777", label: "legend.cluster", shape: "circle", size: 18 },
      ];
    case "planned":
      return [
        {
          kind: "ramp",
          colors: ["#c39bd3", "#4a235a"],
          low: "legend.yearEarly",
          high: "legend.yearLate",
        },
      ];
    case "candidates":
      return [
        {
          kind: "ramp",
          colors: ["#fee8c8", "#e34a33"],
          low: "legend.scoreLow",
          high: "legend.scoreHigh",
        },
      ];
    case "h3":
      return [
        {
          kind: "ramp",
          colors: ["#ffffcc", "#bd0026"],
          low: "legend.scoreLow",
          high: "legend.scoreHigh",
        },
      ];
    case "substations":
    case "grid_lines":
      return [
        {
          kind: "ramp",
          colors: ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"],
          low: "legend.spareLow",
          high: "legend.spareHigh",
        },
      ];
    case "parcels":
      return [{ kind: "swatch", color: "#f9e79f", label: "legend.land", shape: "fill" }];
    case "roads":
      return [{ kind: "swatch", color: "#d9a441", label: "legend.road", shape: "line" }];
    case "districts":
    case "regions":
      return [{ kind: "swatch", color: "#8f86a8", label: "legend.boundary", shape: "line" }];
    case "cities":
      return [{ kind: "swatch", color: "#444", label: "legend.city", shape: "circle", size: 6 }];
  }
}
