"""The map app's static files, its config and the regions list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import ROOT, Settings


@pytest.fixture
def fake_dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<title>operator app</title>")
    (tmp_path / "embed.html").write_text("<title>embed app</title>")
    (tmp_path / "cabinet.html").write_text("<title>driver cabinet</title>")
    (tmp_path / "assets" / "app-123.js").write_text("console.log(1)")
    return tmp_path


@pytest.fixture
def web_client(sample_db: str, fake_dist: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=sample_db, frontend_dist=fake_dist)
    with TestClient(create_app(settings)) as c:
        yield c


def test_pages_and_assets_are_served(web_client: TestClient) -> None:
    r = web_client.get("/")
    assert r.status_code == 200
    assert "operator app" in r.text
    assert r.headers["content-type"].startswith("text/html")
    r = web_client.get("/embed?lang=ru&region=UZ-TK")
    assert r.status_code == 200
    assert "embed app" in r.text
    r = web_client.get("/cabinet?lang=ru")
    assert r.status_code == 200
    assert "driver cabinet" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    r = web_client.get("/assets/app-123.js")
    assert r.status_code == 200
    assert r.text == "console.log(1)"
    assert web_client.get("/assets/missing.js").status_code == 404


def test_missing_build_says_how_to_build(sample_db: str, tmp_path: Path) -> None:
    settings = Settings(database_url=sample_db, frontend_dist=tmp_path / "nothing")
    with TestClient(create_app(settings)) as c:
        r = c.get("/")
        cabinet = c.get("/cabinet")
    assert r.status_code == 503
    assert "The map app is not built" in r.text
    assert "make setup" in r.text
    assert cabinet.status_code == 503
    assert "cabinet.html" in cabinet.text


def test_config_carries_the_attribution_file(web_client: TestClient) -> None:
    r = web_client.get("/api/web/config")
    assert r.status_code == 200
    body = r.json()
    assert body["online_basemap"] is False
    first = (
        (ROOT / "data" / "ATTRIBUTION.txt").read_text(encoding="utf-8").splitlines()[0]
    )
    assert first.strip() in body["attribution"]
    assert "OpenStreetMap" in body["attribution"]


def test_regions_have_iso_codes_and_extents(web_client: TestClient) -> None:
    r = web_client.get("/api/web/regions")
    assert r.status_code == 200
    regions = {x["iso_code"]: x for x in r.json()}
    assert len(regions) == 14
    minx, miny, maxx, maxy = regions["UZ-TK"]["bbox"]
    assert minx < 69.27 < maxx
    assert miny < 41.3 < maxy
