import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiFetch, jsonRequest } from "../lib/api";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate, formatDay, formatEnergyWh, formatPowerKw, formatSom } from "../lib/format";
import { type LiveEvent, subscribeLive } from "../lib/live";
import {
  type ConnectorView,
  connectorState,
  connectorStatusText,
  type DayEnergy,
  energyPerDay,
  flattenConnectors,
  stationProps,
} from "../lib/station";
import { isStationStatus, STATUS_COLORS } from "../lib/status";
import { useI18n } from "./i18n";
import type { SelectedFeature } from "./MapView";

interface Tariff {
  name: string;
  energy_uzs_per_kwh: number;
  session_fee_uzs: number;
  time_uzs_per_min: number;
}

const COMMANDS = ["remoteStart", "remoteStop", "reset", "available", "unavailable"] as const;
type Command = (typeof COMMANDS)[number];

export interface SessionRow {
  id: number;
  charge_point_id: string;
  started_at: string;
  stopped_at: string | null;
  energy_wh: number | null;
  cost_uzs: number | null;
  status: string;
}

interface Props {
  selected: SelectedFeature;
  liveStatus: string | undefined;
  canCommand: boolean;
  flatTariffUzsPerKwh: number | null;
  onClose: () => void;
  onError: (message: string) => void;
}

/** A status heard over the live link while the panel is open, numbered in the
 * order it was heard (`seq`): newer than what the last read of the station said. */
interface Heard {
  status: string;
  at: string | null;
  seq: number;
}

interface HeardLive {
  /** By `connectorKey`; an event about a whole EVSE has the connector `*`. */
  connectors: Record<string, Heard>;
  /** Connection events by charge point id (`status` is "online" or "offline"). */
  links: Record<string, Heard>;
  station: Heard | null;
}

const NOTHING_HEARD: HeardLive = { connectors: {}, links: {}, station: null };

/** Unmatched events (a connector the panel does not list yet) re-read the station
 * once after this quiet time, however many arrive. */
const REREAD_AFTER_MS = 300;

function connectorKey(cp: string, evse: number | null, connector: number | "*" | null): string {
  return `${cp}|${evse ?? ""}|${connector ?? ""}`;
}

/** Whether instant `a` is known to be before instant `b` (ISO strings). */
function older(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && Date.parse(a) < Date.parse(b);
}

/** `heard` with one more event of the open station (pure). */
function hear(heard: HeardLive, e: LiveEvent, seq: number, siteId: number): HeardLive {
  let { connectors, links, station } = heard;
  // The station's word is the server's, in the order it was sent (its events mix
  // the charge point's clock and the server's: their times do not compare).
  if (e.siteId === siteId && e.stationStatus) {
    station = { status: e.stationStatus, at: e.at, seq };
  }
  if (e.type === "status" && e.chargePointId && e.status && e.evseId !== null) {
    const key = connectorKey(e.chargePointId, e.evseId, e.connectorId ?? "*");
    // A notification older than the one already shown for this connector changes
    // nothing (the server keeps the newest too).
    if (!older(e.at, connectors[key]?.at ?? null)) {
      connectors = { ...connectors, [key]: { status: e.status, at: e.at, seq } };
    }
  }
  if (e.type === "connection" && e.chargePointId && e.status) {
    links = { ...links, [e.chargePointId]: { status: e.status, at: e.at, seq } };
  }
  return connectors === heard.connectors && links === heard.links && station === heard.station
    ? heard
    : { connectors, links, station };
}

/** Forget what a read of the station begun after event `seq` already says. */
function forget(heard: HeardLive, seq: number): HeardLive {
  const newer = (m: Record<string, Heard>) =>
    Object.fromEntries(Object.entries(m).filter(([, h]) => h.seq > seq));
  const station = heard.station && heard.station.seq > seq ? heard.station : null;
  return { connectors: newer(heard.connectors), links: newer(heard.links), station };
}

/** The connectors as read, with any newer status or connection heard live. */
function withHeard(connectors: ConnectorView[], heard: HeardLive): ConnectorView[] {
  return connectors.map((c) => {
    const exact = heard.connectors[connectorKey(c.chargePointId, c.evseId, c.connectorId)];
    const evse = heard.connectors[connectorKey(c.chargePointId, c.evseId, "*")];
    const h = exact && evse ? (exact.seq > evse.seq ? exact : evse) : (exact ?? evse);
    const link = heard.links[c.chargePointId];
    return {
      ...c,
      status: h ? h.status : c.status,
      online: link ? link.status === "online" : c.online,
    };
  });
}

