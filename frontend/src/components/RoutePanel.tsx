import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiFetch } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import { formatNumber, formatSom } from "../lib/format";
import {
  type GeocodeMatch,
  hoursMinutes,
  isComplete,
  type RouteParams,
  type RoutePoint,
  type RouteResult,
  routeRequest,
  type VehiclePreset,
} from "../lib/route";
import { ROUTE_COLORS } from "../lib/style";
import { useI18n } from "./i18n";

export type RouteEnd = "from" | "to";

interface Props {
  params: RouteParams;
  result: RouteResult | null;
  picking: RouteEnd | null;
  /** Plan once on mount (a shared link opened). */
  autoPlan: boolean;
  onChange: (p: RouteParams) => void;
  onResult: (r: RouteResult | null) => void;
  onPicking: (end: RouteEnd | null) => void;
  onError: (message: string) => void;
}

function useDuration() {
  const { t } = useI18n();
  return (minutes: number) => {
    const { h, m } = hoursMinutes(minutes);
    return h > 0 ? t("route.hoursMinutes", { h, m }) : t("route.minutes", { m });
  };
}

function pct(soc: number): string {
  return `${Math.round(soc * 100)}\u00a0%`;
}

function PlaceInput({
  end,
  point,
  picking,
  onChange,
  onPicking,
}: {
  end: RouteEnd;
  point: RoutePoint;
  picking: boolean;
  onChange: (p: RoutePoint) => void;
  onPicking: (on: boolean) => void;
}) {
  const { t } = useI18n();
  const [hits, setHits] = useState<GeocodeMatch[] | null>(null);
  const [typed, setTyped] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    const q = point.text.trim();
    if (!typed || point.lonLat || q.length < 2) {
      setHits(null);
      return;
    }
    const timer = setTimeout(() => {
      const n = ++seq.current;
      apiFetch<GeocodeMatch[]>(ENDPOINTS.geocode(q))
        .then((h) => {
          if (n === seq.current) setHits(h);
        })
        .catch(() => {
          if (n === seq.current) setHits(null);
        });
    }, 250);
    return () => clearTimeout(timer);
  }, [point, typed]);
  return (
    <div class="field route-end">
      {end === "from" ? t("route.from") : t("route.to")}
      <div class="row">
        <input
          type="text"
          data-testid={`route-${end}`}
          placeholder={t("route.placePlaceholder")}
          value={point.text}
          onInput={(e) => {
            setTyped(true);
            onChange({ text: e.currentTarget.value, lonLat: null });
          }}
          onBlur={() =>
            setTimeout(() => {
              seq.current++;
              setTyped(false);
            }, 200)
          }
        />
        <button
          type="button"
          data-testid={`route-pick-${end}`}
          aria-pressed={picking}
          title={t("route.pickHint")}
          onClick={() => onPicking(!picking)}
        >
          {t("route.pick")}
        </button>
      </div>
      {hits && hits.length > 0 && (
        <ul class="hits route-hits" data-testid={`route-${end}-hits`}>
          {hits.map((h) => (
            <li key={`${h.kind}-${h.id}`}>
              <button
                type="button"
                class="link"
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => {
                  setTyped(false);
                  setHits(null);
                  onChange(
                    h.kind === "city"
                      ? { text: h.name, lonLat: null }
                      : { text: h.name, lonLat: [h.lon, h.lat] },
                  );
                }}
              >
                {h.name}{" "}
                <span class="muted">
                  {h.kind === "city" ? t("route.city") : t("route.station")}
                  {h.region ? ` · ${h.region}` : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RoutePanel({
  params,
  result,
  picking,
  autoPlan,
  onChange,
  onResult,
  onPicking,
  onError,
}: Props) {
  const { t, lang } = useI18n();
  const duration = useDuration();
  const [vehicles, setVehicles] = useState<VehiclePreset[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const paramsRef = useRef(params);
  paramsRef.current = params;

  useEffect(() => {
    apiFetch<VehiclePreset[]>(ENDPOINTS.vehicles)
      .then(setVehicles)
      .catch((e: unknown) => onError(e instanceof ApiError ? e.detail : String(e)));
  }, [onError]);

  const plan = (p: RouteParams) => {
    if (!isComplete(p)) return;
    const n = ++seq.current;
    setBusy(true);
    setError(null);
    onPicking(null);
    apiFetch<RouteResult>(ENDPOINTS.route, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(routeRequest(p)),
    })
      .then((r) => {
        if (n !== seq.current) return;
        onResult(r);
      })
      .catch((e: unknown) => {
        if (n !== seq.current) return;
        const detail = e instanceof ApiError ? e.detail : String(e);
        setError(detail);
        onResult(null);
      })
      .finally(() => {
        if (n === seq.current) setBusy(false);
      });
  };

  // A shared link re-plans its trip once.
  useEffect(() => {
    if (autoPlan) plan(paramsRef.current);
  }, []);

  const set = (patch: Partial<RouteParams>) => onChange({ ...params, ...patch });
  const s = result?.summary;
  const imp = result?.impossible;

  return (
    <section class="panel route-panel" data-testid="route-panel">
      <h2>{t("route.title")}</h2>
      <PlaceInput
        end="from"
        point={params.from}
        picking={picking === "from"}
        onChange={(from) => set({ from })}
        onPicking={(on) => onPicking(on ? "from" : null)}
      />
      <PlaceInput
        end="to"
        point={params.to}
        picking={picking === "to"}
        onChange={(to) => set({ to })}
        onPicking={(on) => onPicking(on ? "to" : null)}
      />
      {picking && (
        <p class="notice" data-testid="route-pick-hint">
          {t("route.pickHint")}
        </p>
      )}
      <label class="field">
        {t("route.vehicle")}
        <select
          data-testid="route-vehicle"
          value={params.vehicle}
          onChange={(e) => set({ vehicle: e.currentTarget.value })}
        >
          {vehicles.length === 0 && <option value={params.vehicle}>{params.vehicle}</option>}
          {vehicles.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
            </option>
          ))}
        </select>
      </label>
      <div class="row route-numbers">
        <PercentField
          label={t("route.startSoc")}
          testId="route-start-soc"
          value={params.startSoc}
          onValue={(n) => set({ startSoc: n })}
        />
        <PercentField
          label={t("route.minSoc")}
          testId="route-min-soc"
          value={params.minSoc}
          onValue={(n) => set({ minSoc: n })}
        />
      </div>
      <label class="field">
        {t("route.batteryKwh")}
        <input
          type="number"
          min={1}
          max={1000}
          step={0.1}
          data-testid="route-battery"
          placeholder={String(vehicles.find((v) => v.id === params.vehicle)?.battery_kwh ?? "")}
          value={params.batteryKwh ?? ""}
          onChange={(e) => {
            const v = e.currentTarget.value;
            const n = Number(v);
            set({ batteryKwh: v === "" || !Number.isFinite(n) || n <= 0 ? null : n });
          }}
        />
      </label>
      <div class="row">
        <button
          type="button"
          data-testid="route-plan"
          disabled={busy || !isComplete(params)}
          onClick={() => plan(params)}
        >
          {busy ? t("route.planning") : t("route.plan")}
        </button>
        {result && (
          <button
            type="button"
            class="link"
            data-testid="route-clear"
            onClick={() => {
              seq.current++;
              setError(null);
              onResult(null);
            }}
          >
            {t("route.clear")}
          </button>
        )}
      </div>
      {error && (
        <p class="notice" data-testid="route-error">
          {t("route.failed", { detail: error })}
        </p>
      )}
      {result && (
        <div class="route-result" data-testid="route-result">
          <p class="muted">
            {result.origin.name} → {result.destination.name}
          </p>
          {s && (
            <table class="table route-summary" data-testid="route-summary">
              <tbody>
                <tr>
                  <th>{t("route.distance")}</th>
                  <td>{formatNumber(lang, s.length_km)}&nbsp;km</td>
                </tr>
                <tr>
                  <th>{t("route.driving")}</th>
                  <td data-testid="route-drive-time">{duration(s.drive_min)}</td>
                </tr>
                <tr>
                  <th>{t("route.charging")}</th>
                  <td data-testid="route-charge-time">{duration(s.charging_min + s.wait_min)}</td>
                </tr>
                <tr>
                  <th>{t("route.total")}</th>
                  <td data-testid="route-total-time">
                    <strong>{duration(s.total_min)}</strong>
                  </td>
                </tr>
                <tr>
                  <th>{t("route.energy")}</th>
                  <td>{formatNumber(lang, s.energy_kwh, 1)}&nbsp;kWh</td>
                </tr>
                <tr>
                  <th>{t("route.cost")}</th>
                  <td data-testid="route-cost">{formatSom(lang, s.cost_uzs)}</td>
                </tr>
                <tr>
                  <th>{t("route.arrivalSoc")}</th>
                  <td>{pct(s.arrival_soc)}</td>
                </tr>
              </tbody>
            </table>
          )}
          {result.feasible && (
            <>
              <h3>{t("route.stops", { count: result.stops.length })}</h3>
              {result.stops.length === 0 ? (
                <p class="muted" data-testid="route-no-stops">
                  {t("route.noStops")}
                </p>
              ) : (
                <ol class="route-stops" data-testid="route-stops">
                  {result.stops.map((st) => (
                    <li key={st.station_id} data-testid="route-stop">
                      <strong>{st.name}</strong>{" "}
                      <span class="muted">
                        {st.connector_type.replace("_", " ")} · {formatNumber(lang, st.power_kw)}
                        &nbsp;kW
                      </span>
                      {st.busy && <span class="badge muted">{t("route.busy")}</span>}
                      <div>
                        {t("route.stopSoc", {
                          arrival: pct(st.arrival_soc),
                          departure: pct(st.departure_soc),
                        })}
                      </div>
                      <div>
                        {duration(st.charging_min)} · {formatSom(lang, st.cost_uzs)}
                      </div>
                    </li>
                  ))}
                </ol>
              )}
            </>
          )}
          {imp && (
            <div class="route-impossible" data-testid="route-impossible">
              <h3>{t("route.impossible")}</h3>
              {imp.gap ? (
                <p data-testid="route-gap">
                  {t("route.gap", {
                    from: imp.gap.from_name,
                    to: imp.gap.to_name,
                    length: formatNumber(lang, imp.gap.length_km),
                    range: formatNumber(lang, imp.gap.range_km),
                  })}
                </p>
              ) : (
                <p>{imp.reason}</p>
              )}
              <h3>{t("route.sites", { count: imp.sites.length })}</h3>
              {imp.sites.length === 0 ? (
                <p class="muted">{t("route.noSites")}</p>
              ) : (
                <ul class="route-sites" data-testid="route-sites">
                  {imp.sites.map((site) => (
                    <li key={site.id} data-testid="route-site">
                      <span
                        class="dot"
                        style={{
                          background:
                            site.kind === "planned" ? ROUTE_COLORS.planned : ROUTE_COLORS.candidate,
                        }}
                      />
                      {site.name}{" "}
                      <span class="muted">
                        {t(`route.siteKind.${site.kind}`)}
                        {site.year ? ` ${site.year}` : ""}
                        {site.power_kw ? ` · ${formatNumber(lang, site.power_kw)} kW` : ""}
                        {site.alone_makes_possible ? ` · ${t("route.aloneEnough")}` : ""}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              {imp.possible_with_all_sites && <p class="muted">{t("route.possibleWithAll")}</p>}
            </div>
          )}
          {result.notes.length > 0 && (
            <ul class="route-notes muted">
              {result.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

/** A 0-100 % number input (state of charge). */
function PercentField(props: {
  label: string;
  testId: string;
  value: number;
  onValue: (n: number) => void;
}) {
  return (
    <label class="field">
      {props.label}
      <input
        type="number"
        min={0}
        max={100}
        step={5}
        data-testid={props.testId}
        value={props.value}
        onChange={(e) => {
          const n = Number(e.currentTarget.value);
          if (Number.isFinite(n)) props.onValue(Math.min(100, Math.max(0, n)));
        }}
      />
    </label>
  );
}
