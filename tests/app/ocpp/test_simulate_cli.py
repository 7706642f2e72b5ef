"""``quvvat simulate`` runs a fleet against the server; ``quvvat run`` provisions it."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app.cli import cli
from app.services.charge_points import password_hasher, provision_demo_passwords
from tests.app.ocpp.conftest import PASSWORD, LiveServer


def test_simulate_fleet_against_the_server(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI configures logging onto CliRunner's stderr, which closes afterwards.
    monkeypatch.setattr("app.cli.configure_logging", lambda *_, **__: None)
    prefix = f"FLEET{uuid.uuid4().hex[:4]}"
    for i in range(1, 5):
        live_server.add_charge_point(f"{prefix}-{i:05d}")
    args = ["simulate", "--url", live_server.ws, "--n", "4", "--protocol", "mixed", "--prefix", prefix,
            "--password", PASSWORD, "--transacting", "0.5", "--meter-interval", "0.2",
            "--heartbeat", "0.5", "--session-minutes", "0.02", "--duration", "3", "--json"]  # fmt: skip
    # In a thread of its own, as from a shell: the CLI starts its own event loop,
    # which fails on a thread where one already runs (Playwright's sync API leaves
    # one on the main thread for the rest of a session that ran browser tests).
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(CliRunner().invoke, cli, args).result(timeout=120)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["connected_max"] == 4
    assert summary["errors"] == {} and summary["connect_failures"] == 0
    # Everything sent was answered, except at most one call per charge point that
    # was in flight when the fleet stopped.
    assert summary["sent"] > 10
    assert 0 <= summary["sent"] - summary["answered"] <= 4
    assert {"BootNotification", "StatusNotification"} <= set(summary["by_action"])
    protocols = live_server.sql(
        "SELECT protocol, count(*) FROM charge_point WHERE id LIKE :p GROUP BY 1 ORDER BY 1",
        p=f"{prefix}-%",
    )
    assert [tuple(r) for r in protocols] == [("ocpp1.6", 2), ("ocpp2.0.1", 2)]
    sessions = live_server.sql(
        "SELECT count(*) FROM transaction WHERE charge_point_id LIKE :p",
        p=f"{prefix}-%",
    )[0][0]
    assert sessions >= 2  # the two transacting ones ran sessions


def test_simulate_rejects_unknown_protocol() -> None:
    result = CliRunner().invoke(
        cli, ["simulate", "--protocol", "ocpp3", "--duration", "1"]
    )
    assert result.exit_code != 0
    assert "ocpp1.6, ocpp2.0.1, mixed" in result.output


def test_run_provisions_hashed_passwords_for_demo_charge_points(sample_db: str) -> None:
    engine = create_engine(sample_db)
    try:
        creds = provision_demo_passwords(engine, 3)
        assert len(creds) == 3
        assert all(cp.startswith("UZ-") for cp in creds)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, password_hash, security_profile FROM charge_point WHERE id = ANY(:ids)"
                ),
                {"ids": list(creds)},
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == 3
    for cp_id, digest, profile in rows:
        assert profile == 1 and creds[cp_id] not in digest
        assert password_hasher().verify(digest, creds[cp_id])
