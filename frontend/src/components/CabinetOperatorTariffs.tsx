import type { ComponentChildren, TargetedEvent } from "preact";
import { useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { meFetch, signedOutOr } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDate, formatSom, type Language } from "../lib/format";
import {
  CONNECTOR_TYPES,
  EMPTY_TARIFF_FORM,
  effectiveQuery,
  type FormProblem,
  formFromTariff,
  groupTariffs,
  type OperatorRow,
  operatorErrorView,
  type PayloadResult,
  type TariffForm,
  type TariffGroup,
  type TariffRow,
  tariffPayload,
  versionPayload,
  versionState,
} from "../lib/operator";
import {
  ConfirmButton,
  ErrorNotice,
  InputField,
  OperatorTable,
  useMeFetched,
} from "./CabinetCommon";
import type { OperatorProps } from "./CabinetOperator";
import { useI18n } from "./i18n";

type Translate = (key: string, options?: Record<string, unknown>) => string;

/** The prices of a version as one line each: energy (day/night), minute, idle, fee, VAT. */
function priceLines(t: Translate, lang: Language, v: TariffRow): string[] {
  const som = (n: number) => formatSom(lang, n);
  const lines: string[] = [];
  if (v.night_start && v.night_end) {
    lines.push(
      t("operator.tariffs.energyDay", { price: som(v.energy_uzs_per_kwh) }),
      t("operator.tariffs.energyNight", {
        price: som(v.night_energy_uzs_per_kwh ?? v.energy_uzs_per_kwh),
        from: v.night_start.slice(0, 5),
        to: v.night_end.slice(0, 5),
      }),
    );
  } else {
    lines.push(t("operator.tariffs.energy", { price: som(v.energy_uzs_per_kwh) }));
  }
  if (v.time_uzs_per_min)
    lines.push(t("operator.tariffs.perMinuteShow", { price: som(v.time_uzs_per_min) }));
  if (v.night_time_uzs_per_min !== null && v.night_start)
    lines.push(t("operator.tariffs.nightPerMinuteShow", { price: som(v.night_time_uzs_per_min) }));
  if (v.idle_uzs_per_min)
    lines.push(
      t("operator.tariffs.idleShow", {
        price: som(v.idle_uzs_per_min),
        grace: String(v.idle_grace_min),
      }),
    );
  if (v.session_fee_uzs)
    lines.push(t("operator.tariffs.sessionFeeShow", { price: som(v.session_fee_uzs) }));
  lines.push(t("operator.tariffs.vatShow", { vat: String(Number(v.vat_percent)) }));
  return lines;
}

function scopeText(
  t: Translate,
  g: {
    connectorType: string | null;
    powerMinKw: string | null;
    powerMaxKw: string | null;
    siteId: number | null;
  },
): string {
  const parts = [g.connectorType ?? t("operator.tariffs.anyConnector")];
  if (g.powerMinKw !== null || g.powerMaxKw !== null)
    parts.push(
      t("operator.tariffs.powerClass", {
        min: g.powerMinKw === null ? "0" : String(Number(g.powerMinKw)),
        max: g.powerMaxKw === null ? "∞" : String(Number(g.powerMaxKw)),
      }),
    );
  if (g.siteId !== null) parts.push(t("operator.tariffs.site", { id: String(g.siteId) }));
  return parts.join(" · ");
}

/** A select of the tariff screens, under its label when it has one (a filter in a header
 * has none: its name is `ariaLabel`). */
function Select({
  label,
  testId,
  ariaLabel,
  value,
  onValue,
  children,
}: {
  label?: string;
  testId: string;
  ariaLabel?: string;
  value: string;
  onValue: (value: string) => void;
  children: ComponentChildren;
}) {
  const onChange = (e: TargetedEvent<HTMLSelectElement>) => onValue(e.currentTarget.value);
  if (label === undefined)
    return (
      <select data-testid={testId} aria-label={ariaLabel} value={value} onChange={onChange}>
        {children}
      </select>
    );
  return (
    <label class="field">
      {label}
      <select data-testid={testId} value={value} onChange={onChange}>
        {children}
      </select>
    </label>
  );
}

/** The operators as options, the empty choice first (the whole network, or any). */
function OperatorOptions({ operators, empty }: { operators: OperatorRow[]; empty: string }) {
  return (
    <>
      <option value="">{empty}</option>
      {operators.map((o) => (
        <option key={o.id} value={String(o.id)}>
          {o.name}
        </option>
      ))}
    </>
  );
}

