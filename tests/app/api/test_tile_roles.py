"""Restricted tile layers (cadastre, grid, candidate sites) follow the same role
rule as their GeoJSON layers: tiles are no back door."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.app.api.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PASSWORD = "Str0ng!Passw0rd"
# z=8 tile over Tashkent, where the demo substations and parcels are
TILE = "8/177/95"


def _bearer(client: TestClient, role: str) -> dict[str, str]:
    email = f"{role}-tiles@example.uz"
    r = client.post(
        "/api/users",
        json={"email": email, "password": PASSWORD, "role": role},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    r = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize(
    "layer", ["parcels", "substations", "grid_lines", "candidates"]
)
def test_restricted_tiles_need_staff_or_partner(
    sample_client: TestClient, layer: str
) -> None:
    c = sample_client
    r = c.get(f"/tiles/{layer}/{TILE}.pbf")
    assert r.status_code == 401
    assert r.json()["detail"] == (
        f"layer {layer!r} needs a signed-in admin, technician or partner"
    )
    assert c.get(f"/tiles/{layer}.json").status_code == 401
    assert (
        c.get(f"/tiles/{layer}/{TILE}.pbf", headers=_bearer(c, "client")).status_code
        == 403
    )
    for who in (ADMIN, _bearer(c, "technician"), _bearer(c, "partner")):
        r = c.get(f"/tiles/{layer}/{TILE}.pbf", headers=who)
        assert r.status_code == 200
        assert r.headers["cache-control"].startswith("private")
        assert r.headers["vary"] == "Authorization"


def test_substation_tile_holds_data_for_staff(sample_client: TestClient) -> None:
    r = sample_client.get(f"/tiles/substations/{TILE}.pbf", headers=ADMIN)
    assert r.status_code == 200 and len(r.content) > 0  # demo substations in Tashkent


@pytest.mark.parametrize("layer", ["basemap", "stations", "planned", "roads"])
def test_public_tiles_stay_public(sample_client: TestClient, layer: str) -> None:
    r = sample_client.get(f"/tiles/{layer}/{TILE}.pbf")
    assert r.status_code == 200
    assert "private" not in r.headers["cache-control"]
