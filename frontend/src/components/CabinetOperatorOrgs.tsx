import { useState } from "preact/hooks";
import { jsonRequest } from "../lib/api";
import { meFetch, signedOutOr } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import { formatNumber } from "../lib/format";
import { type OperatorRow, operatorErrorView } from "../lib/operator";
import { ConfirmButton, ErrorNotice, InputField } from "./CabinetCommon";
import type { OperatorProps } from "./CabinetOperator";
import { useI18n } from "./i18n";

function OperatorRowView({
  op,
  admin,
  props,
}: {
  op: OperatorRow;
  admin: boolean;
  props: OperatorProps;
}) {
  const { t, lang } = useI18n();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(op.name);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);

  const save = (e: Event) => {
    e.preventDefault();
    setError(null);
    meFetch<OperatorRow>(ENDPOINTS.operator(op.id), jsonRequest("PATCH", { name: name.trim() }))
      .then(() => {
        setEditing(false);
        props.reloadOperators();
      })
      .catch(signedOutOr(props.onError, setError));
  };
  // Refused while the operator owns sites: the row says why.
  const remove = () => {
    setConfirming(false);
    setError(null);
    meFetch(ENDPOINTS.operator(op.id), { method: "DELETE" })
      .then(() => {
        props.done(t("operator.operators.deleted", { name: op.name }));
        props.reloadOperators();
      })
      .catch(signedOutOr(props.onError, setError));
  };

  return (
    <li data-testid="operator-row" data-operator-id={op.id}>
      {editing ? (
        <form class="row" onSubmit={save}>
          <input
            data-testid="operator-edit-name"
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit" class="primary" data-testid="operator-save">
            {t("operator.save")}
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            {t("operator.cancel")}
          </button>
        </form>
      ) : (
        <>
          <div>
            <strong data-testid="operator-name">{op.name}</strong>
            <div class="muted small">
              {t("operator.operators.sites", { n: formatNumber(lang, op.site_count) })}
              {" · "}
              {t("operator.operators.source", { source: op.source })}
            </div>
          </div>
          {admin && (
            <button
              type="button"
              class="link"
              data-testid="operator-edit"
              onClick={() => {
                setName(op.name);
                setEditing(true);
              }}
            >
              {t("operator.edit")}
            </button>
          )}{" "}
          {admin && (
            <ConfirmButton
              testId="operator-delete"
              label={t("operator.delete")}
              question={t("operator.operators.confirmDelete")}
              open={confirming}
              onOpen={() => setConfirming(true)}
              onClose={() => setConfirming(false)}
              onConfirm={remove}
            />
          )}
        </>
      )}
      <ErrorNotice error={error} testId="operator-row-error" explain={operatorErrorView} />
    </li>
  );
}

/** Operators: admins see and change all; technicians and partners read their own. */
export function OperatorOperators(props: OperatorProps) {
  const { t } = useI18n();
  const { operators, me, onError, done, reloadOperators } = props;
  const admin = me.role === "admin";
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const create = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    meFetch<OperatorRow>(ENDPOINTS.operators, jsonRequest("POST", { name: name.trim() }))
      .then((op) => {
        done(t("operator.operators.created", { name: op.name }));
        setName("");
        reloadOperators();
      })
      .catch(signedOutOr(onError, setError))
      .finally(() => setBusy(false));
  };

  return (
    <div class="operator-grid">
      <section class="cabinet-card">
        <h2>{t("operator.operators.title")}</h2>
        {!admin && <p class="muted small">{t("operator.operators.ownOnly")}</p>}
        {operators.length === 0 && (
          <p class="muted" data-testid="operators-empty">
            {t("operator.operators.empty")}
          </p>
        )}
        <ul class="cabinet-list">
          {operators.map((op) => (
            <OperatorRowView key={`${op.id}-${op.name}`} op={op} admin={admin} props={props} />
          ))}
        </ul>
      </section>
      {admin && (
        <form class="cabinet-card" data-testid="operator-form" onSubmit={create}>
          <h2>{t("operator.operators.createTitle")}</h2>
          <InputField
            label={t("operator.operators.name")}
            testId="operator-name-input"
            required
            value={name}
            onValue={setName}
          />
          <ErrorNotice error={error} testId="operator-error" explain={operatorErrorView} />
          <button type="submit" class="primary" data-testid="operator-create" disabled={busy}>
            {t("operator.operators.create")}
          </button>
        </form>
      )}
    </div>
  );
}
