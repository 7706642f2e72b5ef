import { useCallback, useEffect, useState } from "preact/hooks";
import type { Me } from "../lib/cabinet";
import { meFetch } from "../lib/cabinet";
import { ENDPOINTS } from "../lib/endpoints";
import {
  isOperatorTab,
  type OperatorRow,
  type OperatorTab,
  operatorTabsFor,
} from "../lib/operator";
import type { CabinetProps } from "./CabinetApp";
import { OperatorAudit } from "./CabinetOperatorAudit";
import { OperatorOperators } from "./CabinetOperatorOrgs";
import { OperatorTariffs } from "./CabinetOperatorTariffs";
import { OperatorTokens } from "./CabinetOperatorTokens";
import { OperatorUsers } from "./CabinetOperatorUsers";
import { useI18n } from "./i18n";

/** What every operator screen gets: the cabinet's props, who is signed in, the operators
 * the caller may see (names for ids) and a way to reload them. */
export interface OperatorProps extends CabinetProps {
  me: Me;
  operators: OperatorRow[];
  reloadOperators: () => void;
  operatorName: (id: number | null) => string;
  /** Say that something worked (a line under the tabs; errors go to `onError`). */
  done: (text: string) => void;
}

function subFromHash(allowed: OperatorTab[]): OperatorTab | undefined {
  const sub = location.hash.replace(/^#/, "").split("/")[1];
  return isOperatorTab(sub) && allowed.includes(sub) ? sub : allowed[0];
}

/** The operator area of /cabinet: one tab per thing the caller's role may manage. */
export function CabinetOperator({ me, onError, notify }: CabinetProps & { me: Me }) {
  const { t } = useI18n();
  const tabs = operatorTabsFor(me.role);
  const [sub, setSubState] = useState<OperatorTab | undefined>(subFromHash(tabs));
  const [operators, setOperators] = useState<OperatorRow[]>([]);
  const [doneText, setDoneText] = useState<string | null>(null);

  const setSub = (next: OperatorTab) => {
    setSubState(next);
    setDoneText(null);
    history.replaceState(null, "", `#operator/${next}`);
  };

  const reloadOperators = useCallback(() => {
    meFetch<OperatorRow[]>(ENDPOINTS.operators).then(setOperators).catch(onError);
  }, [onError]);
  useEffect(reloadOperators, [reloadOperators]);

  const operatorName = useCallback(
    (id: number | null) =>
      id === null
        ? t("operator.tariffs.network")
        : (operators.find((o) => o.id === id)?.name ?? `#${id}`),
    [operators, t],
  );

  const props: OperatorProps = {
    me,
    onError,
    notify,
    operators,
    reloadOperators,
    operatorName,
    done: setDoneText,
  };
  const active = sub && tabs.includes(sub) ? sub : tabs[0];
  return (
    <div class="operator-area" data-testid="operator-area" data-role={me.role}>
      <nav class="operator-tabs" aria-label={t("operator.title")}>
        {tabs.map((id) => (
          <button
            type="button"
            key={id}
            data-testid={`op-tab-${id}`}
            aria-pressed={active === id}
            onClick={() => setSub(id)}
          >
            {t(`operator.tab.${id}`)}
          </button>
        ))}
      </nav>
      {doneText && (
        <p class="notice ok" role="status" data-testid="op-done">
          {doneText}
        </p>
      )}
      {active === "users" && <OperatorUsers {...props} />}
      {active === "operators" && <OperatorOperators {...props} />}
      {active === "tariffs" && <OperatorTariffs {...props} />}
      {active === "tokens" && <OperatorTokens {...props} />}
      {active === "audit" && <OperatorAudit {...props} />}
    </div>
  );
}
