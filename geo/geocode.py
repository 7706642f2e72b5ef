"""Offline geocoder over the shipped cities and the charging stations.

Names are matched after normalisation (case, accents, the many apostrophes of
Uzbek Latin — ʻ ’ ‘ ' ` — and the ``sh.``/``shahri`` suffixes), against the
GeoNames name, its alternate names (Uzbek Latin and Cyrillic, Russian and
other spellings) and station names. An exact normalised match wins; otherwise
close spellings are ranked with :func:`difflib.SequenceMatcher`. Ties go to the
larger population. No network access.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

_APOSTROPHES: Final = re.compile(r"[ʻʼ’‘'`´ʹ]")
_SUFFIXES: Final = re.compile(r"\b(shahri|shahar|shaharchasi|sh|gorod|g)\b\.?")
_SPACES: Final = re.compile(r"[\s\-_.,]+")


def normalise(name: str) -> str:
    """Fold case, accents, apostrophes and town suffixes for matching.

    Examples
    --------
    >>> normalise("G‘uzor")
    'guzor'
    >>> normalise("Qarshi shahri")
    'qarshi'
    >>> normalise("Ташкент")
    'ташкент'
    """
    s = unicodedata.normalize("NFKD", name.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _APOSTROPHES.sub("", s)
    s = _SUFFIXES.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


@dataclass(frozen=True, slots=True)
class Place:
    """A geocodable point: a city or a station (EPSG:4326)."""

    kind: Literal["city", "station"]
    id: str
    name: str
    lon: float
    lat: float
    population: int = 0
    names: tuple[str, ...] = ()
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """A geocoding answer; ``score`` is 1.0 for an exact normalised match."""

    place: Place
    matched: str
    score: float


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """The index built by :func:`build_gazetteer`."""

    places: tuple[Place, ...]
    index: dict[str, tuple[int, ...]]


def build_gazetteer(places: Iterable[Place]) -> Gazetteer:
    """Index places by every normalised name.

    Examples
    --------
    >>> g = build_gazetteer([Place("city", "1", "Tashkent", 69.2, 41.3, 2_000_000,
    ...                            ("Toshkent", "Ташкент"))])
    >>> geocode(g, "toshkent")[0].place.name
    'Tashkent'
    """
    items = tuple(places)
    index: dict[str, list[int]] = {}
    for i, p in enumerate(items):
        for n in {p.name, *p.names}:
            key = normalise(n)
            if key:
                index.setdefault(key, []).append(i)
    return Gazetteer(items, {k: tuple(v) for k, v in index.items()})


def geocode(
    gazetteer: Gazetteer,
    query: str,
    *,
    limit: int = 5,
    kind: Literal["city", "station"] | None = None,
    min_score: float = 0.75,
) -> list[Match]:
    """Places matching ``query``, best first (empty when nothing is close).

    Parameters
    ----------
    gazetteer
        From :func:`build_gazetteer`.
    query
        A place or station name in any spelling the data knows.
    limit
        Most answers returned.
    kind
        Only cities or only stations.
    min_score
        Similarity below which fuzzy answers are dropped (0..1).
    """
    key = normalise(query)
    if not key:
        return []
    ok = [i for i in gazetteer.index.get(key, ()) if _kind_ok(gazetteer, i, kind)]
    scored: dict[int, tuple[float, str]] = dict.fromkeys(ok, (1.0, key))
    if len(scored) < limit:
        close = difflib.get_close_matches(
            key, gazetteer.index.keys(), n=20, cutoff=min_score
        )
        for name in close:
            ratio = difflib.SequenceMatcher(None, key, name).ratio()
            if name.startswith(key) or key.startswith(name):
                ratio = max(ratio, 0.9)
            for i in gazetteer.index[name]:
                if _kind_ok(gazetteer, i, kind) and ratio > scored.get(i, (0.0, ""))[0]:
                    scored[i] = (ratio, name)
    ranked = sorted(
        scored.items(),
        key=lambda kv: (
            -kv[1][0],
            -gazetteer.places[kv[0]].population,
            gazetteer.places[kv[0]].name,
        ),
    )
    return [Match(gazetteer.places[i], m, s) for i, (s, m) in ranked[:limit]]


def _kind_ok(g: Gazetteer, i: int, kind: str | None) -> bool:
    return kind is None or g.places[i].kind == kind


def places_from_city_rows(rows: Iterable[dict[str, str]]) -> list[Place]:
    """Cities from ``data/uz/cities_geonames.csv`` rows (``csv.DictReader``).

    Uses ``geonameid, name, ne_name_en, ne_name_ru, population, region_en, lon,
    lat, alternatenames`` (``|``-separated); rows flagged
    ``likely_section_of_tashkent`` are kept (they are real city districts).
    """
    out: list[Place] = []
    for r in rows:
        names = [n for n in (r.get("alternatenames") or "").split("|") if n]
        names += [n for n in (r.get("ne_name_en"), r.get("ne_name_ru")) if n]
        out.append(
            Place(
                kind="city",
                id=str(r["geonameid"]),
                name=r["name"],
                lon=float(r["lon"]),
                lat=float(r["lat"]),
                population=int(float(r.get("population") or 0)),
                names=tuple(names),
                region=r.get("region_en") or None,
            )
        )
    return out
