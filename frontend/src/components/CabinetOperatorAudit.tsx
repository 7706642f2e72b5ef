import { useCallback, useEffect, useState } from "preact/hooks";
import { meFetch } from "../lib/cabinet";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate } from "../lib/format";
import { type AuditRow, actorLabel, auditChanges, type UserRow } from "../lib/operator";
import { OperatorTable } from "./CabinetCommon";
import type { OperatorProps } from "./CabinetOperator";
import { useI18n } from "./i18n";

const ENTITIES = ["user", "operator", "tariff", "id_token", "api_key"] as const;

/** The latest changes (admins): who, what, when, and the fields before and after. */
export function OperatorAudit({ onError }: OperatorProps) {
  const { t, lang } = useI18n();
  const [rows, setRows] = useState<AuditRow[] | null>(null);
  const [total, setTotal] = useState(0);
  const [entity, setEntity] = useState("");
  const [users, setUsers] = useState<Map<number, UserRow>>(new Map());

  const load = useCallback(() => {
    const q = new URLSearchParams({ limit: "100" });
    if (entity) q.set("entity", entity);
    meFetch<{ data: AuditRow[]; count: number }>(ENDPOINTS.audit(q.toString()))
      .then((b) => {
        setRows(b.data);
        setTotal(b.count);
      })
      .catch(onError);
  }, [entity, onError]);
  useEffect(load, [load]);
  useEffect(() => {
    meFetch<unknown>(ENDPOINTS.users("limit=500"))
      .then((b) => setUsers(new Map(listOf<UserRow>(b).map((u) => [u.id, u]))))
      .catch(onError);
  }, [onError]);

  return (
    <section class="cabinet-card operator-audit">
      <header>
        <h2>{t("operator.audit.title")}</h2>
        <div class="row">
          <select
            data-testid="audit-entity"
            aria-label={t("operator.audit.entity")}
            value={entity}
            onChange={(e) => setEntity(e.currentTarget.value)}
          >
            <option value="">{t("operator.audit.allEntities")}</option>
            {ENTITIES.map((en) => (
              <option key={en} value={en}>
                {t(`operator.audit.entities.${en}`)}
              </option>
            ))}
          </select>
          <button type="button" data-testid="audit-reload" onClick={load}>
            {t("operator.audit.reload")}
          </button>
        </div>
      </header>
      {rows && (
        <p class="muted small" data-testid="audit-count">
          {t("operator.audit.count", { shown: String(rows.length), total: String(total) })}
        </p>
      )}
      <OperatorTable
        columns={[
          t("operator.audit.when"),
          t("operator.audit.who"),
          t("operator.audit.what"),
          t("operator.audit.changes"),
        ]}
      >
        {(rows ?? []).map((r) => {
          const changes = auditChanges(r.before, r.after);
          return (
            <tr
              key={r.id}
              data-testid="audit-row"
              data-entity={r.entity}
              data-action={r.action}
              data-entity-id={r.entity_id ?? ""}
            >
              <td>{formatDate(lang, r.at)}</td>
              <td data-testid="audit-actor">{actorLabel(r.actor, users)}</td>
              <td data-testid="audit-what">
                {t(`operator.audit.actions.${r.action}`, { defaultValue: r.action })}{" "}
                {t(`operator.audit.entities.${r.entity}`, { defaultValue: r.entity })}
                {r.entity_id ? ` #${r.entity_id}` : ""}
              </td>
              <td>
                {changes.length > 0 && (
                  <details data-testid="audit-changes">
                    <summary>{t("operator.audit.fields", { n: String(changes.length) })}</summary>
                    <table class="audit-diff">
                      <thead>
                        <tr>
                          <th>{t("operator.audit.field")}</th>
                          <th>{t("operator.audit.before")}</th>
                          <th>{t("operator.audit.after")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {changes.map((c) => (
                          <tr key={c.field} data-testid="audit-change" data-field={c.field}>
                            <td>
                              <code>{c.field}</code>
                            </td>
                            <td class="before">{c.before ?? "—"}</td>
                            <td class="after">{c.after ?? "—"}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                )}
              </td>
            </tr>
          );
        })}
      </OperatorTable>
      {rows && rows.length === 0 && (
        <p class="muted" data-testid="audit-empty">
          {t("operator.audit.empty")}
        </p>
      )}
    </section>
  );
}
