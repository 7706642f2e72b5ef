"""Vector tiles from the SQL functions in ``sql/functions/tiles_*.sql``.

Layer names map to functions through a whitelist (values are always bound).
Base layers change only on import, so their tiles are kept in a small in-process
LRU cache keyed by the import counter (``layer_version``); live layers
(stations) are never cached.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInputError, NotFoundError

MAX_ZOOM: Final = 22
STATUSES: Final = (
    "available",
    "charging",
    "faulted",
    "unavailable",
    "offline",
    "unknown",
)
CONNECTOR_TYPES: Final = ("CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2")


@dataclass(frozen=True, slots=True)
class TileLayer:
    """One tile layer: its SQL function, MVT layer names and whether it is cached."""

    function: str
    mvt_layers: tuple[str, ...]
    cached: bool
    description: str
    #: Only for admins, technicians and partners, as the same GeoJSON layer.
    restricted: bool = False


LAYERS: Final[dict[str, TileLayer]] = {
    "basemap": TileLayer(
        "quvvat_tile_basemap",
        ("country", "regions", "region_labels", "districts", "roads", "cities"),
        True,
        "Offline base map: all place layers in one tile",
    ),
    "country": TileLayer("quvvat_tile_country", ("country",), True, "Country land"),
    "regions": TileLayer(
        "quvvat_tile_regions", ("regions", "region_labels"), True, "Regions"
    ),
    "districts": TileLayer("quvvat_tile_districts", ("districts",), True, "Districts"),
    "cities": TileLayer("quvvat_tile_cities", ("cities",), True, "Cities (GeoNames)"),
    "roads": TileLayer("quvvat_tile_roads", ("roads",), True, "Main roads"),
    "stations": TileLayer(
        "quvvat_tile_stations", ("stations",), False, "Stations with live status"
    ),
    "planned": TileLayer("quvvat_tile_planned", ("planned",), True, "Planned sites"),
    "candidates": TileLayer(
        "quvvat_tile_candidates", ("candidates",), True, "Candidate sites", True
    ),
    "parcels": TileLayer(
        "quvvat_tile_parcels", ("parcels",), True, "Cadastre parcels", True
    ),
    "substations": TileLayer(
        "quvvat_tile_substations", ("substations",), True, "Grid substations", True
    ),
    "grid_lines": TileLayer(
        "quvvat_tile_grid_lines", ("grid_lines",), True, "Grid lines", True
    ),
}


@dataclass(frozen=True, slots=True)
class StationFilter:
    """Optional filters of the stations layer (``None`` = no filter)."""

    statuses: tuple[str, ...] | None = None
    connector_type: str | None = None
    min_power_kw: float | None = None
    operator: str | None = None
    region: str | None = None
    q: str | None = None

    def __post_init__(self) -> None:
        if self.statuses is not None:
            bad = [s for s in self.statuses if s not in STATUSES]
            if bad:
                raise InvalidInputError(
                    f"status: unknown value {bad[0]!r}; allowed: {', '.join(STATUSES)}",
                    "invalid_status",
                )
        if (
            self.connector_type is not None
            and self.connector_type not in CONNECTOR_TYPES
        ):
            raise InvalidInputError(
                f"connector_type: unknown value {self.connector_type!r}; "
                f"allowed: {', '.join(CONNECTOR_TYPES)}",
                "invalid_connector_type",
            )


def check_tile(layer: str, z: int, x: int, y: int) -> TileLayer:
    """The layer's definition; raise clear errors for unknown layers and bad tiles."""
    spec = LAYERS.get(layer)
    if spec is None:
        raise NotFoundError(
            f"unknown tile layer {layer!r}; available: {', '.join(sorted(LAYERS))}",
            "unknown_layer",
        )
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInputError(
            f"zoom z={z} out of range 0..{MAX_ZOOM}", "tile_out_of_range"
        )
    last = (1 << z) - 1
    if not (0 <= x <= last and 0 <= y <= last):
        raise InvalidInputError(
            f"tile x={x}, y={y} out of range 0..{last} for z={z}", "tile_out_of_range"
        )
    return spec


