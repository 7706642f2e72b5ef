import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiFetch, streamEvents } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import {
  isFinal,
  type Progress,
  parseProgress,
  progressShare,
  type Scenario,
  type ScenarioStatus,
} from "../lib/scenario";
import { useI18n } from "./i18n";

interface Props {
  scenario: Scenario;
  /** Planners (admin, technician) may run and cancel; others only watch. */
  canPlan: boolean;
  /** The run started: the list shows it running. */
  onStarted: () => void;
  /** The run ended (done, failed or cancelled): reload the list and the results. */
  onFinished: (status: ScenarioStatus) => void;
}

const POLL_MS = 1000;

/** Follow a run: server-sent events (read with the bearer token in a header), or
 * polling /progress when they fail. */
function useRunProgress(
  id: number,
  watching: boolean,
  onProgress: (p: Progress) => void,
  onEnd: (p: Progress) => void,
  onLost: (e: ApiError) => void,
): "events" | "polling" | null {
  const [via, setVia] = useState<"events" | "polling" | null>(null);
  const cb = useRef({ onProgress, onEnd, onLost });
  cb.current = { onProgress, onEnd, onLost };
  useEffect(() => {
    if (!watching) {
      setVia(null);
      return;
    }
    let closed = false;
    const stream = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = (p: Progress): boolean => {
      cb.current.onProgress(p);
      // "created": the run never started here (or not yet): nothing more will come.
      if (isFinal(p.status) || p.status === "created") {
        closed = true;
        stream.abort();
        cb.current.onEnd(p);
        return true;
      }
      return false;
    };
    const poll = () => {
      if (closed) return;
      setVia("polling");
      apiFetch<Progress>(ENDPOINTS.scenarioProgress(id))
        .then((p) => {
          if (!closed && !seen(p)) timer = setTimeout(poll, POLL_MS);
        })
        .catch((e: unknown) => {
          if (closed) return;
          // Signed out, no longer allowed, or deleted: asking again will not help.
          if (e instanceof ApiError && [401, 403, 404].includes(e.status)) {
            closed = true;
            cb.current.onLost(e);
          } else timer = setTimeout(poll, 2 * POLL_MS);
        });
    };
    setVia("events");
    // Refused, dropped or ended without a final status: poll instead.
    streamEvents(
      ENDPOINTS.scenarioEvents(id),
      (ev) => {
        const p = ev.event === "progress" ? parseProgress(ev.data) : null;
        if (p && !closed) seen(p);
      },
      stream.signal,
    ).then(poll, poll);
    return () => {
      closed = true;
      stream.abort();
      clearTimeout(timer);
    };
  }, [id, watching]);
  return via;
}

export function ScenarioRun({ scenario, canPlan, onStarted, onFinished }: Props) {
  const { t } = useI18n();
  const id = scenario.id;
  const [watching, setWatching] = useState(scenario.status === "running");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Started elsewhere (another tab, another planner): follow it too.
  useEffect(() => {
    if (scenario.status === "running") setWatching(true);
  }, [scenario.status]);

  const message = (e: unknown) =>
    e instanceof ApiError
      ? t(`scenarios.new.errors.${e.code}`, { defaultValue: e.detail, detail: e.detail })
      : String(e);

  const via = useRunProgress(
    id,
    watching,
    setProgress,
    (p) => {
      setWatching(false);
      setCancelling(false);
      onFinished(p.status);
    },
    (e) => {
      setWatching(false);
      setCancelling(false);
      setError(message(e));
    },
  );

  const run = () => {
    setError(null);
    setProgress(null);
    apiFetch<Progress>(ENDPOINTS.scenarioRun(id), { method: "POST" })
      .then((p) => {
        setProgress(p);
        setWatching(true);
        onStarted();
      })
      .catch((e: unknown) => setError(message(e)));
  };

  const cancel = () => {
    setCancelling(true);
    apiFetch<Progress>(ENDPOINTS.scenarioCancel(id), { method: "POST" }).catch((e: unknown) => {
      setCancelling(false);
      setError(message(e));
    });
  };

  const status = progress?.status ?? scenario.status;
  const share = progress ? progressShare(progress) : 0;
  const pct = Math.round(share * 100);
  const stage = progress?.stage ?? "";

  return (
    <div class="scenario-run" data-testid="scenario-run-box">
      {canPlan && !watching && (
        <button type="button" data-testid="scenario-run" onClick={run}>
          {scenario.status === "created" ? t("scenarios.run.start") : t("scenarios.run.again")}
        </button>
      )}
      {progress && (watching || progress.status !== "created") && (
        <div class="scenario-progress-box">
          <div
            class={`scenario-progress ${status}`}
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct}
            aria-label={t("scenarios.run.progress")}
            data-testid="scenario-progress"
            data-status={status}
            data-via={via ?? ""}
          >
            <div class="scenario-progress-fill" style={{ width: `${pct}%` }} />
          </div>
          <div class="muted" data-testid="scenario-stage">
            {cancelling && !isFinal(status)
              ? t("scenarios.run.cancelling")
              : t(`scenarios.stage.${stage}`, { defaultValue: stage })}
            {!isFinal(status) && progress.total > 0
              ? ` · ${t("scenarios.run.step", { done: progress.done, total: progress.total })}`
              : ""}
          </div>
        </div>
      )}
      {canPlan && watching && (
        <button type="button" data-testid="scenario-cancel" disabled={cancelling} onClick={cancel}>
          {cancelling ? t("scenarios.run.cancelling") : t("scenarios.run.cancel")}
        </button>
      )}
      {progress && !watching && status === "done" && (
        <p class="notice" data-testid="scenario-run-result">
          {t("scenarios.run.done")}
        </p>
      )}
      {progress && !watching && status === "cancelled" && (
        <p class="notice" data-testid="scenario-run-result">
          {t("scenarios.run.cancelled")}
        </p>
      )}
      {progress && !watching && status === "failed" && (
        <p class="notice error" data-testid="scenario-run-result">
          {t("scenarios.run.failed", { error: scenario.error ?? "" })}
        </p>
      )}
      {error && (
        <p class="notice error" data-testid="scenario-run-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
