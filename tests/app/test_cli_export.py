from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings


@pytest.fixture
def env(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", sample_db)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_export_one_region_as_geopackage(env: None, tmp_path: Path) -> None:
    out = tmp_path / "sa.gpkg"
    r = CliRunner().invoke(
        cli,
        ["export", "stations", "--format", "gpkg", "--region", "UZ-SA", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    gdf = gpd.read_file(out)
    assert len(gdf) > 10
    assert set(gdf["region_iso"]) == {"UZ-SA"}
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326


def test_export_errors_are_one_line(env: None, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["export", "volcanoes", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "unknown layer 'volcanoes'" in r.output
    r = CliRunner().invoke(
        cli, ["export", "cities", "--region", "UZ-ZZ", "-o", str(tmp_path / "x")]
    )
    assert r.exit_code == 2
    assert "unknown region 'UZ-ZZ'" in r.output
