import { useEffect, useState } from "preact/hooks";
import { apiFetch, jsonRequest } from "../lib/api";
import {
  type Favourite,
  isSignedOut,
  type MyToken,
  meFetch,
  type OwnSession,
  sessionsQuery,
  signedOutOr,
  tokenKindKey,
} from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDate, formatPowerKw } from "../lib/format";
import {
  type ConnectorView,
  connectorStatusText,
  flattenConnectors,
  stationProps,
} from "../lib/station";
import type { CabinetProps } from "./CabinetApp";
import { EnergyCost, ErrorNotice, InputField, ReceiptButton } from "./CabinetCommon";
import { type I18nValue, useI18n } from "./i18n";

/** How often a running session is read again (its energy and cost grow). */
export const POLL_MS = 3000;
/** How long to wait for the charge point to begin the session after accepting. */
const START_WAIT_MS = 90_000;

interface Sessions {
  data: OwnSession[];
}

function merge(ids: number[], more: number[]): number[] {
  return [...ids, ...more.filter((id) => !ids.includes(id))];
}

/** One of the driver's sessions, read again every few seconds while it runs. */
function LiveSession({ id, onError }: { id: number; onError: (e: unknown) => void }) {
  const { t, lang } = useI18n();
  const [s, setS] = useState<OwnSession | null>(null);
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const done = s?.status === "completed";

  useEffect(() => {
    if (done) return;
    let alive = true;
    const load = () =>
      meFetch<OwnSession>(ENDPOINTS.mySession(id))
        .then((x) => {
          if (alive) setS(x);
        })
        .catch((e: unknown) => {
          if (alive) onError(e);
        });
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [id, done, onError]);

  const stop = () => {
    setError(null);
    setStopping(true);
    meFetch(ENDPOINTS.myStop(id), jsonRequest("POST", {})).catch((e: unknown) => {
      setStopping(false);
      if (isSignedOut(e)) onError(e);
      else setError(e);
    });
  };

  if (!s) return <div class="cabinet-card muted">{t("cabinet.loading")}</div>;
  const state = done ? "completed" : stopping ? "stopping" : "charging";
  return (
    <section
      class={`cabinet-card live-session ${state}`}
      data-testid="live-session"
      data-session-id={s.id}
      data-status={state}
    >
      <header>
        <h2>{s.site_name ?? s.charge_point_id}</h2>
        <span class={`badge ${state}`} data-testid="live-status">
          {t(`cabinet.charge.state.${state}`)}
        </span>
      </header>
      <p class="muted">
        {t("cabinet.charge.where", {
          chargePoint: s.charge_point_id,
          connector: s.evse_id ?? s.connector_id ?? "—",
        })}
        {" · "}
        {formatDate(lang, s.started_at)}
      </p>
      <EnergyCost s={s} />
      <ErrorNotice error={error} testId="stop-error" />
      {done ? (
        <ReceiptButton sessionId={s.id} onError={onError} />
      ) : (
        <button
          type="button"
          class="danger big"
          data-testid="stop-charge"
          disabled={stopping}
          onClick={stop}
        >
          {stopping ? t("cabinet.charge.stopping") : t("cabinet.charge.stop")}
        </button>
      )}
    </section>
  );
}

function connectorLabel({ t, lang }: I18nValue, c: ConnectorView): string {
  const power = c.maxPowerKw !== null ? ` · ${formatPowerKw(lang, c.maxPowerKw)}` : "";
  return `${c.chargePointId} · ${t("cabinet.charge.connector")} ${c.evseId ?? "?"} · ${c.type}${power}`;
}

/** Start a charge (a favourite station's connector, or a charge point id and connector
 * typed from the label on the station) and follow the running sessions. */
export function CabinetCharge({
  onError,
  notify,
  siteId,
}: CabinetProps & { siteId: number | null }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [tokens, setTokens] = useState<MyToken[] | null>(null);
  const [favourites, setFavourites] = useState<Favourite[]>([]);
  const [site, setSite] = useState<number | null>(siteId);
  const [connectors, setConnectors] = useState<ConnectorView[] | null>(null);
  const [cpId, setCpId] = useState("");
  const [evse, setEvse] = useState("");
  const [tokenId, setTokenId] = useState("");
  const [watched, setWatched] = useState<number[]>([]);
  const [waiting, setWaiting] = useState<{ cpId: string; since: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    meFetch<MyToken[]>(ENDPOINTS.myTokens).then(setTokens).catch(onError);
    meFetch<Favourite[]>(ENDPOINTS.myFavourites).then(setFavourites).catch(onError);
    meFetch<Sessions>(ENDPOINTS.mySessions(sessionsQuery({ status: "active" })))
      .then((b) =>
        setWatched((ids) =>
          merge(
            ids,
            b.data.map((s) => s.id),
          ),
        ),
      )
      .catch(onError);
  }, [onError]);

  useEffect(() => {
    setConnectors(null);
    if (site === null) return;
    apiFetch<unknown>(ENDPOINTS.station(site), { anonymous: true })
      .then((b) => setConnectors(flattenConnectors(stationProps(b))))
      .catch(onError);
  }, [site, onError]);

  // After the charge point accepted: look for the session it begins.
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => {
      const q = sessionsQuery({ status: "active", chargePointId: waiting.cpId });
      meFetch<Sessions>(ENDPOINTS.mySessions(q))
        .then((b) => {
          const ids = b.data.map((s) => s.id);
          if (ids.some((id) => !watched.includes(id))) {
            setWatched((w) => merge(w, ids));
            setWaiting(null);
          } else if (Date.now() - waiting.since > START_WAIT_MS) {
            setWaiting(null);
            notify(t("cabinet.charge.noSession"));
          }
        })
        .catch(onError);
    }, POLL_MS / 2);
    return () => clearInterval(timer);
  }, [waiting, watched, onError, notify, t]);

  const usable = (tokens ?? []).filter((x) => x.status === "Accepted");

  const start = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const body = {
      charge_point_id: cpId.trim(),
      evse_id: evse ? Number(evse) : null,
      token_id: tokenId ? Number(tokenId) : null,
    };
    meFetch(ENDPOINTS.myCharge, jsonRequest("POST", body))
      .then(() => setWaiting({ cpId: body.charge_point_id, since: Date.now() }))
      .catch(signedOutOr(onError, setError))
      .finally(() => setBusy(false));
  };

  return (
    <div class="cabinet-charge">
      {watched.map((id) => (
        <LiveSession key={id} id={id} onError={onError} />
      ))}
      <form class="cabinet-card" onSubmit={start} data-testid="charge-form">
        <h2>{t("cabinet.charge.title")}</h2>
        {favourites.length > 0 && (
          <label class="field">
            {t("cabinet.charge.fromFavourite")}
            <select
              data-testid="charge-favourite"
              value={site ?? ""}
              onChange={(e) =>
                setSite(e.currentTarget.value ? Number(e.currentTarget.value) : null)
              }
            >
              <option value="">—</option>
              {favourites.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                  {f.city ? ` (${f.city})` : ""}
                </option>
              ))}
            </select>
          </label>
        )}
        {connectors && connectors.length === 0 && (
          <p class="muted">{t("cabinet.charge.noConnectors")}</p>
        )}
        {connectors && connectors.length > 0 && (
          <ul class="cabinet-list" data-testid="charge-connectors">
            {connectors.map((c) => {
              const chosen = c.chargePointId === cpId && String(c.evseId ?? "") === evse;
              return (
                <li key={`${c.chargePointId}-${c.evseId}-${c.connectorId}`}>
                  <button
                    type="button"
                    class="choice"
                    aria-pressed={chosen}
                    onClick={() => {
                      setCpId(c.chargePointId);
                      setEvse(c.evseId !== null ? String(c.evseId) : "");
                    }}
                  >
                    {connectorLabel(i18n, c)}
                    <span class="muted"> · {connectorStatusText(t, c)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <InputField
          label={t("cabinet.charge.chargePoint")}
          testId="charge-cp"
          required
          autocapitalize="characters"
          placeholder="QV-TAS-0001"
          value={cpId}
          onValue={setCpId}
        />
        <InputField
          label={t("cabinet.charge.connectorNumber")}
          testId="charge-connector"
          type="number"
          inputMode="numeric"
          min={1}
          placeholder={t("cabinet.charge.anyConnector")}
          value={evse}
          onValue={setEvse}
        />
        <label class="field">
          {t("cabinet.charge.token")}
          <select
            data-testid="charge-token"
            value={tokenId}
            onChange={(e) => setTokenId(e.currentTarget.value)}
          >
            <option value="">{t("cabinet.charge.tokenAuto")}</option>
            {usable.map((x) => (
              <option key={x.id} value={x.id}>
                {t(tokenKindKey(x.token_type))} {x.token}
              </option>
            ))}
          </select>
        </label>
        {tokens && usable.length === 0 && (
          <p class="notice" data-testid="charge-no-token">
            {t("cabinet.charge.needToken")}
          </p>
        )}
        <ErrorNotice error={error} testId="charge-error" />
        {waiting ? (
          <p class="notice" data-testid="charge-waiting">
            {t("cabinet.charge.waiting", { chargePoint: waiting.cpId })}
          </p>
        ) : null}
        <button
          type="submit"
          class="primary big"
          data-testid="start-charge"
          disabled={busy || waiting !== null || !cpId.trim()}
        >
          {t("cabinet.charge.start")}
        </button>
      </form>
    </div>
  );
}
