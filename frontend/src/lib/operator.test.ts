import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import {
  actorLabel,
  auditChanges,
  EMPTY_TARIFF_FORM,
  effectiveQuery,
  formFromTariff,
  groupTariffs,
  hasOperatorArea,
  operatorErrorView,
  operatorTabsFor,
  parseSom,
  type TariffRow,
  tariffPayload,
  tashkentInstant,
  tashkentLocal,
  type UserRow,
  versionPayload,
  versionState,
} from "./operator";

const row = (over: Partial<TariffRow> = {}): TariffRow => ({
  id: 1,
  version: 1,
  name: "Standard",
  operator_id: 7,
  site_id: null,
  connector_type: null,
  power_min_kw: null,
  power_max_kw: null,
  valid_from: "2026-01-01T00:00:00+05:00",
  valid_to: null,
  energy_uzs_per_kwh: 1500,
  time_uzs_per_min: 0,
  session_fee_uzs: 0,
  idle_uzs_per_min: 0,
  idle_grace_min: 0,
  vat_percent: "12.00",
  night_start: null,
  night_end: null,
  night_energy_uzs_per_kwh: null,
  night_time_uzs_per_min: null,
  timezone: "Asia/Tashkent",
  ...over,
});

describe("tabs by role", () => {
  it("offers each role only what the API allows", () => {
    expect(operatorTabsFor("admin")).toEqual(["users", "operators", "tariffs", "tokens", "audit"]);
    expect(operatorTabsFor("technician")).toEqual(["operators", "tariffs"]);
    expect(operatorTabsFor("partner")).toEqual(["operators", "tariffs", "tokens"]);
    expect(operatorTabsFor("client")).toEqual([]);
    expect(hasOperatorArea("client")).toBe(false);
    expect(hasOperatorArea(undefined)).toBe(false);
    expect(hasOperatorArea("technician")).toBe(true);
  });
});

describe("money and time", () => {
  it("reads whole so'm as typed, never fractions", () => {
    expect(parseSom("12 500")).toBe(12500);
    expect(parseSom("12\u00a0500")).toBe(12500);
    expect(parseSom("1500")).toBe(1500);
    expect(parseSom("-5")).toBe(-5); // the server says why not
    expect(parseSom("1.5")).toBeNull();
    expect(parseSom("1,5")).toBeNull();
    expect(parseSom("abc")).toBeNull();
    expect(parseSom("")).toBeNull();
  });

  it("takes datetime-local values as Tashkent time", () => {
    expect(tashkentInstant("2026-12-07T10:00")).toBe("2026-12-07T10:00:00+05:00");
    expect(tashkentInstant("2026-12-07T10:00:30")).toBe("2026-12-07T10:00:30+05:00");
    expect(tashkentInstant("07.12.2026")).toBeNull();
    expect(tashkentLocal("2026-12-07T05:00:00Z")).toBe("2026-12-07T10:00");
  });
});

describe("tariff form → API payload", () => {
  const form = {
    ...EMPTY_TARIFF_FORM,
    name: " Day/night ",
    operatorId: "7",
    connectorType: "CCS2",
    validFrom: "2027-01-01T00:00",
    energy: "2 000",
    sessionFee: "1000",
    nightStart: "22:00",
    nightEnd: "06:00",
    nightEnergy: "1200",
  };

  it("sends integers for money and strings for VAT, with the night band", () => {
    const res = tariffPayload(form);
    expect(res).toEqual({
      ok: true,
      body: {
        name: "Day/night",
        operator_id: 7,
        connector_type: "CCS2",
        power_min_kw: null,
        power_max_kw: null,
        valid_from: "2027-01-01T00:00:00+05:00",
        valid_to: null,
        energy_uzs_per_kwh: 2000,
        time_uzs_per_min: 0,
        session_fee_uzs: 1000,
        idle_uzs_per_min: 0,
        idle_grace_min: 0,
        vat_percent: "12",
        night_start: "22:00",
        night_end: "06:00",
        night_energy_uzs_per_kwh: 1200,
        night_time_uzs_per_min: null,
      },
    });
    if (res.ok) {
      for (const v of Object.values(res.body)) {
        if (typeof v === "number") expect(Number.isInteger(v)).toBe(true);
      }
    }
  });

  it("drops night prices without a night band; a network tariff has no operator", () => {
    const res = tariffPayload({ ...form, operatorId: "", nightStart: "", nightEnd: "" });
    expect(res.ok && res.body.operator_id).toBe(null);
    expect(res.ok && res.body.night_energy_uzs_per_kwh).toBe(null);
  });

  it("names the fields that are wrong before asking the server", () => {
    const res = tariffPayload({
      ...form,
      name: "",
      validFrom: "",
      energy: "1.5",
      vat: "abc",
      powerMinKw: "x",
    });
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.problems).toEqual([
        { field: "name", problem: "required" },
        { field: "validFrom", problem: "required" },
        { field: "energy", problem: "wholeSom" },
        { field: "vat", problem: "percent" },
        { field: "powerMinKw", problem: "kw" },
      ]);
  });

  it("a version keeps the scope: only period and prices, from the current version", () => {
    const current = row({
      energy_uzs_per_kwh: 1500,
      night_start: "22:00:00",
      night_end: "06:00:00",
      night_energy_uzs_per_kwh: 900,
    });
    const f = formFromTariff(current);
    expect(f.nightStart).toBe("22:00");
    expect(f.validFrom).toBe("");
    const res = versionPayload({ ...f, validFrom: "2027-02-01T00:00", energy: "1800" });
    expect(res.ok).toBe(true);
    if (res.ok) {
      expect(res.body).not.toHaveProperty("operator_id");
      expect(res.body).not.toHaveProperty("connector_type");
      expect(res.body).toMatchObject({
        name: "Standard",
        valid_from: "2027-02-01T00:00:00+05:00",
        energy_uzs_per_kwh: 1800,
        night_energy_uzs_per_kwh: 900,
        vat_percent: "12.00",
      });
    }
  });
});

