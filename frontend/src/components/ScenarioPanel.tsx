import { useEffect, useState } from "preact/hooks";
import { ApiError, apiFetch, getToken } from "../lib/api";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate, formatNumber, formatSom } from "../lib/format";
import {
  breakdownRows,
  type CellMetric,
  metricStops,
  rankedSites,
  reasonsOf,
  SCENARIO_COLORS,
  SCENARIO_LAYERS,
  type Scenario,
  type ScenarioDrawing,
  type ScenarioSelection,
  type ScenarioStatus,
  scenarioRegion,
  scenarioResolution,
} from "../lib/scenario";
import type { RegionOption } from "./FiltersPanel";
import { useI18n } from "./i18n";
import { NewScenarioForm } from "./ScenarioForm";
import { ScenarioRun } from "./ScenarioRun";

/** Score components the weights name (the rest of a breakdown is shown as measured). */
const COMPONENTS = [
  "demand",
  "coverage_gain",
  "grid",
  "parcel",
  "road",
  "competition",
  "utilisation",
] as const;

interface Props {
  selection: ScenarioSelection;
  drawing: ScenarioDrawing | null;
  loading: boolean;
  /** Properties of the candidate clicked on the map. */
  candidate: Record<string, unknown> | null;
  onSelection: (s: ScenarioSelection) => void;
  onCandidate: (c: Record<string, unknown> | null) => void;
  onError: (message: string) => void;
  /** Signed in as a planner (admin or technician): may create, run and cancel. */
  canPlan: boolean;
  regions: RegionOption[];
  /** A run of the selected scenario ended: its result layers changed. */
  onResults: () => void;
}

const EXPORT_FORMATS = [
  ["gpkg", "GeoPackage"],
  ["csv", "CSV"],
] as const;

/** Fetch with the session's token, then open (report) or save (export) the answer. */
function openAuthorised(
  e: MouseEvent,
  href: string,
  download: string | null,
  onError: (message: string) => void,
) {
  e.preventDefault();
  // Opened now (inside the click) so the browser does not block it as a pop-up.
  const win = download ? null : window.open("", "_blank");
  const token = getToken();
  fetch(href, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
    .then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const url = URL.createObjectURL(await r.blob());
      if (win) win.location.href = url;
      else {
        const a = document.createElement("a");
        a.href = url;
        a.download = download ?? "";
        a.click();
      }
    })
    .catch((err: unknown) => {
      win?.close();
      onError(String(err));
    });
}

function Legend({ metric }: { metric: CellMetric }) {
  const { t, lang } = useI18n();
  const stops = metricStops(metric);
  const unit = metric === "demand" ? t("scenarios.unitKwhDay") : "km";
  return (
    <div class="scenario-legend" data-testid="scenario-legend" data-metric={metric}>
      <div class="muted">
        {metric === "demand" ? t("scenarios.byDemand") : t("scenarios.byDistance")} ({unit})
      </div>
      <div
        class="scenario-ramp"
        style={{ background: `linear-gradient(to right, ${stops.map((s) => s[1]).join(", ")})` }}
      />
      <div class="scenario-ramp-labels">
        {stops.map(([v]) => (
          <span key={v}>{formatNumber(lang, v)}</span>
        ))}
      </div>
      {metric === "distance" && (
        <div>
          <span class="swatch" style={{ background: SCENARIO_COLORS.noData }} />
          {t("scenarios.noCharger")}
        </div>
      )}
      <div>
        <span class="dot big" style={{ background: SCENARIO_COLORS.selected }} />
        {t("scenarios.selectedSite")}
      </div>
      <div>
        <span class="dot" style={{ background: SCENARIO_COLORS.candidate }} />
        {t("scenarios.candidateSite")}
      </div>
      <div>
        <span class="line-swatch" style={{ borderColor: SCENARIO_COLORS.gap }} />
        {t("scenarios.corridorGap")}
      </div>
    </div>
  );
}