/** Whether the panel lists the connector(s) a status event is about. */
function lists(connectors: ConnectorView[], e: LiveEvent): boolean {
  return connectors.some(
    (c) =>
      c.chargePointId === e.chargePointId &&
      c.evseId === e.evseId &&
      (e.connectorId === null || c.connectorId === e.connectorId),
  );
}

function Chart({ days }: { days: DayEnergy[] }) {
  const { lang } = useI18n();
  const max = Math.max(1, ...days.map((d) => d.energyWh));
  return (
    <div class="chart" data-testid="energy-chart">
      {days.map((d) => (
        <div
          class="bar-wrap"
          key={d.day}
          data-testid="energy-bar"
          data-day={d.day}
          data-wh={d.energyWh}
          title={`${formatDay(lang, d.day)}: ${formatEnergyWh(lang, d.energyWh)}`}
        >
          {/* Bars scale within their own area: sharing it with the label, the
              tallest were squashed to the same height. */}
          <div class="bar-area">
            <div class="bar" style={{ height: `${(100 * d.energyWh) / max}%` }} />
          </div>
          <span class="bar-label">{formatDay(lang, d.day).split(" ")[0]}</span>
        </div>
      ))}
    </div>
  );
}

export function StationPanel({
  selected,
  liveStatus,
  canCommand,
  flatTariffUzsPerKwh,
  onClose,
  onError,
}: Props) {
  const { t, lang } = useI18n();
  const [details, setDetails] = useState<Record<string, unknown> | null>(null);
  const [detailError, setDetailError] = useState<string | null>(null);
  const [sessions, setSessions] = useState<SessionRow[] | null>(null);
  const [sessionsError, setSessionsError] = useState<string | null>(null);
  const [commandResult, setCommandResult] = useState<string | null>(null);
  const [tariff, setTariff] = useState<Tariff | null>(null);
  const [heard, setHeard] = useState<HeardLive>(NOTHING_HEARD);
  const p = selected.properties;
  const isStation = selected.layer === "stations-points";
  const id = selected.id;
  // Live events of this station heard so far (numbers `Heard.seq`); the newest
  // read of the station and of its sessions (an older answer is dropped).
  const heardCount = useRef(0);
  const detailsRead = useRef(0);
  const sessionsRead = useRef(0);
  const shownId = useRef(id);
  shownId.current = id;

  /** Read the station again (its connectors' statuses), and its sessions if asked. */
  const reread = useCallback(
    (withSessions: boolean) => {
      if (!isStation || id === undefined) return;
      const read = ++detailsRead.current;
      const since = heardCount.current;
      apiFetch<unknown>(ENDPOINTS.station(id))
        .then((b) => {
          if (read !== detailsRead.current) return;
          setDetails(stationProps(b));
          setDetailError(null);
          setHeard((h) => forget(h, since));
        })
        .catch((e: unknown) => {
          if (read !== detailsRead.current) return;
          setDetailError(e instanceof ApiError ? e.detail : String(e));
        });
      // Sessions are operator data (technicians and admins): not asked for otherwise.
      if (!withSessions || !canCommand) return;
      const sRead = ++sessionsRead.current;
      apiFetch<unknown>(ENDPOINTS.sessions(`site_id=${encodeURIComponent(String(id))}&limit=200`))
        .then((b) => {
          if (sRead !== sessionsRead.current) return;
          setSessions(listOf<SessionRow>(b));
          setSessionsError(null);
        })
        .catch((e: unknown) => {
          if (sRead !== sessionsRead.current) return;
          setSessionsError(e instanceof ApiError ? e.detail : String(e));
        });
    },
    [id, isStation, canCommand],
  );

  useEffect(() => {
    setDetails(null);
    setDetailError(null);
    setSessions(null);
    setSessionsError(null);
    setCommandResult(null);
    setTariff(null);
    setHeard(NOTHING_HEARD);
    reread(true);
  }, [reread]);

  const connectorsRead: ConnectorView[] = details ? flattenConnectors(details) : [];
  const listed = useRef(connectorsRead);
  listed.current = connectorsRead;

  // Live: the open station's events (the same link that re-colours the markers)
  // change its connectors' statuses in place; an event about a connector not
  // listed yet re-reads the station once. No polling.
  useEffect(() => {
    const siteId = Number(id);
    if (!isStation || id === undefined || !Number.isInteger(siteId)) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const rereadSoon = () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        reread(false);
      }, REREAD_AFTER_MS);
    };
    const stop = subscribeLive({
      event: (e) => {
        const mine =
          e.siteId === siteId ||
          (e.chargePointId !== null &&
            listed.current.some((c) => c.chargePointId === e.chargePointId));
        if (!mine) return;
        const seq = ++heardCount.current;
        setHeard((h) => hear(h, e, seq, siteId));
        const aboutAnEvse = e.evseId !== null && e.evseId >= 1; // not the whole charge point
        if (e.type === "status" && e.status && aboutAnEvse && !lists(listed.current, e)) {
          rereadSoon();
        }
      },
      // Back after a broken link: what was said meanwhile is lost, read it.
      resync: () => reread(false),
    });
    return () => {
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [id, isStation, reread]);

  const readStatus = details && isStationStatus(details.status) ? details.status : undefined;
  const status = heard.station?.status ?? readStatus ?? liveStatus ?? String(p.status ?? "unknown");
  const connectors = withHeard(connectorsRead, heard);
  const props = { ...p, ...(details ?? {}) };
  const maxPower = Number(props.max_power_kw ?? p.max_power_kw ?? 0);

  // The command record: `status` is the exchange (answered, error, timeout), the
  // charge point's own answer (Accepted, Rejected, ...) is in `response.status`.
  type Answer = {
    status?: string;
    response?: { status?: unknown } | null;
    error_detail?: string | null;
  };
  const send = (command: Command, chargePointId: string) => {
    const json = (body: unknown): RequestInit => jsonRequest("POST", body);
    const label = t(`station.cmd.${command}`);
    // Remote stop needs the charge point's active session, asked for now: it may
    // have begun after the panel opened (a remote start a moment ago).
    const activeSession = () =>
      apiFetch<unknown>(
        ENDPOINTS.sessions(
          `charge_point_id=${encodeURIComponent(chargePointId)}&status=active&limit=1`,
        ),
      ).then((b) => listOf<SessionRow>(b)[0]);
    const request = async (): Promise<Answer | null> => {
      if (command === "remoteStop") {
        const active = await activeSession();
        return active ? apiFetch<Answer>(ENDPOINTS.remoteStop(active.id), json({})) : null;
      }
      const [path, init]: [string, RequestInit] =
        command === "remoteStart"
          ? [ENDPOINTS.remoteStart(chargePointId), json({ id_tag: "OPERATOR" })]
          : command === "reset"
            ? [ENDPOINTS.reset(chargePointId), json({ type: "soft" })]
            : [
                ENDPOINTS.availability(chargePointId),
                json({ evse_id: 0, operative: command === "available" }),
              ];
      return apiFetch<Answer>(path, init);
    };
    setCommandResult(null);
    const forId = id;
    request()
      .then((r) => {
        if (shownId.current !== forId) return; // the panel shows another station now
        setCommandResult(
          r === null
            ? t("station.cmd.failed", { command: label, detail: t("station.noSessions") })
            : t("station.cmd.sent", {
                command: label,
                result:
                  r.error_detail ??
                  (typeof r.response?.status === "string" ? r.response.status : null) ??
                  r.status ??
                  "ok",
              }),
        );
        // What the command changed (availability, a session begun or ended): read
        // the station and its sessions again; later status changes arrive live.
        if (r !== null) reread(true);
      })
      .catch((e: unknown) => {
        const detail = e instanceof ApiError ? e.detail : String(e);
        if (shownId.current === forId) {
          setCommandResult(t("station.cmd.failed", { command: label, detail }));
        }
        onError(detail);
      });
  };

  const chargePoints = [...new Set(connectors.map((c) => c.chargePointId).filter(Boolean))];
  const firstCp = chargePoints[0];
  useEffect(() => {
    if (!firstCp) return;
    // The tariff in effect now (accounts); without one, the flat tariff of the settings.
    apiFetch<Tariff>(ENDPOINTS.tariff(firstCp))
      .then(setTariff)
      .catch(() => setTariff(null));
  }, [firstCp]);

  return (
    <aside class="side station" data-testid="station-panel">
      <header>
        <h2 data-testid="station-name">{String(props.name ?? t("station.title"))}</h2>
        <button type="button" class="close" aria-label={t("station.close")} onClick={onClose}>
          ×
        </button>
      </header>
      {props.source === "demo" && <p class="badge demo">{t("station.demo")}</p>}
      {isStation && (
        <p>
          <span
            class="dot"
            style={{ background: isStationStatus(status) ? STATUS_COLORS[status] : "#999" }}
          />
          <span data-testid="station-status">
            {t(`legend.status.${isStationStatus(status) ? status : "unknown"}`)}
          </span>
          {" · "}
          {t("station.maxPower")}: {formatPowerKw(lang, maxPower)}
        </p>
      )}
      {selected.layer === "planned-points" && (
        <p>
          {t("legend.status.planned")}: {String(p.year)} ·{" "}
          {formatPowerKw(lang, Number(p.power_kw ?? 0))}
        </p>
      )}
      <dl>
        {props.operator !== undefined && props.operator !== null && (
          <>
            <dt>{t("station.operator")}</dt>
            <dd>{String(props.operator)}</dd>
          </>
        )}
        {props.city !== undefined && props.city !== null && (
          <>
            <dt>{t("station.city")}</dt>
            <dd>{String(props.city)}</dd>
          </>
        )}
        {props.address !== undefined && props.address !== null && (
          <>
            <dt>{t("station.address")}</dt>
            <dd>{String(props.address)}</dd>
          </>
        )}
        {props.connector_types !== undefined && (
          <>
            <dt>{t("station.connectorTypes")}</dt>
            <dd>
              {String(
                Array.isArray(props.connector_types)
                  ? props.connector_types.join(", ")
                  : props.connector_types,
              ).replace(/,/g, ", ")}
            </dd>
          </>
        )}
        {isStation && (tariff || flatTariffUzsPerKwh !== null) && (
          <>
            <dt>{t("station.tariff")}</dt>
            <dd data-testid="station-tariff">
              {tariff ? `${tariff.name}: ` : ""}
              {t("station.tariffFlat", {
                price: formatSom(
                  lang,
                  tariff ? tariff.energy_uzs_per_kwh : (flatTariffUzsPerKwh ?? 0),
                ),
              })}
              {tariff && tariff.session_fee_uzs > 0
                ? ` · ${t("station.sessionFee", { price: formatSom(lang, tariff.session_fee_uzs) })}`
                : ""}
              {tariff && tariff.time_uzs_per_min > 0
                ? ` · ${t("station.perMinute", { price: formatSom(lang, tariff.time_uzs_per_min) })}`
                : ""}
            </dd>
          </>
        )}
      </dl>
      {detailError && isStation && (
        <p class="notice" data-testid="station-details-error">
          {t("station.detailsUnavailable", { detail: detailError })}
        </p>
      )}
      {connectors.length > 0 && (
        <>
          <h3>{t("station.connectors")}</h3>
          <table class="table" data-testid="station-connectors">
            <tbody>
              {connectors.map((c) => {
                const s = connectorState(c);
                return (
                  <tr
                    key={`${c.chargePointId}-${c.evseId}-${c.connectorId}`}
                    data-testid="connector-row"
                    data-status={s}
                  >
                    <td>
                      {c.chargePointId} #{c.evseId ?? "?"}/{c.connectorId ?? "?"}
                    </td>
                    <td>{c.type.replace("_", " ")}</td>
                    <td>{c.maxPowerKw !== null ? formatPowerKw(lang, c.maxPowerKw) : ""}</td>
                    <td>
                      <span class="dot" style={{ background: STATUS_COLORS[s] }} />
                      {connectorStatusText(t, c)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {isStation && canCommand && (
        <>
          <h3>{t("station.energyPerDay")}</h3>
          {sessions ? <Chart days={energyPerDay(sessions, 14, new Date())} /> : null}
          <h3>{t("station.lastSessions")}</h3>
          {sessionsError && (
            <p class="notice">{t("sessions.unavailable", { detail: sessionsError })}</p>
          )}
          {sessions && sessions.length === 0 && <p class="muted">{t("station.noSessions")}</p>}
          {sessions && sessions.length > 0 && (
            <table class="table" data-testid="station-sessions">
              <tbody>
                {sessions.slice(0, 5).map((s) => (
                  <tr key={s.id} data-testid="station-session" data-session-id={s.id}>
                    <td>{formatDate(lang, s.started_at)}</td>
                    <td>{s.energy_wh !== null ? formatEnergyWh(lang, s.energy_wh) : ""}</td>
                    <td>{s.cost_uzs !== null ? formatSom(lang, s.cost_uzs) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {isStation && canCommand && (
        <section data-testid="station-commands">
          <h3>{t("station.commands")}</h3>
          {(chargePoints.length ? chargePoints : [""]).map((cp) => (
            <div class="commands" key={cp}>
              {cp && <span class="muted">{cp}</span>}
              {(["remoteStart", "remoteStop", "reset", "available", "unavailable"] as const).map(
                (c) => (
                  <button
                    type="button"
                    key={c}
                    disabled={!cp}
                    data-testid={`cmd-${c}`}
                    onClick={() => send(c, cp)}
                  >
                    {t(`station.cmd.${c}`)}
                  </button>
                ),
              )}
            </div>
          ))}
          {commandResult && (
            <p class="notice" data-testid="command-result">
              {commandResult}
            </p>
          )}
        </section>
      )}
    </aside>
  );
}