/** The connector types as options, any first. */
function ConnectorOptions() {
  const { t } = useI18n();
  return (
    <>
      <option value="">{t("operator.tariffs.anyConnector")}</option>
      {CONNECTOR_TYPES.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </>
  );
}

function Field({
  form,
  set,
  field,
  label,
  problems,
  type = "text",
  inputMode,
  placeholder,
}: {
  form: TariffForm;
  set: (f: TariffForm) => void;
  field: keyof TariffForm;
  label: string;
  problems: FormProblem[];
  type?: string;
  inputMode?: "numeric" | "decimal";
  placeholder?: string;
}) {
  const { t } = useI18n();
  const problem = problems.find((p) => p.field === field);
  return (
    <label class="field">
      {label}
      <input
        data-testid={`tariff-${field}`}
        type={type}
        inputMode={inputMode}
        placeholder={placeholder}
        aria-invalid={problem ? true : undefined}
        value={form[field]}
        onInput={(e) => set({ ...form, [field]: e.currentTarget.value })}
      />
      {problem && (
        <span class="field-problem" data-testid="tariff-problem">
          {t(`operator.tariffs.invalid.${problem.problem}`)}
        </span>
      )}
    </label>
  );
}

/** The tariff form: a new tariff (scope + period + prices) or a new version of one
 * (period + prices, starting from the current version's). */
function TariffFormView({
  mode,
  initial,
  operators,
  onSave,
  onCancel,
  onError,
}: {
  mode: "create" | "version";
  initial: TariffForm;
  operators: OperatorRow[];
  onSave: (body: Record<string, unknown>) => Promise<unknown>;
  onCancel?: () => void;
  onError: (e: unknown) => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<TariffForm>(initial);
  const [problems, setProblems] = useState<FormProblem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    const res: PayloadResult = mode === "create" ? tariffPayload(form) : versionPayload(form);
    if (!res.ok) {
      setProblems(res.problems);
      return;
    }
    setProblems([]);
    setBusy(true);
    onSave(res.body)
      .then(() => setForm(mode === "create" ? { ...initial, validFrom: "", validTo: "" } : form))
      .catch(signedOutOr(onError, setError))
      .finally(() => setBusy(false));
  };
  const f = { form, set: setForm, problems };
  const som = "numeric" as const;
  return (
    <form class="tariff-form" data-testid={`tariff-form-${mode}`} onSubmit={submit}>
      <Field {...f} field="name" label={t("operator.tariffs.name")} />
      {mode === "create" && (
        <div class="form-grid">
          <Select
            label={t("operator.tariffs.operator")}
            testId="tariff-operatorId"
            value={form.operatorId}
            onValue={(operatorId) => setForm({ ...form, operatorId })}
          >
            <OperatorOptions operators={operators} empty={t("operator.tariffs.network")} />
          </Select>
          <Select
            label={t("operator.tariffs.connectorType")}
            testId="tariff-connectorType"
            value={form.connectorType}
            onValue={(connectorType) => setForm({ ...form, connectorType })}
          >
            <ConnectorOptions />
          </Select>
          <Field
            {...f}
            field="powerMinKw"
            label={t("operator.tariffs.powerMin")}
            inputMode="decimal"
          />
          <Field
            {...f}
            field="powerMaxKw"
            label={t("operator.tariffs.powerMax")}
            inputMode="decimal"
          />
        </div>
      )}
      <div class="form-grid">
        <Field
          {...f}
          field="validFrom"
          type="datetime-local"
          label={t("operator.tariffs.validFrom")}
        />
        <Field {...f} field="validTo" type="datetime-local" label={t("operator.tariffs.validTo")} />
      </div>
      <p class="muted small">{t("operator.tariffs.timeHint")}</p>
      <fieldset>
        <legend>{t("operator.tariffs.prices")}</legend>
        <div class="form-grid">
          <Field {...f} field="energy" label={t("operator.tariffs.energyLabel")} inputMode={som} />
          <Field {...f} field="perMinute" label={t("operator.tariffs.perMinute")} inputMode={som} />
          <Field
            {...f}
            field="sessionFee"
            label={t("operator.tariffs.sessionFee")}
            inputMode={som}
          />
          <Field {...f} field="idle" label={t("operator.tariffs.idle")} inputMode={som} />
          <Field {...f} field="idleGrace" label={t("operator.tariffs.idleGrace")} inputMode={som} />
          <Field {...f} field="vat" label={t("operator.tariffs.vat")} inputMode="decimal" />
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("operator.tariffs.night")}</legend>
        <div class="form-grid">
          <Field {...f} field="nightStart" type="time" label={t("operator.tariffs.nightStart")} />
          <Field {...f} field="nightEnd" type="time" label={t("operator.tariffs.nightEnd")} />
          <Field
            {...f}
            field="nightEnergy"
            label={t("operator.tariffs.nightEnergy")}
            inputMode={som}
          />
          <Field
            {...f}
            field="nightPerMinute"
            label={t("operator.tariffs.nightPerMinute")}
            inputMode={som}
          />
        </div>
        <p class="muted small">{t("operator.tariffs.nightHint")}</p>
      </fieldset>
      <p class="muted small">{t("operator.tariffs.moneyHint")}</p>
      <ErrorNotice error={error} testId="tariff-error" explain={operatorErrorView} />
      <div class="row">
        <button type="submit" class="primary" data-testid="tariff-save" disabled={busy}>
          {mode === "create" ? t("operator.tariffs.create") : t("operator.tariffs.addVersion")}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t("operator.cancel")}
          </button>
        )}
      </div>
    </form>
  );
}

