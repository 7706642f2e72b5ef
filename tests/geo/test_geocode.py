"""Offline geocoder over the shipped GeoNames cities."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geo.geocode import (
    Gazetteer,
    Place,
    build_gazetteer,
    geocode,
    places_from_city_rows,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    with (ROOT / "data/uz/cities_geonames.csv").open(encoding="utf-8") as f:
        places = places_from_city_rows(csv.DictReader(f))
    station = Place("station", "OCM-459383", "Rishton EV charging", 71.28, 40.36)
    return build_gazetteer([*places, station])


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Tashkent", "Tashkent"),
        ("Toshkent", "Tashkent"),
        ("Ташкент", "Tashkent"),
        ("Самарканд", "Samarkand"),
        ("Samarqand", "Samarkand"),
        ("Termez", "Tirmiz"),
        ("Термез", "Tirmiz"),
        ("Nukus", "Nukus"),
        ("Buxoro", "Bukhara"),
        ("G'uzor", "G‘uzor"),
        ("Samarkant", "Samarkand"),  # a typo still finds the city
    ],
)
def test_uzbek_russian_and_english_spellings(
    gaz: Gazetteer, query: str, name: str
) -> None:
    best = geocode(gaz, query)[0]
    assert best.place.name == name
    assert best.place.kind == "city"


def test_exact_match_scores_one_and_fuzzy_less(gaz: Gazetteer) -> None:
    assert geocode(gaz, "Samarqand")[0].score == 1.0
    assert geocode(gaz, "Samarkant")[0].score < 1.0


def test_station_names_and_kind_filter(gaz: Gazetteer) -> None:
    hit = geocode(gaz, "rishton ev charging", kind="station")
    assert [m.place.id for m in hit] == ["OCM-459383"]
    assert all(m.place.kind == "city" for m in geocode(gaz, "Rishton", kind="city"))


def test_unknown_place_gives_nothing(gaz: Gazetteer) -> None:
    assert geocode(gaz, "Atlantis") == []
    assert geocode(gaz, "   ") == []
