import { useCallback, useEffect, useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { meFetch, signedOutOr } from "../lib/cabinet";
import { ENDPOINTS, listOf } from "../lib/endpoints";
import { formatDate } from "../lib/format";
import {
  type OperatorRow,
  ORG_ROLES,
  operatorErrorView,
  ROLES,
  type Role,
  type UserRow,
} from "../lib/operator";
import { ConfirmButton, ErrorNotice, InputField, OperatorTable } from "./CabinetCommon";
import type { OperatorProps } from "./CabinetOperator";
import { useI18n } from "./i18n";

/** Checkboxes of operators (technicians and partners belong to some). */
export function OperatorPicker({
  operators,
  value,
  onChange,
  testId,
}: {
  operators: OperatorRow[];
  value: number[];
  onChange: (ids: number[]) => void;
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <fieldset class="operator-picker" data-testid={testId}>
      <legend>{t("operator.users.operators")}</legend>
      {operators.length === 0 && <span class="muted small">{t("operator.operators.empty")}</span>}
      {operators.map((o) => (
        <label key={o.id} class="check">
          <input
            type="checkbox"
            data-testid="operator-pick"
            value={String(o.id)}
            checked={value.includes(o.id)}
            onChange={(e) =>
              onChange(
                e.currentTarget.checked ? [...value, o.id] : value.filter((id) => id !== o.id),
              )
            }
          />{" "}
          {o.name}
        </label>
      ))}
    </fieldset>
  );
}

function RoleSelect({
  value,
  onChange,
  testId,
}: {
  value: Role;
  onChange: (r: Role) => void;
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <select
      data-testid={testId}
      aria-label={t("operator.users.role")}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value as Role)}
    >
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`operator.role.${r}`)}
        </option>
      ))}
    </select>
  );
}

function UserRowView({
  user,
  props,
  reload,
}: {
  user: UserRow;
  props: OperatorProps;
  reload: () => void;
}) {
  const { t, lang } = useI18n();
  const { operators, operatorName, onError, me } = props;
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState<Role>(user.role);
  const [ids, setIds] = useState<number[]>(user.operator_ids);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const self = user.id === me.id;

  const patch = (body: Record<string, unknown>) => {
    setError(null);
    meFetch<UserRow>(ENDPOINTS.user(user.id), jsonRequest("PATCH", body))
      .then(() => {
        setEditing(false);
        reload();
      })
      .catch(signedOutOr(onError, setError));
  };
  const remove = () => {
    setConfirming(false);
    meFetch(ENDPOINTS.user(user.id), { method: "DELETE" })
      .then(reload)
      .catch(signedOutOr(onError, setError));
  };

  return (
    <tr data-testid="user-row" data-email={user.email ?? ""} data-active={String(user.is_active)}>
      <td>
        <strong>{user.email ?? user.phone}</strong>
        <div class="muted small">
          {[user.full_name, user.phone, formatDate(lang, user.created_at)]
            .filter(Boolean)
            .join(" · ")}
        </div>
      </td>
      <td data-testid="user-role">
        {editing ? (
          <RoleSelect value={role} onChange={setRole} testId="user-edit-role" />
        ) : (
          t(`operator.role.${user.role}`)
        )}
      </td>
      <td data-testid="user-operators">
        {editing && (ORG_ROLES as readonly string[]).includes(role) ? (
          <OperatorPicker
            operators={operators}
            value={ids}
            onChange={setIds}
            testId="user-edit-operators"
          />
        ) : (
          user.operator_ids.map(operatorName).join(", ") || "—"
        )}
      </td>
      <td data-testid="user-status">
        <span class={`badge ${user.is_active ? "active" : "completed"}`}>
          {user.is_active ? t("operator.users.active") : t("operator.users.inactive")}
        </span>
      </td>
      <td class="actions">
        {editing ? (
          <>
            <button
              type="button"
              class="primary"
              data-testid="user-save"
              onClick={() =>
                patch({
                  role,
                  operator_ids: (ORG_ROLES as readonly string[]).includes(role) ? ids : [],
                })
              }
            >
              {t("operator.save")}
            </button>{" "}
            <button
              type="button"
              data-testid="user-cancel"
              onClick={() => {
                setEditing(false);
                setError(null);
              }}
            >
              {t("operator.cancel")}
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              class="link"
              data-testid="user-edit"
              onClick={() => {
                setRole(user.role);
                setIds(user.operator_ids);
                setError(null);
                setEditing(true);
              }}
            >
              {t("operator.edit")}
            </button>{" "}
            {!self && (
              <button
                type="button"
                class="link"
                data-testid="user-toggle-active"
                onClick={() => patch({ is_active: !user.is_active })}
              >
                {user.is_active ? t("operator.users.deactivate") : t("operator.users.activate")}
              </button>
            )}{" "}
            {!self && (
              <ConfirmButton
                testId="user-delete"
                label={t("operator.delete")}
                question={t("operator.users.confirmDelete")}
                open={confirming}
                onOpen={() => setConfirming(true)}
                onClose={() => setConfirming(false)}
                onConfirm={remove}
              />
            )}
          </>
        )}
        <ErrorNotice error={error} testId="user-row-error" explain={operatorErrorView} />
      </td>
    </tr>
  );
}

