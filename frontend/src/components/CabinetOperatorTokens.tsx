import { useEffect, useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { meFetch, signedOutOr, tokenKindKey } from "../lib/cabinet";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate } from "../lib/format";
import {
  API_KEY_SCOPES,
  type ApiKeyCreated,
  type ApiKeyRow,
  type IdTokenRow,
  operatorErrorView,
  type UserRow,
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

/** Drivers' RFID cards and app tokens (admins): status, block, unblock, expire. */
function IdTokens({ onError }: OperatorProps) {
  const { t, lang } = useI18n();
  const [q, setQ] = useState("");
  const [error, setError] = useState<unknown>(null);

  const [rows, load] = useMeFetched<IdTokenRow[]>(ENDPOINTS.idTokens("limit=1000"), onError);

  const setStatus = (row: IdTokenRow, status: "Accepted" | "Blocked" | "Expired") => {
    setError(null);
    meFetch<IdTokenRow>(ENDPOINTS.idToken(row.token), jsonRequest("PATCH", { status }))
      .then(load)
      .catch(signedOutOr(onError, setError));
  };

  const needle = q.trim().toUpperCase();
  const shown = (rows ?? []).filter((r) => !needle || r.token.toUpperCase().includes(needle));
  return (
    <section class="cabinet-card">
      <header>
        <h2>{t("operator.tokens.idTitle")}</h2>
        <input
          class="search"
          data-testid="idtoken-search"
          type="search"
          placeholder={t("operator.tokens.search")}
          aria-label={t("operator.tokens.search")}
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </header>
      <ErrorNotice error={error} testId="idtoken-error" explain={operatorErrorView} />
      {rows && shown.length === 0 && (
        <p class="muted" data-testid="idtokens-empty">
          {t("operator.tokens.empty")}
        </p>
      )}
      <OperatorTable
        columns={[
          t("operator.tokens.token"),
          t("operator.tokens.type"),
          t("operator.tokens.status"),
          t("operator.tokens.expires"),
          "",
        ]}
      >
        {shown.map((row) => (
          <tr
            key={row.id}
            data-testid="idtoken-row"
            data-token={row.token}
            data-status={row.status}
          >
            <td>
              <code>{row.token}</code>
            </td>
            <td>{t(tokenKindKey(row.token_type))}</td>
            <td data-testid="idtoken-status">
              <span class={`badge ${row.status === "Accepted" ? "active" : "completed"}`}>
                {t(`operator.tokens.state.${row.status}`, { defaultValue: row.status })}
              </span>
            </td>
            <td>{row.expires_at ? formatDate(lang, row.expires_at) : "—"}</td>
            <td class="actions">
              {row.status === "Accepted" ? (
                <>
                  <button
                    type="button"
                    class="link danger"
                    data-testid="idtoken-block"
                    onClick={() => setStatus(row, "Blocked")}
                  >
                    {t("operator.tokens.block")}
                  </button>{" "}
                  <button
                    type="button"
                    class="link"
                    data-testid="idtoken-expire"
                    onClick={() => setStatus(row, "Expired")}
                  >
                    {t("operator.tokens.expire")}
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  class="link"
                  data-testid="idtoken-unblock"
                  onClick={() => setStatus(row, "Accepted")}
                >
                  {t("operator.tokens.unblock")}
                </button>
              )}
            </td>
          </tr>
        ))}
      </OperatorTable>
    </section>
  );
}

/** Partner API keys: create (the secret is shown once), list, revoke. */
function ApiKeys({ me, onError, done }: OperatorProps) {
  const { t, lang } = useI18n();
  const admin = me.role === "admin";
  const [partners, setPartners] = useState<UserRow[]>([]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["stations:read"]);
  const [owner, setOwner] = useState("");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<number | null>(null);

  const [keys, load] = useMeFetched<ApiKeyRow[]>(ENDPOINTS.apiKeys, onError);
  useEffect(() => {
    if (!admin) return;
    meFetch<unknown>(ENDPOINTS.users("role=partner&limit=500"))
      .then((b) => {
        const list = listOf<UserRow>(b);
        setPartners(list);
        setOwner((o) => o || (list[0] ? String(list[0].id) : ""));
      })
      .catch(onError);
  }, [admin, onError]);

  const ownerName = (id: number) => {
    if (id === me.id) return me.email ?? me.phone ?? `#${id}`;
    const u = partners.find((p) => p.id === id);
    return u ? (u.email ?? u.phone ?? `#${id}`) : `#${id}`;
  };

  const create = (e: Event) => {
    e.preventDefault();
    setError(null);
    setCreated(null);
    const body: Record<string, unknown> = {
      name: name.trim(),
      scopes,
      expires_at: expires ? `${expires}T23:59:59+05:00` : null,
    };
    if (admin) body.owner_user_id = owner ? Number.parseInt(owner, 10) : null;
    meFetch<ApiKeyCreated>(ENDPOINTS.apiKeys, jsonRequest("POST", body))
      .then((k) => {
        setCreated(k);
        setName("");
        load();
      })
      .catch(signedOutOr(onError, setError));
  };

  const revoke = (id: number) => {
    setConfirming(null);
    meFetch<ApiKeyRow>(ENDPOINTS.apiKey(id), { method: "DELETE" })
      .then((k) => {
        done(t("operator.keys.revokedNote", { name: k.name }));
        load();
      })
      .catch(signedOutOr(onError, setError));
  };

  return (
    <>
      <section class="cabinet-card">
        <h2>{t("operator.keys.title")}</h2>
        {keys && keys.length === 0 && (
          <p class="muted" data-testid="apikeys-empty">
            {t("operator.keys.empty")}
          </p>
        )}
        <ul class="cabinet-list">
          {(keys ?? []).map((k) => (
            <li
              key={k.id}
              data-testid="apikey-row"
              data-key-id={k.id}
              data-revoked={String(k.revoked_at !== null)}
            >
              <div>
                <strong>{k.name}</strong> <code>{k.prefix}…</code>{" "}
                <span
                  class={`badge ${k.revoked_at ? "completed" : "active"}`}
                  data-testid="apikey-state"
                >
                  {k.revoked_at ? t("operator.keys.revoked") : t("operator.keys.active")}
                </span>
                <div class="muted small">
                  {k.scopes.join(", ")}
                  {admin && ` · ${t("operator.keys.owner")}: ${ownerName(k.user_id)}`}
                  {" · "}
                  {t("operator.keys.createdAt", { when: formatDate(lang, k.created_at) })}
                  {" · "}
                  {k.last_used_at
                    ? t("operator.keys.lastUsed", { when: formatDate(lang, k.last_used_at) })
                    : t("operator.keys.neverUsed")}
                  {k.expires_at &&
                    ` · ${t("operator.keys.expiresAt", { when: formatDate(lang, k.expires_at) })}`}
                </div>
              </div>
              {!k.revoked_at && (
                <ConfirmButton
                  testId="apikey-revoke"
                  label={t("operator.keys.revoke")}
                  question={t("operator.keys.confirmRevoke")}
                  open={confirming === k.id}
                  onOpen={() => setConfirming(k.id)}
                  onClose={() => setConfirming(null)}
                  onConfirm={() => revoke(k.id)}
                />
              )}
            </li>
          ))}
        </ul>
      </section>
      <form class="cabinet-card" data-testid="apikey-form" onSubmit={create}>
        <h2>{t("operator.keys.createTitle")}</h2>
        <InputField
          label={t("operator.keys.name")}
          testId="apikey-name"
          required
          value={name}
          onValue={setName}
        />
        {admin && (
          <label class="field">
            {t("operator.keys.owner")}
            <select
              data-testid="apikey-owner"
              value={owner}
              onChange={(e) => setOwner(e.currentTarget.value)}
            >
              {partners.length === 0 && <option value="">{t("operator.keys.noPartners")}</option>}
              {partners.map((p) => (
                <option key={p.id} value={String(p.id)}>
                  {p.email ?? p.phone}
                </option>
              ))}
            </select>
          </label>
        )}
        <fieldset>
          <legend>{t("operator.keys.scopes")}</legend>
          {API_KEY_SCOPES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                data-testid="apikey-scope"
                value={s}
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes(
                    e.currentTarget.checked ? [...scopes, s] : scopes.filter((x) => x !== s),
                  )
                }
              />{" "}
              <code>{s}</code>
            </label>
          ))}
        </fieldset>
        <InputField
          label={t("operator.keys.expires")}
          testId="apikey-expires"
          type="date"
          value={expires}
          onValue={setExpires}
        />
        <ErrorNotice error={error} testId="apikey-error" explain={operatorErrorView} />
        {created && (
          <div class="notice ok" role="status" data-testid="apikey-created">
            <strong>{t("operator.keys.shownOnce")}</strong>
            <code class="secret" data-testid="apikey-secret">
              {created.key}
            </code>
            <button
              type="button"
              class="link"
              data-testid="apikey-copy"
              onClick={() => {
                navigator.clipboard
                  ?.writeText(created.key)
                  .then(() => done(t("operator.keys.copied")))
                  .catch(() => undefined);
              }}
            >
              {t("operator.keys.copy")}
            </button>{" "}
            <button
              type="button"
              class="link"
              data-testid="apikey-hide"
              onClick={() => setCreated(null)}
            >
              {t("operator.keys.hide")}
            </button>
          </div>
        )}
        <button type="submit" class="primary" data-testid="apikey-create">
          {t("operator.keys.create")}
        </button>
      </form>
    </>
  );
}

/** Tokens: id tokens (admins) and API keys (admins and partners). */
export function OperatorTokens(props: OperatorProps) {
  if (props.me.role !== "admin")
    return (
      <div class="operator-grid">
        <ApiKeys {...props} />
      </div>
    );
  return (
    <div class="operator-grid">
      <div>
        <IdTokens {...props} />
      </div>
      <div>
        <ApiKeys {...props} />
      </div>
    </div>
  );
}
