from __future__ import annotations

from fastapi.testclient import TestClient

from app.db.migrate import current_head


def test_health_reports_postgis_and_head(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["postgis_version"].startswith("3.")
    assert body["migration"] == current_head() == body["migration_head"]


def test_attribution_names_the_licences(client: TestClient) -> None:
    text = client.get("/api/attribution").json()["attribution"]
    assert "OpenStreetMap contributors, ODbL" in text
    assert "GeoNames, CC BY 4.0" in text


def test_unknown_path_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found", "code": "not_found"}
