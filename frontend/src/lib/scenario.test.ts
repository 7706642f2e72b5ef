import { describe, expect, it } from "vitest";
import {
  breakdownRows,
  cellColor,
  decodeScenario,
  defaultForm,
  drawingBounds,
  emptyCollection,
  encodeScenario,
  fieldErrors,
  formField,
  isFinal,
  parseNumber,
  parseProgress,
  progressShare,
  rankedSites,
  reasonsOf,
  type ScenarioDefaults,
  scenarioBody,
} from "./scenario";

describe("scenario selection in the link", () => {
  it("round-trips id and metric, omitting the defaults", () => {
    expect(encodeScenario({ id: null, metric: "distance" })).toBe("");
    expect(encodeScenario({ id: 7, metric: "demand" })).toBe("scn=7");
    const hash = encodeScenario({ id: 7, metric: "distance" });
    expect(hash).toBe("scn=7&scn_by=distance");
    expect(decodeScenario(`#v=6/40/67/0/0&${hash}`)).toEqual({ id: 7, metric: "distance" });
  });

  it("ignores invalid values", () => {
    expect(decodeScenario("#scn=abc&scn_by=x")).toEqual({ id: null, metric: "demand" });
    expect(decodeScenario("#scn=-3")).toEqual({ id: null, metric: "demand" });
    expect(decodeScenario("")).toEqual({ id: null, metric: "demand" });
  });
});

describe("scenario results", () => {
  it("reads a breakdown and reasons stored as JSON text", () => {
    expect(breakdownRows('{"demand": 0.5, "grid": 1, "substation_spare_kw": null}')).toEqual([
      ["demand", 0.5],
      ["grid", 1],
    ]);
    expect(breakdownRows("not json")).toEqual([]);
    expect(reasonsOf('["no spare capacity"]')).toEqual(["no spare capacity"]);
    expect(reasonsOf(null)).toEqual([]);
  });

  it("colours distance cells without a charger grey", () => {
    expect(cellColor("demand")[0]).toBe("interpolate");
    expect(cellColor("distance")[0]).toBe("case");
  });

  it("bounds every layer's coordinates", () => {
    const d = {
      cells: {
        type: "FeatureCollection" as const,
        features: [
          {
            type: "Feature" as const,
            properties: {},
            geometry: {
              type: "Polygon" as const,
              coordinates: [
                [
                  [69, 41],
                  [69.5, 41],
                  [69.5, 41.5],
                  [69, 41],
                ],
              ],
            },
          },
        ],
      },
      candidates: {
        type: "FeatureCollection" as const,
        features: [
          {
            type: "Feature" as const,
            properties: {},
            geometry: { type: "Point" as const, coordinates: [70, 40.5] },
          },
        ],
      },
      corridors: emptyCollection(),
    };
    expect(drawingBounds(d)).toEqual([69, 40.5, 70, 41.5]);
    expect(
      drawingBounds({
        cells: emptyCollection(),
        candidates: emptyCollection(),
        corridors: emptyCollection(),
      }),
    ).toBeNull();
  });
});

const DEFAULTS: ScenarioDefaults = {
  parameters: [
    ["resolution", "h3", 8, false, true],
    ["year", "year", 2030, false, true],
    ["ev_fleet", "evs", null, true, false],
    ["kwh_per_ev_day", "kwh_per_ev_day", 6, false, false],
    ["n_sites", "sites", 10, true, true],
    ["budget_uzs", "uzs", null, true, true],
  ].map(([name, unit, def, optional, integer]) => ({
    name: name as string,
    unit: unit as string,
    default: def as number | null,
    minimum: 0,
    maximum: null,
    exclusive_minimum: false,
    integer: integer as boolean,
    optional: optional as boolean,
    description: null,
  })),
  rules: [],
  default_rules: ["afir", "nevi", "uz"],
};

