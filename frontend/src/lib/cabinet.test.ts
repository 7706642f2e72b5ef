import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import {
  CABINET_TABS,
  errorView,
  isSignedOut,
  KNOWN_ERRORS,
  sessionsQuery,
  signedOutOr,
  tokenKindKey,
} from "./cabinet";
import { LANGUAGES } from "./format";
import { keyPaths, RESOURCES } from "./i18n";

describe("sessionsQuery", () => {
  it("turns Tashkent days into an instant range, the last day included", () => {
    const q = new URLSearchParams(sessionsQuery({ from: "2026-01-31", to: "2026-02-28" }));
    expect(q.get("since")).toBe("2026-01-31T00:00:00+05:00");
    expect(q.get("until")).toBe("2026-03-01T00:00:00+05:00");
    expect(q.get("limit")).toBe("100");
    expect(q.has("status")).toBe(false);
  });

  it("leaves out empty or malformed days and passes the status and charge point", () => {
    const q = new URLSearchParams(
      sessionsQuery({ from: "", to: "31.12.2026", status: "active", chargePointId: "QV 1" }),
    );
    expect(q.has("since")).toBe(false);
    expect(q.has("until")).toBe(false);
    expect(q.get("status")).toBe("active");
    expect(q.get("charge_point_id")).toBe("QV 1");
  });

  it("rolls over the end of a year", () => {
    const q = new URLSearchParams(sessionsQuery({ to: "2026-12-31" }));
    expect(q.get("until")).toBe("2027-01-01T00:00:00+05:00");
  });
});

describe("errors", () => {
  it("explains a known code and keeps the server's words", () => {
    const v = errorView(new ApiError(422, "password: too weak; needs x", "weak_password"));
    expect(v).toEqual({
      key: "cabinet.error.weak_password",
      detail: "password: too weak; needs x",
    });
  });

  it("shows an unknown code by the server's words alone", () => {
    expect(errorView(new ApiError(500, "boom", "internal")).key).toBeNull();
    expect(errorView(new Error("x")).detail).toBe("x");
  });

  it("a bad or missing token signs out; a wrong password does not", () => {
    expect(isSignedOut(new ApiError(401, "invalid or expired token", "invalid_token"))).toBe(true);
    expect(isSignedOut(new ApiError(401, "password: incorrect", "bad_credentials"))).toBe(false);
  });
});

describe("signedOutOr", () => {
  it("sends a signed-out caller one way and any other error the other", () => {
    const out: unknown[] = [];
    const shown: unknown[] = [];
    const handle = signedOutOr(
      (e) => out.push(e),
      (e) => shown.push(e),
    );
    const expired = new ApiError(401, "invalid or expired token", "invalid_token");
    const weak = new ApiError(422, "password: too weak", "weak_password");
    handle(expired);
    handle(weak);
    handle(new Error("offline"));
    expect(out).toEqual([expired]);
    expect(shown).toEqual([weak, new Error("offline")]);
  });
});

describe("tokenKindKey", () => {
  it("names app tokens and RFID cards", () => {
    expect(tokenKindKey("Central")).toBe("cabinet.tokens.app");
    expect(tokenKindKey("ISO14443")).toBe("cabinet.tokens.rfid");
  });
});

describe("cabinet translations", () => {
  // Keys the cabinet builds from closed sets (the code-scan of i18n.test.ts cannot see them).
  const built = [
    ...CABINET_TABS.map((id) => `cabinet.tab.${id}`),
    ...KNOWN_ERRORS.map((c) => `cabinet.error.${c}`),
    ...["charging", "stopping", "completed"].map((s) => `cabinet.charge.state.${s}`),
  ];

  it.each(LANGUAGES)("%s has every built key", (lang) => {
    const keys = new Set(keyPaths(RESOURCES[lang]));
    expect(built.filter((k) => !keys.has(k))).toEqual([]);
  });

  it("Russian and Uzbek are not English copies", () => {
    const en = RESOURCES.en.cabinet;
    expect(RESOURCES.ru.cabinet.charge.start).not.toBe(en.charge.start);
    expect(RESOURCES.uz.cabinet.charge.start).not.toBe(en.charge.start);
    expect(RESOURCES.ru.cabinet.tab.sessions).toMatch(/[А-Яа-я]/);
  });
});