describe("tariff versions", () => {
  it("groups versions by scope, oldest first", () => {
    const v2 = row({ id: 3, version: 2, valid_from: "2026-06-01T00:00:00+05:00" });
    const v1 = row({ id: 1, valid_to: "2026-06-01T00:00:00+05:00" });
    const dc = row({ id: 2, connector_type: "CCS2" });
    const groups = groupTariffs([v2, dc, v1]);
    expect(groups).toHaveLength(2);
    expect(groups[0]?.versions.map((v) => v.id)).toEqual([1, 3]);
    expect(groups[1]?.connectorType).toBe("CCS2");
  });

  it("tells current, upcoming and ended versions apart", () => {
    const now = new Date("2026-07-01T00:00:00Z");
    expect(versionState(row(), now)).toBe("current");
    expect(versionState(row({ valid_from: "2027-01-01T00:00:00Z" }), now)).toBe("future");
    expect(versionState(row({ valid_to: "2026-06-01T00:00:00Z" }), now)).toBe("past");
  });

  it("builds the effective-tariff query", () => {
    expect(
      effectiveQuery({
        operatorId: "7",
        connectorType: "CCS2",
        powerKw: "60",
        at: "2026-12-07T23:30",
      }),
    ).toBe("operator_id=7&connector_type=CCS2&power_kw=60&at=2026-12-07T23%3A30%3A00%2B05%3A00");
    expect(effectiveQuery({ operatorId: "", connectorType: "", powerKw: "", at: "" })).toBe("");
    expect(effectiveQuery({ operatorId: "1", connectorType: "", powerKw: "fast", at: "" })).toBe(
      null,
    );
  });
});

describe("errors and audit", () => {
  it("explains operator codes and falls back to the cabinet's", () => {
    expect(operatorErrorView(new ApiError(409, "overlaps tariff 3", "tariff_overlap"))).toEqual({
      key: "operator.error.tariff_overlap",
      detail: "overlaps tariff 3",
    });
    expect(operatorErrorView(new ApiError(422, "too weak", "weak_password")).key).toBe(
      "cabinet.error.weak_password",
    );
    expect(operatorErrorView(new ApiError(403, "no", "forbidden_role")).key).toBe(
      "operator.error.forbidden_role",
    );
    expect(operatorErrorView(new ApiError(500, "boom", "internal")).key).toBeNull();
    const negative = "energy_uzs_per_kwh: Input should be greater than or equal to 0";
    expect(operatorErrorView(new ApiError(422, negative, "invalid_input"))).toEqual({
      key: "operator.error.negative_price",
      detail: negative,
    });
    expect(operatorErrorView(new ApiError(422, "name: too short", "invalid_input")).key).toBe(
      "operator.error.invalid_input",
    );
  });

  it("lists changed fields only", () => {
    expect(
      auditChanges(
        { status: "Accepted", token: "AB", updated_at: "x" },
        { status: "Blocked", token: "AB", updated_at: "y" },
      ),
    ).toEqual([{ field: "status", before: '"Accepted"', after: '"Blocked"' }]);
    expect(auditChanges(null, { name: "Op" })).toEqual([
      { field: "name", before: null, after: '"Op"' },
    ]);
  });

  it("names actors by e-mail when known", () => {
    const users = new Map<number, UserRow>([
      [
        5,
        {
          id: 5,
          email: "boss@example.uz",
          phone: null,
          full_name: null,
          role: "admin",
          operator_ids: [],
          is_active: true,
          created_at: "2026-01-01T00:00:00Z",
        },
      ],
    ]);
    expect(actorLabel("user:5", users)).toBe("boss@example.uz");
    expect(actorLabel("user:6", users)).toBe("user:6");
    expect(actorLabel("admin-token", users)).toBe("admin-token");
  });
});
