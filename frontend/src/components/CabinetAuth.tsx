import { useState } from "preact/hooks";
import { apiFetch, jsonRequest, passwordLogin, type TokenAnswer } from "../lib/api";
import { ENDPOINTS } from "../lib/endpoints";
import { ErrorNotice, InputField } from "./CabinetCommon";
import { useI18n } from "./i18n";

/** Sign in (e-mail or +998 phone) or create a driver account, then sign in. */
export function CabinetAuth({ onSignedIn }: { onSignedIn: (a: TokenAnswer) => void }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const done =
      mode === "login"
        ? passwordLogin(username.trim(), password)
        : apiFetch(ENDPOINTS.register, {
            ...jsonRequest("POST", {
              email: email.trim(),
              password,
              phone: phone.trim() || null,
              full_name: name.trim() || null,
            }),
            anonymous: true,
          }).then(() => passwordLogin(email.trim(), password));
    done
      .then(onSignedIn)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };

  const switchTo = (m: "login" | "register") => {
    setMode(m);
    setError(null);
  };

  return (
    <form class="cabinet-card cabinet-auth" onSubmit={submit} data-testid={`auth-${mode}`}>
      <h1>{mode === "login" ? t("cabinet.auth.loginTitle") : t("cabinet.auth.registerTitle")}</h1>
      <p class="muted">{t("cabinet.auth.intro")}</p>
      {mode === "login" ? (
        <InputField
          label={t("auth.username")}
          testId="auth-username"
          autocomplete="username"
          inputMode="email"
          required
          value={username}
          onValue={setUsername}
        />
      ) : (
        <>
          <InputField
            label={t("cabinet.auth.email")}
            testId="auth-email"
            type="email"
            autocomplete="email"
            required
            value={email}
            onValue={setEmail}
          />
          <InputField
            label={t("cabinet.auth.phone")}
            testId="auth-phone"
            type="tel"
            autocomplete="tel"
            placeholder="+998 90 123 45 67"
            value={phone}
            onValue={setPhone}
          />
          <InputField
            label={t("cabinet.auth.name")}
            testId="auth-name"
            autocomplete="name"
            value={name}
            onValue={setName}
          />
        </>
      )}
      <InputField
        label={t("auth.password")}
        testId="auth-password"
        type="password"
        autocomplete={mode === "login" ? "current-password" : "new-password"}
        required
        value={password}
        onValue={setPassword}
      />
      {mode === "register" && <p class="muted small">{t("cabinet.auth.passwordRules")}</p>}
      <ErrorNotice error={error} testId="auth-error" />
      <button type="submit" class="primary" data-testid="auth-submit" disabled={busy}>
        {mode === "login" ? t("auth.submit") : t("cabinet.auth.register")}
      </button>
      <p>
        {mode === "login" ? (
          <button
            type="button"
            class="link"
            data-testid="auth-to-register"
            onClick={() => switchTo("register")}
          >
            {t("cabinet.auth.noAccount")}
          </button>
        ) : (
          <button
            type="button"
            class="link"
            data-testid="auth-to-login"
            onClick={() => switchTo("login")}
          >
            {t("cabinet.auth.haveAccount")}
          </button>
        )}
      </p>
    </form>
  );
}