/** Accounts (admins): list by role, create with role and operators, change, deactivate. */
export function OperatorUsers(props: OperatorProps) {
  const { t } = useI18n();
  const { operators, onError, done } = props;
  const [users, setUsers] = useState<UserRow[] | null>(null);
  const [roleFilter, setRoleFilter] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [phone, setPhone] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("technician");
  const [ids, setIds] = useState<number[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    const q = new URLSearchParams({ limit: "500" });
    if (roleFilter) q.set("role", roleFilter);
    meFetch<unknown>(ENDPOINTS.users(q.toString()))
      .then((b) => setUsers(listOf<UserRow>(b)))
      .catch(onError);
  }, [onError, roleFilter]);
  useEffect(load, [load]);

  const orgRole = (ORG_ROLES as readonly string[]).includes(role);
  const create = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    meFetch<UserRow>(
      ENDPOINTS.users(),
      jsonRequest("POST", {
        email: email.trim(),
        password,
        role,
        phone: phone.trim() || null,
        full_name: name.trim() || null,
        operator_ids: orgRole ? ids : [],
      }),
    )
      .then((u) => {
        done(t("operator.users.created", { email: u.email ?? "" }));
        setEmail("");
        setPassword("");
        setPhone("");
        setName("");
        setIds([]);
        load();
      })
      .catch(signedOutOr(onError, setError))
      .finally(() => setBusy(false));
  };

  return (
    <div class="operator-grid">
      <section class="cabinet-card">
        <header>
          <h2>{t("operator.users.title")}</h2>
          <select
            data-testid="users-role-filter"
            aria-label={t("operator.users.role")}
            value={roleFilter}
            onChange={(e) => setRoleFilter(e.currentTarget.value)}
          >
            <option value="">{t("operator.users.allRoles")}</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`operator.role.${r}`)}
              </option>
            ))}
          </select>
        </header>
        <OperatorTable
          testId="users-table"
          columns={[
            t("operator.users.account"),
            t("operator.users.role"),
            t("operator.users.operators"),
            t("operator.users.status"),
            "",
          ]}
        >
          {(users ?? []).map((u) => (
            <UserRowView
              key={`${u.id}-${u.role}-${u.operator_ids.join(",")}`}
              user={u}
              props={props}
              reload={load}
            />
          ))}
        </OperatorTable>
        {users && users.length === 0 && <p class="muted">{t("operator.users.empty")}</p>}
      </section>
      <form class="cabinet-card" data-testid="user-form" onSubmit={create}>
        <h2>{t("operator.users.createTitle")}</h2>
        <InputField
          label={t("cabinet.auth.email")}
          testId="user-email"
          type="email"
          required
          autocomplete="off"
          value={email}
          onValue={setEmail}
        />
        <InputField
          label={t("auth.password")}
          testId="user-password"
          type="password"
          required
          autocomplete="new-password"
          value={password}
          onValue={setPassword}
        />
        <p class="muted small">{t("cabinet.auth.passwordRules")}</p>
        <InputField
          label={t("cabinet.auth.phone")}
          testId="user-phone"
          type="tel"
          placeholder="+998 90 123 45 67"
          value={phone}
          onValue={setPhone}
        />
        <InputField
          label={t("cabinet.auth.name")}
          testId="user-name"
          value={name}
          onValue={setName}
        />
        <div class="field">
          {t("operator.users.role")}
          <RoleSelect value={role} onChange={setRole} testId="user-role-select" />
        </div>
        {orgRole ? (
          <OperatorPicker
            operators={operators}
            value={ids}
            onChange={setIds}
            testId="user-operators"
          />
        ) : (
          <p class="muted small">{t("operator.users.noOperators")}</p>
        )}
        <ErrorNotice error={error} testId="user-error" explain={operatorErrorView} />
        <button type="submit" class="primary" data-testid="user-create" disabled={busy}>
          {t("operator.users.create")}
        </button>
      </form>
    </div>
  );
}
