"""``quvvat plan`` on the sample database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings


def test_plan_run_list_and_report(
    sample_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", sample_db)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(
            cli,
            [
                "plan",
                "run",
                "si-cli",
                "--region",
                "UZ-SI",
                "--resolution",
                "7",
                "--sites",
                "3",
                "--rule",
                "afir",
                "--json",
            ],
        )
        assert r.exit_code == 0, r.output
        body = json.loads(r.stdout[r.stdout.index("{") :])
        assert body["status"] == "done" and body["error"] is None
        res = body["result"]
        assert res["region"] == "UZ-SI" and res["resolution"] == 7
        assert 0 < res["selection"]["selected"] <= 3, res
        assert set(res["corridors"]) <= {"afir"}
        listed = runner.invoke(cli, ["plan", "list"])
        assert "done" in listed.output and "si-cli" in listed.output
        out = tmp_path / "tk.pdf"
        rep = runner.invoke(
            cli, ["plan", "report", str(body["id"]), "--out", str(out), "--lang", "uz"]
        )
        assert rep.exit_code == 0, rep.output
        assert out.read_bytes()[:5] == b"%PDF-"
        bad = runner.invoke(cli, ["plan", "run", "x", "--resolution", "10"])
        assert bad.exit_code == 2
        assert "resolution: Input should be less than or equal to 9" in bad.output
        unknown = runner.invoke(cli, ["plan", "run", "y", "--region", "UZ-XX"])
        assert unknown.exit_code == 2 and "unknown region 'UZ-XX'" in unknown.output
    finally:
        get_settings.cache_clear()