class TileCache:
    """LRU of encoded tiles, emptied when any import bumps ``layer_version``."""

    def __init__(self, max_items: int = 4096) -> None:
        self._items: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()
        self._max = max_items
        self._version: str | None = None

    @property
    def enabled(self) -> bool:
        return self._max > 0

    def get(self, version: str, key: tuple[str, int, int, int]) -> bytes | None:
        if version != self._version:
            self._items.clear()
            self._version = version
            return None
        tile = self._items.get(key)
        if tile is not None:
            self._items.move_to_end(key)
        return tile

    def put(self, version: str, key: tuple[str, int, int, int], tile: bytes) -> None:
        if version != self._version:
            self._items.clear()
            self._version = version
        if self._max == 0:
            return
        self._items[key] = tile
        if len(self._items) > self._max:
            self._items.popitem(last=False)


async def _data_version(conn: AsyncConnection[tuple[Any, ...]]) -> str:
    cur = await conn.execute(
        "SELECT coalesce(sum(version), 0), max(updated_at) FROM layer_version"
    )
    row = await cur.fetchone()  # an aggregate: always one row
    return f"{row[0]}:{row[1]}" if row else ""


#: The stations tile with its filters; the other layers' functions take (z, x, y).
_STATIONS_SQL: Final = "SELECT quvvat_tile_stations(%s, %s, %s, %s, %s, %s, %s, %s, %s)"


async def render_tile(
    conn: AsyncConnection[tuple[Any, ...]],
    cache: TileCache,
    layer: str,
    spec: TileLayer,
    z: int,
    x: int,
    y: int,
    stations: StationFilter | None = None,
) -> bytes:
    """The MVT bytes of one tile (empty bytes for an empty tile).

    ``spec`` is what :func:`check_tile` answered for these coordinates (the
    caller checks first, to apply the layer's role rule). ``conn`` is an
    autocommit psycopg connection (the app's read pool): one prepared statement
    per tile, no ORM layer on the hottest route.
    """
    if layer == "stations":
        f = stations or StationFilter()
        statuses = list(f.statuses) if f.statuses is not None else None
        cur = await conn.execute(
            _STATIONS_SQL,
            (z, x, y, statuses, f.connector_type, f.min_power_kw, f.operator,
             f.region, f.q),
        )  # fmt: skip
        row = await cur.fetchone()
        return bytes(row[0] or b"") if row else b""
    key = (layer, z, x, y)
    cached = spec.cached and cache.enabled
    version = await _data_version(conn) if cached else ""
    if cached:
        hit = cache.get(version, key)
        if hit is not None:
            return hit
    # The function name comes from the LAYERS whitelist above, never from input.
    cur = await conn.execute(f"SELECT {spec.function}(%s, %s, %s)", (z, x, y))
    row = await cur.fetchone()
    tile = bytes(row[0] or b"") if row else b""
    if cached:
        cache.put(version, key, tile)
    return tile


# Table behind each layer, for TileJSON bounds and counts (identifiers from this
# whitelist only).
_TABLES: Final[dict[str, str]] = {
    "basemap": "region",
    "country": "region",
    "regions": "region",
    "districts": "district",
    "cities": "city",
    "roads": "road",
    "stations": "site",
    "planned": "planned_site",
    "candidates": "candidate_site",
    "parcels": "cadastre_parcel",
    "substations": "grid_substation",
    "grid_lines": "grid_line",
}


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """Extent (lon/lat), row count, and how many rows are generated demo data."""

    bounds: tuple[float, float, float, float] | None
    count: int
    demo_count: int


async def layer_summary(session: AsyncSession, layer: str) -> LayerSummary:
    check_tile(layer, 0, 0, 0)
    table = _TABLES[layer]
    sql = (
        "SELECT n, d, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT count(*) AS n, count(*) FILTER (WHERE source = 'demo') AS d, "
        f'ST_Extent(geom) AS e FROM "{table}") s'
    )
    row = (await session.execute(text(sql))).first()
    if row is None or row[0] == 0 or row[2] is None:
        return LayerSummary(None, 0, 0)
    return LayerSummary(
        (float(row[2]), float(row[3]), float(row[4]), float(row[5])),
        int(row[0]),
        int(row[1]),
    )


@dataclass(frozen=True, slots=True)
class RegionSummary:
    iso_code: str
    name_en: str
    name_ru: str | None
    name_uz: str | None
    bbox: tuple[float, float, float, float]


async def region_summaries(session: AsyncSession) -> list[RegionSummary]:
    rows = await session.execute(
        text(
            "SELECT iso_code, name_en, name_ru, name_uz, ST_XMin(geom), ST_YMin(geom), "
            "ST_XMax(geom), ST_YMax(geom) FROM region ORDER BY name_en"
        )
    )
    return [
        RegionSummary(r[0], r[1], r[2], r[3], (r[4], r[5], r[6], r[7])) for r in rows
    ]
