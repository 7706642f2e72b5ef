import { useEffect, useState } from "preact/hooks";
import { ApiError, apiFetch } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import { formatNumber, formatSom } from "../lib/format";
import {
  defaultForm,
  type FieldError,
  FORM_SPECIAL_PARAMS,
  fieldErrors,
  formField,
  type ParameterInfo,
  parseNumber,
  RULE_NAMES,
  type Scenario,
  type ScenarioDefaults,
  type ScenarioForm,
  scenarioBody,
} from "../lib/scenario";
import { type RegionOption, regionName } from "./FiltersPanel";
import { useI18n } from "./i18n";

interface Props {
  regions: RegionOption[];
  onCreated: (s: Scenario) => void;
  onClose: () => void;
}

/** The message of a server error: translated when the code has a key, else the server's. */
function useErrorText() {
  const { t } = useI18n();
  return (e: FieldError) =>
    t(`scenarios.new.errors.${e.code}`, { defaultValue: e.message, detail: e.message });
}

function Errors({ errors, field }: { errors: FieldError[]; field: string }) {
  const text = useErrorText();
  const mine = errors.filter((e) => formField(e.field) === field);
  if (mine.length === 0) return null;
  return (
    <span class="field-error" data-testid={`scenario-new-error-${field}`} role="alert">
      {mine.map(text).join(" ")}
    </span>
  );
}

/** "≥ 0 · ≤ 100 · default 5" for a parameter, in the user's language. */
function hint(
  p: ParameterInfo,
  lang: Parameters<typeof formatNumber>[0],
  t: (k: string, o?: Record<string, unknown>) => string,
) {
  const parts: string[] = [];
  // Years and H3 levels are labels, not amounts: no thousands separator.
  const n = (v: number) =>
    p.unit === "year" || p.unit === "h3" ? String(v) : formatNumber(lang, v, 4);
  if (p.minimum !== null) parts.push(`${p.exclusive_minimum ? ">" : "≥"} ${n(p.minimum)}`);
  if (p.maximum !== null) parts.push(`≤ ${n(p.maximum)}`);
  parts.push(
    p.default === null
      ? t(`scenarios.new.noDefault.${p.name}`, { defaultValue: t("scenarios.new.noDefault.any") })
      : t("scenarios.new.default", { value: n(p.default) }),
  );
  return parts.join(" · ");
}

