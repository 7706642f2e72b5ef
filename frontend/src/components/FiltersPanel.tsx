import type { Filters } from "../lib/state";
import { EMPTY_FILTERS } from "../lib/state";
import {
  CONNECTOR_TYPES,
  type ConnectorType,
  STATION_STATUSES,
  STATUS_COLORS,
} from "../lib/status";
import { useI18n } from "./i18n";

export interface RegionOption {
  iso_code: string;
  name_en: string;
  name_ru: string | null;
  name_uz: string | null;
  bbox: [number, number, number, number] | null;
}

interface Props {
  filters: Filters;
  regions: RegionOption[];
  onChange: (f: Filters) => void;
}

export function regionName(r: RegionOption, lang: string): string {
  if (lang === "ru") return r.name_ru ?? r.name_en;
  if (lang === "uz") return r.name_uz ?? r.name_en;
  return r.name_en;
}

export function FiltersPanel({ filters, regions, onChange }: Props) {
  const { t, lang } = useI18n();
  return (
    <section class="panel" data-testid="filters-panel">
      <h2>{t("filters.title")}</h2>
      <fieldset>
        <legend>{t("filters.status")}</legend>
        {STATION_STATUSES.map((s) => (
          <label key={s} class="check">
            <input
              type="checkbox"
              data-testid={`filter-status-${s}`}
              checked={filters.status.includes(s)}
              onChange={(e) =>
                onChange({
                  ...filters,
                  status: e.currentTarget.checked
                    ? [...filters.status, s]
                    : filters.status.filter((x) => x !== s),
                })
              }
            />
            <span class="dot" style={{ background: STATUS_COLORS[s] }} />
            {t(`legend.status.${s}`)}
          </label>
        ))}
      </fieldset>
      <label class="field">
        {t("filters.connector")}
        <select
          data-testid="filter-connector"
          value={filters.connector ?? ""}
          onChange={(e) =>
            onChange({
              ...filters,
              connector: (e.currentTarget.value || null) as ConnectorType | null,
            })
          }
        >
          <option value="">{t("filters.any")}</option>
          {CONNECTOR_TYPES.map((c) => (
            <option key={c} value={c}>
              {c.replace("_", " ")}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        {t("filters.minPower")}
        <input
          type="number"
          min={0}
          max={1000}
          step={10}
          data-testid="filter-min-power"
          value={filters.minPowerKw ?? ""}
          onChange={(e) => {
            const v = e.currentTarget.value;
            const n = Number(v);
            onChange({
              ...filters,
              minPowerKw: v === "" || !Number.isFinite(n) || n < 0 ? null : n,
            });
          }}
        />
      </label>
      <label class="field">
        {t("filters.operator")}
        <input
          type="text"
          data-testid="filter-operator"
          value={filters.operator ?? ""}
          onChange={(e) => onChange({ ...filters, operator: e.currentTarget.value.trim() || null })}
        />
      </label>
      <label class="field">
        {t("filters.region")}
        <select
          data-testid="filter-region"
          value={filters.region ?? ""}
          onChange={(e) => onChange({ ...filters, region: e.currentTarget.value || null })}
        >
          <option value="">{t("filters.any")}</option>
          {regions.map((r) => (
            <option key={r.iso_code} value={r.iso_code}>
              {regionName(r, lang)}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        data-testid="filter-reset"
        onClick={() => onChange({ ...EMPTY_FILTERS, status: [] })}
      >
        {t("filters.reset")}
      </button>
    </section>
  );
}
