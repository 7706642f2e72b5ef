import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LANGUAGES } from "./format";
import { keyPaths, pickLanguage, RESOURCES } from "./i18n";
import { LAYER_IDS } from "./state";
import { CONNECTOR_TYPES, POWER_CLASSES, STATION_STATUSES } from "./status";

const SRC = join(__dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Keys used in the code: t("a.b"), and template keys expanded over their closed sets. */
function usedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bt\(\s*"([a-zA-Z0-9_.]+)"/g)) if (m[1]) keys.add(m[1]);
    for (const m of text.matchAll(/label: "([a-z]+\.[a-zA-Z0-9_.]+)"/g)) if (m[1]) keys.add(m[1]);
    for (const m of text.matchAll(/(?:low|high): "([a-z]+\.[a-zA-Z0-9_.]+)"/g))
      if (m[1]) keys.add(m[1]);
  }
  for (const id of LAYER_IDS) keys.add(`layers.name.${id}`);
  for (const s of STATION_STATUSES) keys.add(`legend.status.${s}`);
  for (const c of POWER_CLASSES) keys.add(`legend.power.${c.key}`);
  for (const r of ["admin", "technician", "client", "partner"]) keys.add(`auth.role.${r}`);
  for (const c of ["remoteStart", "remoteStop", "reset", "available", "unavailable"]) {
    keys.add(`station.cmd.${c}`);
  }
  return keys;
}

describe("translations", () => {
  const english = new Set(keyPaths(RESOURCES.en));

  it.each(LANGUAGES)("%s has exactly the English keys", (lang) => {
    const keys = new Set(keyPaths(RESOURCES[lang]));
    expect([...english].filter((k) => !keys.has(k))).toEqual([]);
    expect([...keys].filter((k) => !english.has(k))).toEqual([]);
  });

  it.each(LANGUAGES)("%s has no empty text", (lang) => {
    const empty = keyPaths(RESOURCES[lang]).filter((k) => {
      let v: unknown = RESOURCES[lang];
      for (const part of k.split(".")) v = (v as Record<string, unknown>)[part];
      return typeof v !== "string" || v.trim() === "";
    });
    expect(empty).toEqual([]);
  });

  it("every key the code uses exists in every language", () => {
    const used = usedKeys();
    expect(used.size).toBeGreaterThan(80);
    for (const lang of LANGUAGES) {
      const keys = new Set(keyPaths(RESOURCES[lang]));
      expect(
        [...used].filter((k) => !keys.has(k)),
        lang,
      ).toEqual([]);
    }
  });

  it("connector types are codes, not translated", () => {
    expect(CONNECTOR_TYPES).toContain("GBT_DC");
  });
});

describe("pickLanguage", () => {
  it("prefers ?lang, then the remembered choice, then the browser, then Uzbek", () => {
    expect(pickLanguage("de", "ru", ["en-GB"])).toBe("de");
    expect(pickLanguage(null, "ru", ["en-GB"])).toBe("ru");
    expect(pickLanguage("xx", null, ["fr-FR", "en-US"])).toBe("en");
    expect(pickLanguage(null, null, ["fr-FR"])).toBe("uz");
  });
});