describe("the new-scenario form", () => {
  it("starts from the server's defaults", () => {
    const f = defaultForm(DEFAULTS);
    expect(f.target).toBe("sites");
    expect(f.region).toBe("");
    expect(f.rules).toEqual(["afir", "nevi", "uz"]);
    expect(f.values).toMatchObject({
      resolution: "8",
      ev_fleet: "",
      n_sites: "10",
      budget_uzs: "",
    });
  });

  it("reads typed numbers leniently and keeps what is no number", () => {
    expect(parseNumber(" 12 ")).toBe(12);
    expect(parseNumber("1 500 000")).toBe(1500000);
    expect(parseNumber("0,4")).toBe(0.4);
    expect(parseNumber("")).toBeNull();
    expect(parseNumber("abc")).toBe("abc");
  });

  it("sends N sites or a budget, never both, and nulls empty optional fields", () => {
    const f = { ...defaultForm(DEFAULTS), name: " Sirdaryo 2030 ", region: "UZ-SI" };
    f.values = { ...f.values, resolution: "7", n_sites: "3", budget_uzs: "5000000000" };
    f.rules = ["uz", "afir"];
    expect(scenarioBody(f, DEFAULTS)).toEqual({
      name: "Sirdaryo 2030",
      region: "UZ-SI",
      resolution: 7,
      year: 2030,
      ev_fleet: null,
      kwh_per_ev_day: 6,
      n_sites: 3,
      budget_uzs: null,
      rules: ["afir", "uz"],
    });
    const b = scenarioBody(
      { ...f, region: "", target: "budget", values: { ...f.values, year: "" } },
      DEFAULTS,
    );
    expect(b).toMatchObject({ budget_uzs: 5000000000, n_sites: null });
    expect(b).not.toHaveProperty("region");
    expect(b).not.toHaveProperty("year"); // required and empty: the server's default
  });

  it("attaches server errors to the fields they name", () => {
    expect(
      fieldErrors(
        "invalid_input",
        "resolution: Input should be less than or equal to 9; weights.grid: Input should be a valid number",
      ),
    ).toEqual([
      {
        field: "resolution",
        code: "invalid_input",
        message: "Input should be less than or equal to 9",
      },
      { field: "weights.grid", code: "invalid_input", message: "Input should be a valid number" },
    ]);
    expect(fieldErrors("duplicate_name", "name: a scenario named 'x' exists already")).toEqual([
      { field: "name", code: "duplicate_name", message: "a scenario named 'x' exists already" },
    ]);
    // Messages with ": " inside are kept whole.
    expect(
      fieldErrors("unknown_region", "region: unknown region 'UZ-XX'; known: UZ-AN")[0],
    ).toEqual({
      field: "region",
      code: "unknown_region",
      message: "unknown region 'UZ-XX'; known: UZ-AN",
    });
    expect(fieldErrors("invalid_parameter", "give exactly one of n_sites or budget_uzs")).toEqual([
      {
        field: null,
        code: "invalid_parameter",
        message: "give exactly one of n_sites or budget_uzs",
      },
    ]);
    expect(formField("weights.grid")).toBe("weights");
    expect(formField("uz_rule.max_gap_km")).toBe("rules");
    expect(formField(null)).toBeNull();
  });
});

describe("run progress", () => {
  it("parses progress events and refuses anything else", () => {
    const p = parseProgress(
      '{"scenario_id": 4, "status": "running", "stage": "demand", "done": 2, "total": 6}',
    );
    expect(p).toEqual({ scenario_id: 4, status: "running", stage: "demand", done: 2, total: 6 });
    expect(parseProgress("nope")).toBeNull();
    expect(
      parseProgress('{"scenario_id": 4, "status": "weird", "stage": "", "done": 0, "total": 6}'),
    ).toBeNull();
    expect(parseProgress('{"scenario_id": 4}')).toBeNull();
  });

  it("turns progress into a share of the bar", () => {
    const p = { scenario_id: 1, status: "running" as const, stage: "grid", done: 3, total: 6 };
    expect(progressShare(p)).toBe(0.5);
    expect(progressShare({ ...p, done: 9 })).toBe(1);
    expect(progressShare({ ...p, total: 0 })).toBe(0);
    expect(progressShare({ ...p, status: "done", done: 0 })).toBe(1);
    expect(progressShare({ ...p, status: "cancelled", done: 0 })).toBe(0);
    expect(isFinal("done") && isFinal("failed") && isFinal("cancelled")).toBe(true);
    expect(isFinal("running") || isFinal("created")).toBe(false);
  });

  it("lists the selected sites by rank", () => {
    const site = (id: number, rank: number, selected: boolean) => ({
      type: "Feature" as const,
      properties: { id, rank, selected },
      geometry: { type: "Point" as const, coordinates: [69, 41] },
    });
    const fc = {
      type: "FeatureCollection" as const,
      features: [site(1, 5, true), site(2, 1, false), site(3, 2, true), site(4, 9, true)],
    };
    expect(rankedSites(fc).map((p) => p.id)).toEqual([3, 1, 4]);
    expect(rankedSites(fc, 2).map((p) => p.id)).toEqual([3, 1]);
  });
});
