"""Settings, all from the environment (12-factor). Nothing else reads ``os.environ``.

``DATABASE_URL`` keeps its standard name; everything else has the ``QUVVAT_`` prefix.
An unset ``DATABASE_URL`` deliberately means the embedded cluster under ``.data/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_SECRETS = frozenset({"changethis", "secret", "changeme", "jwt_secret"})


class Settings(BaseSettings):
    """Every setting of the service. Build with :func:`get_settings` or directly in tests."""

    model_config = SettingsConfigDict(env_prefix="QUVVAT_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL (postgresql+psycopg://...). Unset: embedded cluster.",
    )
    data_dir: Path = Field(
        default=ROOT / ".data", description="Embedded cluster + state"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="development allows generated secrets and the log reset sender",
    )
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    # Auth (until the accounts issue lands: one admin token, stored hashed in memory).
    admin_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token of the admin role"
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(""),
        description="JWT signing key (>= 32 characters; required outside development)",
    )
    access_token_ttl_s: int = Field(default=900, gt=0, le=86400)
    refresh_token_ttl_s: int = Field(default=30 * 86400, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    login_window_s: int = Field(default=900, gt=0)
    reset_code_ttl_s: int = Field(default=900, gt=0)
    reset_sender: Literal["log"] = Field(
        default="log", description="How password reset codes are delivered"
    )
    payme_merchant_id: str = Field(default="", description="Payme (Paycom) merchant id")
    payme_key: SecretStr = Field(
        default=SecretStr(""), description="Payme merchant key"
    )
    click_service_id: str = Field(default="", description="Click service id")
    click_merchant_id: str = Field(default="", description="Click merchant id")
    click_secret_key: SecretStr = Field(
        default=SecretStr(""), description="Click secret key"
    )
    uzcard_secret: SecretStr = Field(
        default=SecretStr(""), description="HMAC key of the Uzcard webhook"
    )

    # Imports and uploads.
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, gt=0)

    # OCPP.
    ocpp_heartbeat_interval_s: int = Field(default=60, gt=0)
    #: A charge point silent for 2 heartbeat intervals plus this grace is
    #: disconnected (and shown offline).
    ocpp_heartbeat_grace_s: float = Field(default=30.0, ge=0)
    ocpp_unknown_charge_point: Literal["pending", "rejected", "accepted"] = "pending"
    ocpp_call_timeout_s: float = Field(default=30.0, gt=0)
    ocpp_max_frame_bytes: int = Field(default=65536, gt=0)
    ocpp_message_retention_days: int = Field(default=30, gt=0)
    flat_tariff_uzs_per_kwh: int = Field(default=2000, ge=0)
    #: OCPP 2.0.1: send the running cost (CostUpdated) at most this often per
    #: session while meter values arrive; 0 switches it off.
    ocpp_cost_update_interval_s: int = Field(default=60, ge=0)
    #: After an accepted boot, send the local authorization list when the id
    #: tokens changed since the list the charge point last accepted.
    ocpp_local_list_sync_on_boot: bool = True
    #: Wrong Basic passwords per charge point id within the window before its
    #: handshakes are refused (429) without checking, until the window passes.
    ocpp_auth_max_failures: int = Field(default=5, gt=0)
    ocpp_auth_window_s: float = Field(default=60.0, gt=0)
    #: WebSocket pings from the server (charge points and browsers), seconds;
    #: 0 sends none. Silent charge points are closed by the heartbeat watchdog
    #: anyway; the ping keeps idle browser links through proxies open (nginx
    #: drops a link after 60 s without data). At 10,000 charge points uvicorn's
    #: default of 20 s means 1,000 extra frames a second.
    ws_ping_interval_s: float = Field(default=50.0, ge=0)
    mqtt_url: str | None = Field(default="mqtt://127.0.0.1:1883")
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    tls_ca_certs: Path | None = None

    # Map.
    online_basemap: bool = Field(
        default=False,
        description="Allow an online OSM base map (default never reaches out)",
    )
    tile_cache_items: int = Field(
        default=4096, ge=0, description="Base-layer tiles kept in memory (0: none)"
    )
    frontend_dist: Path = Field(
        default=ROOT / "frontend" / "dist", description="Built map app (npm run build)"
    )

    @field_validator("database_url")
    @classmethod
    def _driver(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if v.startswith("postgres://"):
            v = "postgresql://" + v[len("postgres://") :]
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        if not v.startswith("postgresql+psycopg://"):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return v

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        secret = self.jwt_secret.get_secret_value()
        if self.environment != "development":
            if not secret:
                raise ValueError(
                    "QUVVAT_JWT_SECRET is required when QUVVAT_ENVIRONMENT is not"
                    " development"
                )
            if secret.lower() in _DEFAULT_SECRETS or len(secret) < 32:
                raise ValueError(
                    "QUVVAT_JWT_SECRET must be a random value of at least 32"
                    " characters, not a default"
                )
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("QUVVAT_TLS_CERTFILE and QUVVAT_TLS_KEYFILE go together")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, built once."""
    return Settings()
