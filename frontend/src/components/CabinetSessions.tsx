import { useEffect, useState } from "preact/hooks";
import { meFetch, type OwnSession, sessionsQuery } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatDate, formatEnergyWh, formatSom } from "../lib/format";
import type { CabinetProps } from "./CabinetApp";
import { InputField, ReceiptButton } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** The driver's sessions, newest first, by date; energy, cost and the receipt of each. */
export function CabinetSessions({ onError }: CabinetProps) {
  const { t, lang } = useI18n();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rows, setRows] = useState<OwnSession[] | null>(null);

  useEffect(() => {
    let alive = true;
    meFetch<{ data: OwnSession[] }>(ENDPOINTS.mySessions(sessionsQuery({ from, to })))
      .then((b) => {
        if (alive) setRows(b.data);
      })
      .catch(onError);
    return () => {
      alive = false;
    };
  }, [from, to, onError]);

  return (
    <div class="cabinet-sessions">
      <section class="cabinet-card">
        <h2>{t("cabinet.sessions.title")}</h2>
        <div class="cabinet-dates">
          <InputField
            label={t("sessions.from")}
            testId="sessions-from"
            type="date"
            value={from}
            onValue={setFrom}
          />
          <InputField
            label={t("sessions.to")}
            testId="sessions-to"
            type="date"
            value={to}
            onValue={setTo}
          />
        </div>
      </section>
      {rows === null && <p class="muted">{t("cabinet.loading")}</p>}
      {rows && rows.length === 0 && (
        <p class="muted" data-testid="sessions-empty">
          {t("cabinet.sessions.empty")}
        </p>
      )}
      <ul class="cabinet-list">
        {(rows ?? []).map((s) => (
          <li
            key={s.id}
            class="cabinet-card session-row"
            data-testid="session-row"
            data-session-id={s.id}
            data-status={s.status}
          >
            <header>
              <strong>{s.site_name ?? s.charge_point_id}</strong>
              <span class={`badge ${s.status}`}>
                {s.status === "active"
                  ? t("cabinet.charge.state.charging")
                  : t("cabinet.charge.state.completed")}
              </span>
            </header>
            <p class="muted">
              {formatDate(lang, s.started_at)}
              {" · "}
              {t("cabinet.charge.where", {
                chargePoint: s.charge_point_id,
                connector: s.evse_id ?? s.connector_id ?? "—",
              })}
            </p>
            <p class="session-figures">
              <span data-testid="energy">{formatEnergyWh(lang, s.energy_wh)}</span>
              <span data-testid="cost">{formatSom(lang, s.cost_uzs)}</span>
            </p>
            {s.status !== "active" && <ReceiptButton sessionId={s.id} onError={onError} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