function TariffGroupView({
  group,
  admin,
  props,
  reload,
}: {
  group: TariffGroup;
  admin: boolean;
  props: OperatorProps;
  reload: () => void;
}) {
  const { t, lang } = useI18n();
  const [adding, setAdding] = useState(false);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest = group.versions[group.versions.length - 1];
  if (!latest) return null;
  const now = new Date();
  // Only a version not yet in effect can be withdrawn (the server refuses others).
  const withdraw = (v: TariffRow) => {
    setConfirming(null);
    setError(null);
    meFetch(ENDPOINTS.tariffById(v.id), { method: "DELETE" })
      .then(() => {
        props.done(t("operator.tariffs.withdrawn", { version: String(v.version) }));
        reload();
      })
      .catch(signedOutOr(props.onError, setError));
  };
  return (
    <li class="cabinet-card" data-testid="tariff-group" data-operator-id={group.operatorId ?? ""}>
      <header>
        <div>
          <strong data-testid="tariff-group-name">{latest.name}</strong>
          <div class="muted small">
            {props.operatorName(group.operatorId)} · {scopeText(t, group)}
          </div>
        </div>
        {admin && !adding && (
          <button type="button" data-testid="tariff-new-version" onClick={() => setAdding(true)}>
            {t("operator.tariffs.newVersion")}
          </button>
        )}
      </header>
      <OperatorTable
        columns={[
          t("operator.tariffs.version"),
          t("operator.tariffs.period"),
          t("operator.tariffs.prices"),
        ]}
      >
        {group.versions.map((v) => {
          const state = versionState(v, now);
          return (
            <tr key={v.id} data-testid="tariff-version" data-version={v.version} data-state={state}>
              <td>
                v{v.version}
                <div>
                  <span class={`badge ${state === "current" ? "active" : "completed"}`}>
                    {t(`operator.tariffs.state.${state}`)}
                  </span>
                </div>
                <div class="muted small">{v.name}</div>
                {admin && state === "future" && (
                  <ConfirmButton
                    testId="tariff-withdraw"
                    label={t("operator.tariffs.withdraw")}
                    question={t("operator.tariffs.confirmWithdraw")}
                    open={confirming === v.id}
                    onOpen={() => setConfirming(v.id)}
                    onClose={() => setConfirming(null)}
                    onConfirm={() => withdraw(v)}
                  />
                )}
              </td>
              <td data-testid="tariff-period">
                {formatDate(lang, v.valid_from)} —{" "}
                {v.valid_to ? formatDate(lang, v.valid_to) : t("operator.tariffs.openEnd")}
              </td>
              <td data-testid="tariff-prices">
                {priceLines(t, lang, v).map((line) => (
                  <div key={line}>{line}</div>
                ))}
              </td>
            </tr>
          );
        })}
      </OperatorTable>
      <ErrorNotice error={error} testId="tariff-group-error" explain={operatorErrorView} />
      {adding && (
        <TariffFormView
          mode="version"
          initial={formFromTariff(latest)}
          operators={props.operators}
          onError={props.onError}
          onCancel={() => setAdding(false)}
          onSave={(body) =>
            meFetch<TariffRow>(ENDPOINTS.tariffVersions(latest.id), jsonRequest("POST", body)).then(
              (row) => {
                props.done(t("operator.tariffs.versionAdded", { version: String(row.version) }));
                setAdding(false);
                reload();
              },
            )
          }
        />
      )}
    </li>
  );
}

