/** Station statuses, their colours and power classes (pure). */

export const STATION_STATUSES = [
  "available",
  "charging",
  "faulted",
  "unavailable",
  "offline",
  "unknown",
] as const;
export type StationStatus = (typeof STATION_STATUSES)[number];

export const STATUS_COLORS: Record<StationStatus | "planned", string> = {
  available: "#1a9850",
  charging: "#2c7bb6",
  faulted: "#d7191c",
  unavailable: "#fdae61",
  offline: "#6b6b6b",
  unknown: "#b8b8b8",
  planned: "#8e44ad",
};

export const CONNECTOR_TYPES = ["CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2"] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

export function isStationStatus(value: unknown): value is StationStatus {
  return typeof value === "string" && (STATION_STATUSES as readonly string[]).includes(value);
}

/** Power classes drive the marker size: AC, fast DC, high-power DC, ultra. */
export const POWER_CLASSES = [
  { key: "ac", minKw: 0, radius: 5 },
  { key: "dc", minKw: 50, radius: 7 },
  { key: "hpc", minKw: 150, radius: 9 },
  { key: "ultra", minKw: 300, radius: 11 },
] as const;

export function powerClass(maxPowerKw: number): (typeof POWER_CLASSES)[number]["key"] {
  let key: (typeof POWER_CLASSES)[number]["key"] = "ac";
  for (const c of POWER_CLASSES) if (maxPowerKw >= c.minKw) key = c.key;
  return key;
}

/** The colour of a connector-level OCPP status, mapped to the station palette. */
export function connectorStatusToStation(status: string): StationStatus {
  switch (status) {
    case "Available":
      return "available";
    case "Charging":
    case "Preparing":
    case "SuspendedEV":
    case "SuspendedEVSE":
    case "Finishing":
    case "Occupied":
    case "Reserved":
      return "charging";
    case "Faulted":
      return "faulted";
    case "Unavailable":
      return "unavailable";
    default:
      return "unknown";
  }
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return [128, 128, 128];
  return [
    Number.parseInt(m[1] ?? "80", 16),
    Number.parseInt(m[2] ?? "80", 16),
    Number.parseInt(m[3] ?? "80", 16),
  ];
}