function CandidateBox({ c, onClose }: { c: Record<string, unknown>; onClose: () => void }) {
  const { t, lang } = useI18n();
  const rows = breakdownRows(c.breakdown);
  const comps = rows.filter(([k]) => (COMPONENTS as readonly string[]).includes(k));
  const other = rows.filter(([k]) => !(COMPONENTS as readonly string[]).includes(k));
  const reasons = reasonsOf(c.reasons);
  const num = (v: unknown) => (typeof v === "number" ? v : Number(v));
  return (
    <div class="scenario-candidate" data-testid="scenario-candidate">
      <div class="row">
        <strong>
          #{String(c.rank ?? "?")} {String(c.name || c.source || "")}
        </strong>
        <button type="button" class="link" onClick={onClose} aria-label={t("station.close")}>
          ×
        </button>
      </div>
      <div class="muted">
        {c.selected === true || c.selected === "true"
          ? t("scenarios.selectedSite")
          : t("scenarios.candidateSite")}
        {c.power_kw != null ? ` · ${formatNumber(lang, num(c.power_kw))} kW` : ""}
        {c.cost_uzs != null ? ` · ${formatSom(lang, num(c.cost_uzs))}` : ""}
      </div>
      <div data-testid="scenario-candidate-score">
        {t("scenarios.score")}: <strong>{formatNumber(lang, num(c.score), 3)}</strong>
      </div>
      <table class="table" data-testid="scenario-breakdown">
        <tbody>
          {comps.map(([k, v]) => (
            <tr key={k}>
              <th>{t(`scenarios.component.${k}`)}</th>
              <td>
                <span
                  class="bar"
                  style={{ width: `${Math.round(Math.min(1, Math.max(0, v)) * 60)}px` }}
                />{" "}
                {formatNumber(lang, v, 2)}
              </td>
            </tr>
          ))}
          {other.map(([k, v]) => (
            <tr key={k} class="muted">
              <th>{k}</th>
              <td>{formatNumber(lang, v, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {reasons.length > 0 && (
        <ul class="muted">
          {reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ScenarioPanel({
  selection,
  drawing,
  loading,
  candidate,
  onSelection,
  onCandidate,
  onError,
  canPlan,
  regions,
  onResults,
}: Props) {
  const { t, lang } = useI18n();
  const [list, setList] = useState<Scenario[] | null>(null);
  const [denied, setDenied] = useState(false);
  const [creating, setCreating] = useState(false);

  const reload = () => {
    apiFetch<unknown>(ENDPOINTS.scenarios)
      .then((b) => {
        setDenied(false);
        setList(listOf<Scenario>(b));
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setDenied(true);
        else onError(e instanceof ApiError ? e.detail : String(e));
        setList([]);
      });
  };
  useEffect(reload, [canPlan]);

  const onFinished = (status: ScenarioStatus) => {
    reload();
    if (status === "done") onResults();
  };

  const current = list?.find((s) => s.id === selection.id) ?? null;
  const id = selection.id;
  const cells = drawing?.cells.features.length ?? 0;
  const cands = drawing?.candidates.features ?? [];
  const chosen = cands.filter((f) => f.properties?.selected === true).length;
  const ranking = drawing ? rankedSites(drawing.candidates) : [];

  return (
    <section class="panel scenario-panel" data-testid="scenario-panel">
      <h2>{t("scenarios.title")}</h2>
      {canPlan && !creating && (
        <button type="button" data-testid="scenario-new" onClick={() => setCreating(true)}>
          {t("scenarios.new.open")}
        </button>
      )}
      {canPlan && creating && (
        <NewScenarioForm
          regions={regions}
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setList((l) => [s, ...(l ?? []).filter((x) => x.id !== s.id)]);
            reload();
            onCandidate(null);
            onSelection({ ...selection, id: s.id });
          }}
        />
      )}
      {denied && <p class="notice">{t("scenarios.loginNeeded")}</p>}
      {list === null && <p class="muted">{t("scenarios.loading")}</p>}
      {list && list.length === 0 && !denied && <p class="muted">{t("scenarios.none")}</p>}
      {list && list.length > 0 && (
        <ul class="scenario-list" data-testid="scenario-list">
          {list.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                class="scenario-item"
                data-testid="scenario-item"
                data-id={s.id}
                aria-pressed={s.id === id}
                onClick={() => {
                  onCandidate(null);
                  onSelection({ ...selection, id: s.id === id ? null : s.id });
                }}
              >
                <strong>{s.name}</strong>
                <span class={`badge scenario-status ${s.status}`}>
                  {t(`scenarios.status.${s.status}`)}
                </span>
                <span class="muted">
                  {t("scenarios.resolution", { r: scenarioResolution(s) ?? "?" })}
                  {scenarioRegion(s) ? ` · ${scenarioRegion(s)}` : ` · ${t("scenarios.country")}`}
                  {" · "}
                  {formatDate(lang, s.created_at)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="link" data-testid="scenario-refresh" onClick={reload}>
        {t("scenarios.refresh")}
      </button>
      {id !== null && (
        <div class="scenario-detail" data-testid="scenario-detail">
          {current && (
            <ScenarioRun
              key={current.id}
              scenario={current}
              canPlan={canPlan}
              onStarted={reload}
              onFinished={onFinished}
            />
          )}
          {current && current.status !== "done" && current.status !== "running" && (
            <p class="notice" data-testid="scenario-not-done">
              {t("scenarios.notDone", { status: t(`scenarios.status.${current.status}`) })}
              {current.error ? ` ${current.error}` : ""}
            </p>
          )}
          {loading && <p class="muted">{t("scenarios.loading")}</p>}
          <fieldset class="scenario-metric">
            <legend>{t("scenarios.colourBy")}</legend>
            {(["demand", "distance"] as const).map((m) => (
              <label key={m}>
                <input
                  type="radio"
                  name="scenario-metric"
                  data-testid={`scenario-metric-${m}`}
                  checked={selection.metric === m}
                  onChange={() => onSelection({ ...selection, metric: m })}
                />{" "}
                {m === "demand" ? t("scenarios.byDemand") : t("scenarios.byDistance")}
              </label>
            ))}
          </fieldset>
          {drawing && (
            <>
              <p data-testid="scenario-counts">
                {t("scenarios.counts", {
                  cells: formatNumber(lang, cells),
                  candidates: formatNumber(lang, cands.length),
                  selected: formatNumber(lang, chosen),
                })}
              </p>
              {ranking.length > 0 && (
                <ol class="scenario-ranking" data-testid="scenario-ranking">
                  {ranking.map((c) => (
                    <li key={String(c.id)}>
                      <button
                        type="button"
                        class="link scenario-ranked"
                        data-testid="scenario-ranked-site"
                        onClick={() => onCandidate(c)}
                      >
                        <strong>
                          #{String(c.rank ?? "?")} {String(c.name || c.source || "")}
                        </strong>{" "}
                        <span class="muted">
                          {t("scenarios.score")} {formatNumber(lang, Number(c.score), 3)}
                          {c.power_kw != null
                            ? ` · ${formatNumber(lang, Number(c.power_kw))} kW`
                            : ""}
                          {c.cost_uzs != null ? ` · ${formatSom(lang, Number(c.cost_uzs))}` : ""}
                        </span>
                      </button>
                    </li>
                  ))}
                </ol>
              )}
              <Legend metric={selection.metric} />
              <p class="muted">{t("scenarios.clickHint")}</p>
            </>
          )}
          {candidate && <CandidateBox c={candidate} onClose={() => onCandidate(null)} />}
          {current?.status === "done" && (
            <div class="scenario-links" data-testid="scenario-links">
              <div>
                {t("scenarios.report")}:{" "}
                {(["html", "pdf"] as const).map((f) => {
                  const href = ENDPOINTS.scenarioReport(id, lang, f);
                  return (
                    <a
                      key={f}
                      href={href}
                      data-testid={`scenario-report-${f}`}
                      onClick={(e) => openAuthorised(e, href, null, onError)}
                    >
                      {f.toUpperCase()}{" "}
                    </a>
                  );
                })}
              </div>
              <div>
                {t("scenarios.export")}:{" "}
                {SCENARIO_LAYERS.map((layer) => {
                  const href = ENDPOINTS.scenarioExport(id, layer);
                  return (
                    <a
                      key={layer}
                      href={href}
                      data-testid={`scenario-export-${layer}`}
                      onClick={(e) =>
                        openAuthorised(e, href, `scenario_${id}_${layer}.geojson`, onError)
                      }
                    >
                      {t(`scenarios.layer.${layer}`)}{" "}
                    </a>
                  );
                })}
              </div>
              {EXPORT_FORMATS.map(([format, label]) => (
                <div key={format}>
                  {label}:{" "}
                  {SCENARIO_LAYERS.map((layer) => {
                    const href = ENDPOINTS.scenarioExport(id, layer, format);
                    return (
                      <a
                        key={layer}
                        href={href}
                        data-testid={`scenario-export-${layer}-${format}`}
                        onClick={(e) =>
                          openAuthorised(e, href, `scenario_${id}_${layer}.${format}`, onError)
                        }
                      >
                        {t(`scenarios.layer.${layer}`)}{" "}
                      </a>
                    );
                  })}
                </div>
              ))}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