/** The tariff a session would be priced by, for an operator, connector type, power, time. */
function EffectivePreview({ operators, operatorName, onError }: OperatorProps) {
  const { t, lang } = useI18n();
  const [operatorId, setOperatorId] = useState(operators[0] ? String(operators[0].id) : "");
  const [connectorType, setConnectorType] = useState("");
  const [powerKw, setPowerKw] = useState("");
  const [at, setAt] = useState("");
  const [result, setResult] = useState<TariffRow | null>(null);
  const [error, setError] = useState<unknown>(null);

  const show = (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const q = effectiveQuery({ operatorId, connectorType, powerKw, at });
    if (q === null) {
      setError(new Error(t("operator.tariffs.invalid.date")));
      return;
    }
    meFetch<TariffRow>(ENDPOINTS.tariffEffective(q))
      .then(setResult)
      .catch(signedOutOr(onError, setError));
  };

  return (
    <form class="cabinet-card" data-testid="effective-form" onSubmit={show}>
      <h2>{t("operator.tariffs.effectiveTitle")}</h2>
      <p class="muted small">{t("operator.tariffs.effectiveHint")}</p>
      <div class="form-grid">
        <Select
          label={t("operator.tariffs.operator")}
          testId="effective-operator"
          value={operatorId}
          onValue={setOperatorId}
        >
          <OperatorOptions operators={operators} empty={t("operator.tariffs.network")} />
        </Select>
        <Select
          label={t("operator.tariffs.connectorType")}
          testId="effective-connector"
          value={connectorType}
          onValue={setConnectorType}
        >
          <ConnectorOptions />
        </Select>
        <InputField
          label={t("operator.tariffs.powerKw")}
          testId="effective-power"
          inputMode="decimal"
          value={powerKw}
          onValue={setPowerKw}
        />
        <InputField
          label={t("operator.tariffs.at")}
          testId="effective-at"
          type="datetime-local"
          value={at}
          onValue={setAt}
        />
      </div>
      <button type="submit" class="primary" data-testid="effective-show">
        {t("operator.tariffs.effectiveShow")}
      </button>
      <ErrorNotice error={error} testId="effective-error" explain={operatorErrorView} />
      {result && (
        <div class="notice ok" data-testid="effective-result" data-tariff-id={result.id}>
          <strong>
            {result.name} · v{result.version}
          </strong>{" "}
          <span class="muted small">
            {operatorName(result.operator_id)} ·{" "}
            {scopeText(t, {
              connectorType: result.connector_type,
              powerMinKw: result.power_min_kw,
              powerMaxKw: result.power_max_kw,
              siteId: result.site_id,
            })}
          </span>
          {priceLines(t, lang, result).map((line) => (
            <div key={line}>{line}</div>
          ))}
        </div>
      )}
    </form>
  );
}

/** Tariffs by operator with their versions; admins create tariffs and versions. */
export function OperatorTariffs(props: OperatorProps) {
  const { t } = useI18n();
  const { me, operators, onError, done } = props;
  const admin = me.role === "admin";
  const [filter, setFilter] = useState("");
  const [creating, setCreating] = useState(false);
  const q = filter ? new URLSearchParams({ operator_id: filter }).toString() : "";
  const [rows, load] = useMeFetched<TariffRow[]>(ENDPOINTS.tariffs(q), onError);

  const groups = groupTariffs(rows ?? []);
  return (
    <div class="operator-grid">
      <section>
        <div class="cabinet-card">
          <header>
            <h2>{t("operator.tariffs.title")}</h2>
            <Select
              testId="tariffs-operator-filter"
              ariaLabel={t("operator.tariffs.operator")}
              value={filter}
              onValue={setFilter}
            >
              <OperatorOptions operators={operators} empty={t("operator.tariffs.allOperators")} />
            </Select>
          </header>
          {!admin && <p class="muted small">{t("operator.tariffs.readOnly")}</p>}
          {rows && groups.length === 0 && (
            <p class="muted" data-testid="tariffs-empty">
              {t("operator.tariffs.empty")}
            </p>
          )}
        </div>
        <ul class="cabinet-list tariff-groups">
          {groups.map((g) => (
            <TariffGroupView key={g.key} group={g} admin={admin} props={props} reload={load} />
          ))}
        </ul>
      </section>
      <aside>
        {admin && (
          <div class="cabinet-card">
            <header>
              <h2>{t("operator.tariffs.createTitle")}</h2>
              {!creating && (
                <button type="button" data-testid="tariff-new" onClick={() => setCreating(true)}>
                  {t("operator.tariffs.new")}
                </button>
              )}
            </header>
            {creating && (
              <TariffFormView
                mode="create"
                initial={{
                  ...EMPTY_TARIFF_FORM,
                  operatorId: filter || (operators[0] ? String(operators[0].id) : ""),
                }}
                operators={operators}
                onError={onError}
                onCancel={() => setCreating(false)}
                onSave={(body) =>
                  meFetch<TariffRow>(ENDPOINTS.tariffs(), jsonRequest("POST", body)).then((row) => {
                    done(t("operator.tariffs.created", { name: row.name }));
                    setCreating(false);
                    load();
                  })
                }
              />
            )}
          </div>
        )}
        <EffectivePreview {...props} />
      </aside>
    </div>
  );
}
