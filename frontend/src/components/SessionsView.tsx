import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, apiFetch, saveBlob } from "../lib/api";
import { toCsv } from "../lib/csv";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate, formatEnergyWh, formatSom } from "../lib/format";
import { tashkentDay } from "../lib/station";
import { useI18n } from "./i18n";
import type { SessionRow } from "./StationPanel";

type SortKey = "started_at" | "energy_wh" | "cost_uzs" | "charge_point_id";

export function SessionsView({ onClose }: { onClose: () => void }) {
  const { t, lang } = useI18n();
  const [rows, setRows] = useState<SessionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({
    key: "started_at",
    desc: true,
  });

  useEffect(() => {
    apiFetch<unknown>(ENDPOINTS.sessions("limit=1000"))
      .then((b) => setRows(listOf<SessionRow>(b)))
      .catch((e: unknown) => setError(e instanceof ApiError ? e.detail : String(e)));
  }, []);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const list = (rows ?? []).filter(
      (r) =>
        (!q || r.charge_point_id.toLowerCase().includes(q) || r.status.toLowerCase().includes(q)) &&
        // The day as the table shows it (Tashkent), not the UTC date of the timestamp.
        (!from || (tashkentDay(r.started_at) ?? "") >= from) &&
        (!to || (tashkentDay(r.started_at) ?? "") <= to),
    );
    const k = sort.key;
    list.sort((a, b) => {
      const x = a[k] ?? "";
      const y = b[k] ?? "";
      const c = x < y ? -1 : x > y ? 1 : 0;
      return sort.desc ? -c : c;
    });
    return list;
  }, [rows, filter, from, to, sort]);

  const exportCsv = () => {
    const csv = toCsv(
      ["id", "charge_point_id", "started_at", "stopped_at", "energy_wh", "cost_uzs", "status"],
      shown.map((r) => [
        r.id,
        r.charge_point_id,
        r.started_at,
        r.stopped_at,
        r.energy_wh,
        r.cost_uzs,
        r.status,
      ]),
    );
    saveBlob(new Blob([csv], { type: "text/csv" }), "quvvat-sessions.csv");
  };

  const head = (key: SortKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : undefined}>
      <button
        type="button"
        class="link"
        data-testid={`sessions-sort-${key}`}
        onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : true })}
      >
        {label}
        {sort.key === key ? (sort.desc ? " ▾" : " ▴") : ""}
      </button>
    </th>
  );

  return (
    <div class="modal" data-testid="sessions-view">
      <div class="modal-body wide">
        <header>
          <h2>{t("sessions.title")}</h2>
          <button type="button" class="close" aria-label={t("sessions.close")} onClick={onClose}>
            ×
          </button>
        </header>
        {error && <p class="notice">{t("sessions.unavailable", { detail: error })}</p>}
        <div class="row">
          <input
            data-testid="sessions-filter"
            placeholder={t("sessions.filter")}
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
          <label>
            {t("sessions.from")}{" "}
            <input
              type="date"
              data-testid="sessions-from"
              value={from}
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
          </label>
          <label>
            {t("sessions.to")}{" "}
            <input
              type="date"
              data-testid="sessions-to"
              value={to}
              onInput={(e) => setTo(e.currentTarget.value)}
            />
          </label>
          <button
            type="button"
            data-testid="sessions-export"
            disabled={!shown.length}
            onClick={exportCsv}
          >
            {t("sessions.export")}
          </button>
        </div>
        {rows && shown.length === 0 && <p class="muted">{t("sessions.empty")}</p>}
        {shown.length > 0 && (
          <table class="table" data-testid="sessions-table">
            <thead>
              <tr>
                {head("charge_point_id", t("sessions.station"))}
                {head("started_at", t("sessions.started"))}
                <th>{t("sessions.stopped")}</th>
                {head("energy_wh", t("sessions.energy"))}
                {head("cost_uzs", t("sessions.cost"))}
                <th>{t("sessions.status")}</th>
              </tr>
            </thead>
            <tbody>
              {/* Every row the filter keeps: the CSV export holds exactly these. */}
              {shown.map((r) => (
                <tr key={r.id} data-testid="sessions-row" data-session-id={r.id}>
                  <td>{r.charge_point_id}</td>
                  <td>{formatDate(lang, r.started_at)}</td>
                  <td>{r.stopped_at ? formatDate(lang, r.stopped_at) : ""}</td>
                  <td>{r.energy_wh !== null ? formatEnergyWh(lang, r.energy_wh) : ""}</td>
                  <td>{r.cost_uzs !== null ? formatSom(lang, r.cost_uzs) : ""}</td>
                  <td>{r.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