export function NewScenarioForm({ regions, onCreated, onClose }: Props) {
  const { t, lang } = useI18n();
  const [defaults, setDefaults] = useState<ScenarioDefaults | null>(null);
  const [form, setForm] = useState<ScenarioForm | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const errorText = useErrorText();

  useEffect(() => {
    apiFetch<ScenarioDefaults>(ENDPOINTS.scenarioDefaults)
      .then((d) => {
        setDefaults(d);
        setForm(defaultForm(d));
      })
      .catch((e: unknown) =>
        setErrors(
          e instanceof ApiError
            ? fieldErrors(e.code, e.detail)
            : [{ field: null, code: "network_error", message: String(e) }],
        ),
      );
  }, []);

  // Errors of a field the form shows go next to it; the others below the form.
  const shown = ["name", "region", "rules", ...(defaults?.parameters.map((p) => p.name) ?? [])];
  const general = errors.filter((e) => {
    const f = formField(e.field);
    return f === null || !shown.includes(f);
  });

  if (!defaults || !form) {
    return (
      <div class="scenario-new" data-testid="scenario-new-form">
        {errors.length > 0 ? (
          <p class="notice error" data-testid="scenario-new-errors">
            {errors.map(errorText).join(" ")}
          </p>
        ) : (
          <p class="muted">{t("scenarios.loading")}</p>
        )}
      </div>
    );
  }

  const set = (patch: Partial<ScenarioForm>) => setForm({ ...form, ...patch });
  const setValue = (name: string, v: string) => set({ values: { ...form.values, [name]: v } });
  const param = (name: string) => defaults.parameters.find((p) => p.name === name);
  const resolution = param("resolution");
  const sites = param("n_sites");
  const budget = param("budget_uzs");
  const others = defaults.parameters.filter(
    (p) => !(FORM_SPECIAL_PARAMS as readonly string[]).includes(p.name),
  );
  const unit = (p: ParameterInfo) => t(`scenarios.new.unit.${p.unit}`, { defaultValue: p.unit });
  const budgetValue = parseNumber(form.values.budget_uzs ?? "");

  const numberInput = (p: ParameterInfo) => (
    <input
      type="text"
      inputMode={p.integer ? "numeric" : "decimal"}
      id={`scenario-new-${p.name}`}
      data-testid={`scenario-new-${p.name}`}
      name={p.name}
      value={form.values[p.name] ?? ""}
      placeholder={
        p.default === null ? t(`scenarios.new.placeholder.${p.name}`, { defaultValue: "" }) : ""
      }
      onInput={(e) => setValue(p.name, e.currentTarget.value)}
    />
  );

  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    apiFetch<Scenario>(ENDPOINTS.scenarioCreate, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(scenarioBody(form, defaults)),
    })
      .then((s) => onCreated(s))
      .catch((err: unknown) =>
        setErrors(
          err instanceof ApiError
            ? fieldErrors(err.code, err.detail)
            : [{ field: null, code: "network_error", message: String(err) }],
        ),
      )
      .finally(() => setBusy(false));
  };

  return (
    <form class="scenario-new" data-testid="scenario-new-form" onSubmit={submit} noValidate>
      <h3>{t("scenarios.new.title")}</h3>
      <label class="field">
        {t("scenarios.new.name")}
        <input
          data-testid="scenario-new-name"
          name="name"
          value={form.name}
          maxLength={200}
          onInput={(e) => set({ name: e.currentTarget.value })}
        />
        <Errors errors={errors} field="name" />
      </label>
      <label class="field">
        {t("scenarios.new.region")}
        <select
          data-testid="scenario-new-region"
          value={form.region}
          onChange={(e) => set({ region: e.currentTarget.value })}
        >
          <option value="">{t("scenarios.new.wholeCountry")}</option>
          {regions.map((r) => (
            <option key={r.iso_code} value={r.iso_code}>
              {regionName(r, lang)}
            </option>
          ))}
        </select>
        <Errors errors={errors} field="region" />
      </label>
      {resolution && (
        <label class="field">
          {t("scenarios.new.resolution")}
          <select
            data-testid="scenario-new-resolution"
            value={form.values.resolution}
            onChange={(e) => setValue("resolution", e.currentTarget.value)}
          >
            {Array.from(
              { length: (resolution.maximum ?? 9) - (resolution.minimum ?? 6) + 1 },
              (_, k) => (resolution.minimum ?? 6) + k,
            ).map((r) => (
              <option key={r} value={String(r)}>
                {t(`scenarios.new.resolutionOption.${r}`, { defaultValue: String(r) })}
                {r === resolution.default ? ` (${t("scenarios.new.default", { value: r })})` : ""}
              </option>
            ))}
          </select>
          <Errors errors={errors} field="resolution" />
        </label>
      )}
      <fieldset class="scenario-target">
        <legend>{t("scenarios.new.target")}</legend>
        {sites && (
          <div class="field-inline">
            <label>
              <input
                type="radio"
                name="scenario-target"
                data-testid="scenario-new-target-sites"
                checked={form.target === "sites"}
                onChange={() => set({ target: "sites" })}
              />{" "}
              {t("scenarios.new.param.n_sites")} ({unit(sites)})
            </label>
            {form.target === "sites" && numberInput(sites)}
            <span class="muted field-hint">{hint(sites, lang, t)}</span>
            <Errors errors={errors} field="n_sites" />
          </div>
        )}
        {budget && (
          <div class="field-inline">
            <label>
              <input
                type="radio"
                name="scenario-target"
                data-testid="scenario-new-target-budget"
                checked={form.target === "budget"}
                onChange={() => set({ target: "budget" })}
              />{" "}
              {t("scenarios.new.param.budget_uzs")} ({unit(budget)})
            </label>
            {form.target === "budget" && numberInput(budget)}
            {form.target === "budget" && typeof budgetValue === "number" && (
              <span class="muted field-hint" data-testid="scenario-new-budget-formatted">
                {formatSom(lang, budgetValue)}
              </span>
            )}
            <Errors errors={errors} field="budget_uzs" />
          </div>
        )}
      </fieldset>
      <fieldset class="scenario-rules">
        <legend>{t("scenarios.new.rules")}</legend>
        {RULE_NAMES.map((name) => {
          const r = defaults.rules.find((x) => x.name === name);
          return (
            <label key={name} class="check">
              <input
                type="checkbox"
                data-testid={`scenario-new-rule-${name}`}
                checked={form.rules.includes(name)}
                onChange={(e) =>
                  set({
                    rules: e.currentTarget.checked
                      ? [...form.rules, name]
                      : form.rules.filter((x) => x !== name),
                  })
                }
              />
              <span>
                {t(`scenarios.new.rule.${name}`)}
                {r && (
                  <span class="muted field-hint">
                    {" "}
                    {t("scenarios.new.ruleSummary", {
                      gap: formatNumber(lang, r.max_gap_km),
                      offset: formatNumber(lang, r.max_offset_km, 1),
                      pool: formatNumber(lang, r.min_pool_kw),
                      points: r.min_points,
                      kw: formatNumber(lang, r.min_point_kw),
                    })}
                  </span>
                )}
              </span>
            </label>
          );
        })}
        <Errors errors={errors} field="rules" />
      </fieldset>
      <fieldset class="scenario-params">
        <legend>{t("scenarios.new.parameters")}</legend>
        {others.map((p) => (
          <label key={p.name} class="field" htmlFor={`scenario-new-${p.name}`}>
            <span>
              {t(`scenarios.new.param.${p.name}`, { defaultValue: p.description ?? p.name })} (
              {unit(p)})
            </span>
            {numberInput(p)}
            <span class="muted field-hint" data-testid={`scenario-new-hint-${p.name}`}>
              {hint(p, lang, t)}
            </span>
            <Errors errors={errors} field={p.name} />
          </label>
        ))}
      </fieldset>
      {general.length > 0 && (
        <p class="notice error" data-testid="scenario-new-errors" role="alert">
          {general
            .map((e) =>
              e.field
                ? `${t(`scenarios.new.param.${formField(e.field)}`, { defaultValue: e.field })}: ${errorText(e)}`
                : errorText(e),
            )
            .join(" ")}
        </p>
      )}
      <div class="row">
        <button type="submit" data-testid="scenario-new-submit" disabled={busy}>
          {t("scenarios.new.create")}
        </button>
        <button type="button" data-testid="scenario-new-cancel" onClick={onClose}>
          {t("scenarios.new.close")}
        </button>
      </div>
    </form>
  );
}
