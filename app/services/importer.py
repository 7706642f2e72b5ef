"""``quvvat import LAYER FILE``: read, check, and upsert a user file into a layer.

Flow: size check -> :func:`geo.io.iter_vector` (GeoJSON, GeoPackage, zipped
Shapefile, CSV, OSM PBF; read in pieces of :data:`_READ_CHUNK` features) ->
per piece :func:`geo.validate.validate_geometries` (reproject to EPSG:4326
incl. SK-42, repair or reject, extent) and the attribute checks of the layer
-> ONE transaction: a first import is one binary ``COPY`` straight into the
table, fed piece by piece while the next piece is read and checked; otherwise
``COPY`` into a temporary table, then ``INSERT ... SELECT ... ON CONFLICT
(ext_id) DO UPDATE`` (idempotent: re-import updates, never duplicates); then an
``import_run`` row and a ``layer_version`` bump. Any error rolls everything
back. Rejected features (with the reason) go to a CSV next to the input.
GeoTIFF population rasters are kept as files (see :func:`import_raster`).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import itertools
import json
import logging
import math
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import shapely
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.copy import QueuedLibpqWriter
from psycopg.pq import Format
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db.session import make_sync_engine
from app.errors import InvalidInputError, PayloadTooLargeError
from app.services.import_log import (
    IMPORT_LAYERS,
    ImportSummary,
    Progress,
    Reject,
    record_run,
)
from geo.errors import GeoError
from geo.io import OsmKind, VectorData, detect_format, iter_vector, read_raster_info
from geo.measure import ellipsoid_areas_m2
from geo.overlay import polygon_index
from geo.validate import GeometryKind, outside_extent_error, validate_geometries

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- layer specs


class _RowError(ValueError):
    """A bad attribute value; the message names the field."""


def _num(
    field: str, *, positive: bool = False, nonneg: bool = False
) -> Callable[[Any], float | None]:
    def conv(v: Any) -> float | None:
        if _missing(v):
            return None
        try:
            x = float(str(v).replace(",", ".")) if isinstance(v, str) else float(v)
        except (TypeError, ValueError) as e:
            raise _RowError(f"{field}: {v!r} is not a number") from e
        if not math.isfinite(x):
            raise _RowError(f"{field}: {v!r} is not a finite number")
        if positive and x <= 0:
            raise _RowError(f"{field}: {x:g} must be > 0")
        if nonneg and x < 0:
            raise _RowError(f"{field}: {x:g} must be >= 0")
        return x

    return conv


def _kv(v: Any) -> float | None:
    """Voltage in kV; values above 1000 are taken as volts (OSM convention)."""
    x = _num("voltage_kv", positive=True)(v)
    return x / 1000.0 if x is not None and x > 1000 else x


def _int(field: str, lo: int, hi: int) -> Callable[[Any], int | None]:
    def conv(v: Any) -> int | None:
        x = _num(field)(v)
        if x is None:
            return None
        if x != int(x) or not lo <= x <= hi:
            raise _RowError(f"{field}: {v!r} must be a whole number from {lo} to {hi}")
        return int(x)

    return conv


def _str(v: Any) -> str | None:
    return None if _missing(v) else str(v).strip() or None


def _list(v: Any) -> str | None:
    if _missing(v):
        return None
    items = v if isinstance(v, list | tuple) else str(v).replace(";", ",").split(",")
    return json.dumps([str(i).strip() for i in items if str(i).strip()])


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return v is pd.NA or v is pd.NaT


@dataclass(frozen=True, slots=True)
class Field:
    """One target column: input column candidates, converter, SQL type, required."""

    column: str
    candidates: tuple[str, ...]
    convert: Callable[[Any], Any]
    sql_type: str
    required: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class LayerSpec:
    layer: str
    table: str
    kind: GeometryKind
    fields: tuple[Field, ...]
    region: bool = True  # table has region_id, filled spatially
    timestamps: bool = True  # table has updated_at
    osm_kind: OsmKind | None = None
    name_default_ext_id: bool = False  # "name" NOT NULL: fall back to ext_id


_NAME = Field("name", ("name", "title", "name_en"), _str, "text")
_POWER = Field(
    "power_kw",
    ("power_kw", "power", "kw", "max_power_kw"),
    _num("power_kw", positive=True),
    "numeric",
)
_GRID = (
    Field("voltage_kv", ("voltage_kv", "voltage", "kv"), _kv, "float8"),
    Field(
        "capacity_kw",
        ("capacity_kw", "capacity"),
        _num("capacity_kw", nonneg=True),
        "float8",
    ),
    Field(
        "spare_kw",
        ("spare_kw", "spare", "spare_capacity_kw"),
        _num("spare_kw", nonneg=True),
        "float8",
    ),
)

LAYERS: Final[dict[str, LayerSpec]] = {
    "stations": LayerSpec(
        "stations",
        "site",
        "point",
        (
            _NAME,
            Field("address", ("address", "addr", "street"), _str, "text"),
            Field("city", ("city", "town"), _str, "text"),
            Field("operator", ("operator", "operator_name", "network"), _str, "text"),
        ),
        osm_kind="charging_stations",
        name_default_ext_id=True,
    ),
    "planned_sites": LayerSpec(
        "planned_sites",
        "planned_site",
        "point",
        (
            _NAME,
            Field(
                "year",
                ("year", "planned_year"),
                _int("year", 2020, 2050),
                "int",
                required=True,
            ),
            Field("phase", ("phase", "stage"), _str, "text"),
            _POWER,
            Field("connector_types", ("connector_types", "connectors"), _list, "text"),
        ),
        name_default_ext_id=True,
    ),
    "candidate_sites": LayerSpec(
        "candidate_sites", "candidate_site", "point", (_NAME, _POWER)
    ),
    "parcels": LayerSpec(
        "parcels",
        "cadastre_parcel",
        "polygon",
        (
            Field("land_use", ("land_use", "landuse", "use"), _str, "text"),
            Field("owner_type", ("owner_type", "owner", "ownership"), _str, "text"),
            Field("status", ("status", "legal_status"), _str, "text"),
        ),
    ),
    "substations": LayerSpec(
        "substations",
        "grid_substation",
        "point",
        (_NAME, *_GRID),
        osm_kind="substations",
    ),
    "grid_lines": LayerSpec(
        "grid_lines", "grid_line", "line", _GRID, region=False, osm_kind="power_lines"
    ),
    "roads": LayerSpec(
        "roads",
        "road",
        "line",
        (
            Field("ref", ("ref", "road_ref", "number"), _str, "text"),
            _NAME,
            Field(
                "road_class",
                ("road_class", "highway", "class", "fclass"),
                _str,
                "text",
                default="unclassified",
            ),
            Field(
                "maxspeed_kmh",
                ("maxspeed_kmh", "maxspeed", "speed_kmh"),
                _int("maxspeed_kmh", 1, 200),
                "int2",
            ),
        ),
        region=False,
        timestamps=False,
        osm_kind="roads",
    ),
    "pois": LayerSpec(
        "pois",
        "poi",
        "point",
        (
            _NAME,
            Field(
                "category",
                ("category", "amenity", "shop", "tourism", "fclass", "type", "kind"),
                _str,
                "text",
                default="other",
            ),
            Field("weight", ("weight",), _num("weight", nonneg=True), "float8"),
        ),
        osm_kind="pois",
    ),
    "districts": LayerSpec(
        "districts",
        "district",
        "polygon",
        (
            Field("name_en", ("name_en", "name"), _str, "text"),
            Field("name_ru", ("name_ru",), _str, "text"),
            Field("name_uz", ("name_uz",), _str, "text"),
        ),
        timestamps=False,
    ),
}
EXT_ID_COLUMNS: Final = ("ext_id", "id", "osm_id", "code", "fid", "uid", "ref_id")


# ---------------------------------------------------------------- the service


@dataclass(frozen=True, slots=True)
class ImportOptions:
    crs: str | None = None
    allow_outside: bool = False
    rejects_path: Path | None = None
    source: str = "import"
    gpkg_layer: str | None = None
    raster_name: str = "population"
    #: Where imported rasters are kept (default ``<data_dir>/rasters``).
    raster_dir: Path | None = None


def check_size(path: Path, max_bytes: int) -> int:
    """Refuse a missing, empty or oversized file with a clear error."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file", code="file_not_found")
    size = path.stat().st_size
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"{path.name} is {size:,} bytes, over the limit of {max_bytes:,} bytes "
            "(QUVVAT_MAX_UPLOAD_BYTES)"
        )
    if size == 0:
        raise InvalidInputError(f"{path.name} is empty", code="empty_file")
    return size


def _lookup(frame: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    lower = {str(c).lower(): str(c) for c in frame.columns if c != frame.geometry.name}
    return next((lower[c] for c in candidates if c in lower), None)


def _ext_ids(frame: pd.DataFrame, geoms: Sequence[Any]) -> list[str]:
    col = _lookup(frame, EXT_ID_COLUMNS)
    vals = frame[col].tolist() if col is not None else [None] * len(frame)
    out = []
    for v, g in zip(vals, geoms, strict=True):
        s = (v.strip() or None) if type(v) is str else _str(v)
        if s is not None and isinstance(v, float) and v.is_integer():
            s = str(int(v))
        if s is None:
            # No id in the file: the geometry is the identity, so re-importing the
            # same file updates the same rows.
            wkb = shapely.to_wkb(g) if g is not None else b""
            s = "geom:" + hashlib.sha1(wkb, usedforsecurity=False).hexdigest()[:16]
        out.append(s)
    return out


class _GcPause:
    """Pauses Python's cyclic garbage collector while imports run (process-wide).

    An import allocates a few container objects per feature (pandas, geopandas,
    shapely, the COPY rows), which makes CPython run full collections over the
    whole heap, each costing about 0.1 s: a third of the Python time of a
    50,000-feature import. Reference counting still frees everything the import
    drops; the collector is re-enabled (and catches up) when the last concurrent
    import ends, unless it was disabled before the first one started.
    """

    _lock = threading.Lock()
    _active = 0
    _reenable = False

    @classmethod
    @contextmanager
    def paused(cls) -> Iterator[None]:
        with cls._lock:
            if cls._active == 0:
                cls._reenable = gc.isenabled()
                gc.disable()
            cls._active += 1
        try:
            yield
        finally:
            with cls._lock:
                cls._active -= 1
                if cls._active == 0 and cls._reenable:
                    gc.enable()


@_GcPause.paused()
def import_file(
    url: str,
    layer: str,
    path: Path,
    *,
    options: ImportOptions | None = None,
    max_bytes: int,
    progress: Progress | None = None,
    source_name: str | None = None,
) -> ImportSummary:
    """Import ``path`` into ``layer`` (see module docstring); returns the summary.

    Raises
    ------
    InvalidInputError, PayloadTooLargeError, geo.errors.GeoError
        Bad layer, file, CRS or values; nothing is changed in the database.
    """
    opts = options or ImportOptions()
    if layer == "population":
        return import_raster(
            url, path, options=opts, max_bytes=max_bytes, source_name=source_name
        )
    spec = LAYERS.get(layer)
    if spec is None:
        raise InvalidInputError(
            f"unknown layer {layer!r}; choose one of {', '.join(IMPORT_LAYERS)}",
            code="unknown_layer",
        )
    check_size(path, max_bytes)
    name = source_name or path.name

    fmt = detect_format(path)
    if fmt == "osm-pbf" and spec.osm_kind is None:
        raise InvalidInputError(
            f"an OSM extract can be imported into roads, stations, substations or "
            f"grid_lines, not {layer}",
            code="unsupported_format",
        )
    pieces = iter_vector(
        path,
        crs=opts.crs,
        layer=opts.gpkg_layer,
        osm_kind=spec.osm_kind,
        chunk_rows=_READ_CHUNK,
    )
    first = next(pieces)
    if len(first.frame) == 0:
        raise InvalidInputError(f"{name} has no features", code="empty_file")
    checks = _Checks(first.total, progress)
    rows = checks.run(spec, opts, itertools.chain([first], pieces))
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            # The file is read and checked piece by piece while the database
            # stores the previous pieces.
            inserted, updated = _store(conn, spec, rows, opts.source)
            if checks.outside == checks.read:
                raise outside_extent_error(checks.read, checks.source_crs)
            rejects = checks.rejects
            default_rejects = path.with_name(path.name + ".rejects.csv")
            rejects_path = _write_rejects(rejects, opts.rejects_path or default_rejects)
            if rejects_path is None and opts.rejects_path is None:
                default_rejects.unlink(missing_ok=True)  # stale from an earlier run
            if inserted + updated == 0:
                raise InvalidInputError(
                    f"{name}: all {checks.read} features were rejected; first reason: "
                    f"{rejects[0].feature}: {rejects[0].reason}"
                    + (f" (all reasons in {rejects_path})" if rejects_path else ""),
                    code="all_rejected",
                )
            summary = record_run(
                conn,
                ImportSummary(
                    layer=layer,
                    source_name=name,
                    read=checks.read,
                    inserted=inserted,
                    updated=updated,
                    rejected=len(rejects),
                    repaired=checks.repaired,
                    rejects=tuple(rejects),
                    rejects_path=str(rejects_path) if rejects_path else None,
                    notes=(
                        f"format {first.format}, CRS {checks.source_crs} ({first.crs_from})",
                    ),
                ),
            )
    except (DBAPIError, psycopg.Error) as e:  # psycopg's own from the raw COPY
        orig = getattr(e, "orig", None) or e
        raise InvalidInputError(
            f"import of {name} into {layer} failed and changed nothing: {_first_line(orig)}",
            code="import_failed",
        ) from e
    finally:
        engine.dispose()
    if progress is not None:
        progress(checks.read, checks.read)
    logger.info(
        "import %s <- %s: read %d, inserted %d, updated %d, rejected %d, repaired %d",
        layer, name, summary.read, summary.inserted, summary.updated, summary.rejected, summary.repaired,
    )  # fmt: skip
    return summary


#: features read and checked at a time (each piece goes to the database while
#: the next one is read)
_READ_CHUNK: Final = 5000


@dataclass
class _Checks:
    """Geometry and attribute checks over a file's pieces, with their tallies."""

    total: int
    progress: Progress | None = None
    read: int = 0
    repaired: int = 0
    outside: int = 0
    source_crs: str = ""
    rejects: list[Reject] = field(default_factory=list)
    #: accepted ext_id -> its 0-based row among the accepted ones (duplicates
    #: are found across pieces)
    seen: dict[str, int] = field(default_factory=dict)

    def run(
        self, spec: LayerSpec, opts: ImportOptions, pieces: Iterator[VectorData]
    ) -> Iterator[dict[str, list[Any]]]:
        """The accepted rows of each piece (pieces with none are skipped)."""
        for piece in pieces:
            frame = piece.frame
            raw_geoms = np.asarray(frame.geometry.array, dtype=object).tolist()
            ext_ids = _ext_ids(frame, raw_geoms)
            checked = validate_geometries(
                frame,
                spec.kind,
                labels=ext_ids,
                allow_outside=opts.allow_outside,
                all_outside_error=False,
            )
            self.source_crs = checked.source_crs
            self.read += len(frame)
            self.repaired += checked.repaired
            self.outside += checked.outside
            self.rejects += [Reject(r.label, r.reason) for r in checked.rejects]
            rows, more = _attributes(
                spec, checked.frame, ext_ids, frame.index, self.seen
            )
            self.rejects += more
            if self.progress is not None:
                self.progress(self.read, max(self.total, self.read) + 1)
            if rows["ext_id"]:
                yield rows


def _first_line(e: object) -> str:
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__


def _attributes(  # noqa: PLR0912  # one branch per check, kept together
    spec: LayerSpec,
    frame: pd.DataFrame,
    ext_ids: Sequence[str],
    all_index: pd.Index,
    seen: dict[str, int],
) -> tuple[dict[str, list[Any]], list[Reject]]:
    """Attribute conversion, column by column; bad rows become rejects (by ext_id).

    ``seen`` holds the ext_ids accepted so far (from earlier pieces of the
    file, updated here): a repeated one is rejected as a duplicate.
    """
    n = len(frame)
    pos = {idx: i for i, idx in enumerate(all_index)}
    ids = [ext_ids[pos[idx]] for idx in frame.index]
    cols = {f.column: _lookup(frame, f.candidates) for f in spec.fields}
    used = {c for c in cols.values() if c is not None}
    gcol = frame.geometry.name
    extra = [c for c in frame.columns if c not in used and c != gcol]
    bad: dict[int, str] = {}
    values: dict[str, list[Any]] = {}
    for f in spec.fields:
        c = cols[f.column]
        conv = _convert(f, frame[c].tolist() if c is not None else None, n, bad)
        if f.default is not None:
            conv = [f.default if x is None else x for x in conv]
        if f.required:
            tried = ", ".join(f.candidates)
            for i, x in enumerate(conv):
                if x is None and i not in bad:
                    bad[i] = f"{f.column} is required (columns tried: {tried})"
        values[f.column] = conv
    if {"spare_kw", "capacity_kw"} <= values.keys():
        for i, (sp, cap) in enumerate(
            zip(values["spare_kw"], values["capacity_kw"], strict=True)
        ):
            if sp is not None and cap is not None and sp > cap and i not in bad:
                bad[i] = f"spare_kw {sp:g} exceeds capacity_kw {cap:g}"
    if extra and n:
        props = (
            frame[extra]
            .to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
            .splitlines()
        )
    else:
        props = ["{}"] * n
    geoms = np.asarray(frame.geometry.array, dtype=object)
    rejects: list[Reject] = []
    keep: list[int] = []
    for i in range(n):
        if i in bad:
            rejects.append(Reject(ids[i], bad[i]))
        elif ids[i] in seen:
            first = seen[ids[i]] + 1
            rejects.append(
                Reject(ids[i], f"duplicate ext_id (first at accepted row {first})")
            )
        else:
            seen[ids[i]] = len(seen)
            keep.append(i)
    out: dict[str, list[Any]] = {
        "ext_id": [ids[i] for i in keep],
        "shape": [geoms[i] for i in keep],
        "properties": [props[i] for i in keep],
    }
    for f in spec.fields:
        out[f.column] = [values[f.column][i] for i in keep]
    if spec.name_default_ext_id:
        out["name"] = [
            nm if nm is not None else e
            for nm, e in zip(out["name"], out["ext_id"], strict=True)
        ]
    return out, rejects


def _convert(f: Field, raw: list[Any] | None, n: int, bad: dict[int, str]) -> list[Any]:
    """``f.convert`` over one column; a bad value records its row in ``bad``."""
    if raw is None:
        return [f.convert(None)] * n
    if f.convert is _str:  # the common case, without a call per value
        return [(v.strip() or None) if type(v) is str else _str(v) for v in raw]
    out: list[Any] = []
    for i, v in enumerate(raw):
        try:
            x = f.convert(v)
        except _RowError as e:
            bad.setdefault(i, str(e))
            x = None
        out.append(x)
    return out


def _write_rejects(rejects: Sequence[Reject], path: Path) -> Path | None:
    if not rejects:
        return None
    try:
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["feature", "reason"])
            for r in rejects:
                w.writerow([r.feature, r.reason])
    except OSError as e:
        raise InvalidInputError(
            f"cannot write the rejects file {path}: {e}", code="rejects_unwritable"
        ) from e
    return path


Shapes = Sequence[Any] | npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class _Regions:
    """The region polygons, read once per import."""

    ids: list[int]
    polygons: list[Any]

    @classmethod
    def read(cls, conn: Connection) -> _Regions:
        rows = conn.execute(
            text("SELECT id, ST_AsBinary(geom) FROM region ORDER BY id")
        ).all()
        polys: list[Any] = list(shapely.from_wkb([bytes(r[1]) for r in rows]))
        return cls([int(r[0]) for r in rows], polys)

    def of(self, shapes: Shapes, kind: GeometryKind) -> list[int | None]:
        """Region of each feature (first region containing its point on surface).

        Done in Python with prepared region polygons (vectorised point-in-polygon):
        a correlated ST_Intersects subquery per row costs about 1 ms a row on the
        detailed borders. The lowest region id wins on a shared border.
        """
        if not self.ids or not len(shapes):
            return [None] * len(shapes)
        geoms = np.asarray(shapes, dtype=object)
        pts = geoms if kind == "point" else shapely.point_on_surface(geoms)
        which = polygon_index(shapely.get_x(pts), shapely.get_y(pts), self.polygons)
        return [self.ids[i] if i >= 0 else None for i in which.tolist()]


def _computed_columns(
    spec: LayerSpec, regions: _Regions, shapes: Shapes
) -> list[tuple[str, str, list[Any]]]:
    """Columns the importer derives in Python: (name, SQL type, values)."""
    out: list[tuple[str, str, list[Any]]] = []
    if spec.region:
        out.append(("region_id", "int", regions.of(shapes, spec.kind)))
    if spec.table == "cadastre_parcel":
        # geodesic, the same figure as ST_Area(geography) but ~20x faster
        out.append(("area_m2", "float8", ellipsoid_areas_m2(shapes).tolist()))
    return out


def _store(
    conn: Connection,
    spec: LayerSpec,
    pieces: Iterator[dict[str, list[Any]]],
    source: str,
) -> tuple[int, int]:
    """The checked rows into ``spec.table``; returns (inserted, updated).

    A first import (none of the file's ext_ids in the table) is one binary
    COPY straight into the table, fed piece by piece as the file is read
    (:func:`_copy_fresh`); otherwise, or when that COPY meets an existing id,
    all rows go through :func:`_upsert`.
    """
    kept: list[dict[str, list[Any]]] = []

    def keeping() -> Iterator[dict[str, list[Any]]]:
        for rows in pieces:
            kept.append(rows)
            yield rows

    source_rows = keeping()
    first = next(source_rows, None)
    if first is None:
        return 0, 0
    regions = _Regions.read(conn)
    # Roads get length_km in SQL (ST_Length), so they never take the direct COPY.
    if spec.table != "road":
        fresh = _copy_fresh(
            conn, spec, first, itertools.chain([first], source_rows), regions, source
        )
        if fresh is not None:
            return fresh, 0
    for _ in source_rows:  # the rest of the file, for the upsert
        pass
    merged = {k: [v for rows in kept for v in rows[k]] for k in first}
    return _upsert(conn, spec, merged, regions, source)


def _upsert(
    conn: Connection,
    spec: LayerSpec,
    rows: dict[str, list[Any]],
    regions: _Regions,
    source: str,
) -> tuple[int, int]:
    """Rows into ``spec.table`` through a COPY into a temp table and one
    INSERT ... ON CONFLICT (a plain INSERT for roads none of whose ids exist)."""
    computed = _computed_columns(spec, regions, rows["shape"])
    fields = [f for f in spec.fields if f.column != "operator"]
    tmp_cols = ["ext_id text", "geom bytea", "properties text"] + [
        f"{f.column} {f.sql_type}" for f in spec.fields
    ]
    tmp_cols += [f"{name} {sql_type}" for name, sql_type, _ in computed]
    extra_names = [name for name, _, _ in computed]
    extra_series = [values for _, _, values in computed]
    conn.execute(
        text(f"CREATE TEMP TABLE _import ({', '.join(tmp_cols)}) ON COMMIT DROP")
    )
    names = ["ext_id", "geom", "properties"] + [f.column for f in spec.fields]
    names += extra_names
    # Plain WKB (no SRID): parsed below with ST_GeomFromWKB(wkb, 4326).
    wkb = shapely.to_wkb(np.asarray(rows["shape"], dtype=object)).tolist()
    series: list[Sequence[Any]] = [rows["ext_id"], wkb, rows["properties"]] + [
        rows[f.column] for f in spec.fields
    ]
    series += extra_series
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("imports need the psycopg 3 driver (postgresql+psycopg://)")
    copy_sql = f"COPY _import ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in zip(*series, strict=True):
            copy.write_row(row)
    geom = "ST_GeomFromWKB(t.geom, 4326)"  # the COPY sends plain WKB as bytea
    target = ["ext_id", "geom", "properties", "source"] + [f.column for f in fields]
    select = ["t.ext_id", geom, "t.properties::jsonb", ":source"] + [
        f"t.{f.column}::jsonb" if f.column == "connector_types" else f"t.{f.column}"
        for f in fields
    ]
    joins = ""
    if spec.region:
        target.append("region_id")
        select.append("t.region_id")
    if spec.table == "site":
        conn.execute(
            text(
                "INSERT INTO operator (name, source) SELECT DISTINCT operator, :source"
                " FROM _import WHERE operator IS NOT NULL ON CONFLICT (name) DO NOTHING"
            ),
            {"source": source},
        )
        target.append("operator_id")
        select.append("o.id")
        joins = " LEFT JOIN operator o ON o.name = t.operator"
    if spec.table == "road":
        target.append("length_km")
        select.append(f"ST_Length({geom}::geography) / 1000.0")
    if spec.table == "cadastre_parcel":
        target.append("area_m2")
        select.append("t.area_m2")
    sets = [f"{c} = EXCLUDED.{c}" for c in target if c != "ext_id"]
    if spec.timestamps:
        sets.append("updated_at = now()")
    insert = (
        f"INSERT INTO {spec.table} ({', '.join(target)})"
        f" SELECT {', '.join(select)} FROM _import t{joins}"
    )
    # ST_Area/ST_Length and the geometry functions make the planner's cost high
    # enough for JIT, whose compile time is pure overhead on this one-shot query.
    conn.execute(text("SET LOCAL jit = off"))
    # After a refused direct COPY some id exists: only roads try a plain INSERT.
    fresh = (
        _insert_fresh(conn, spec.table, insert, source)
        if spec.table == "road"
        else None
    )
    if fresh is not None:
        return fresh, 0
    sql = (
        f"WITH up AS ({insert}"
        f" ON CONFLICT (ext_id) DO UPDATE SET {', '.join(sets)}"
        " RETURNING (xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    )
    ins, upd = conn.execute(text(sql), {"source": source}).one()
    return int(ins), int(upd)


class _BytesAsIs(Dumper):
    """Binary COPY of a value already in the column's binary form (EWKB for
    geometry, whose receive function parses it)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        return bytes(obj)


class _JsonText(Dumper):
    """Binary COPY of a JSON document given as text (jsonb's binary form is
    a version byte, then the text)."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + str(obj).encode()


def _copy_fresh(
    conn: Connection,
    spec: LayerSpec,
    first: dict[str, list[Any]],
    pieces: Iterable[dict[str, list[Any]]],
    regions: _Regions,
    source: str,
) -> int | None:
    """Binary COPY of the rows straight into ``spec.table`` when none of their
    ext_ids exists there; the rows are the ones the upsert would store.

    ``pieces`` are the file's checked rows piece by piece (``first`` is the
    first of them). Returns the rows copied, or None when some ext_id exists
    (checked on the first :data:`_FRESH_PROBE` ids; a later one, or one a
    concurrent import adds meanwhile, fails the COPY and its savepoint is
    rolled back) so that the caller runs the upsert. Skipping the temp table
    and the INSERT ... SELECT halves the database work of a first import; the
    rows are queued for the server (:class:`QueuedLibpqWriter`) while Python
    reads, checks and encodes the next piece, so the two overlap.
    """
    exists = conn.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {spec.table} WHERE ext_id = ANY(:ids))"),
        {"ids": first["ext_id"][:_FRESH_PROBE]},
    ).scalar_one()
    if exists:
        return None
    fields = [f for f in spec.fields if f.column != "operator"]
    operators: list[list[int | None]] = []
    if spec.table == "site":
        # Operator ids come from SQL, which cannot run during the COPY: the
        # stations are all read first.
        pieces = list(pieces)
        operators = [_operator_ids(conn, p["operator"], source) for p in pieces]
    derived = [name for name, _, _ in _computed_columns(spec, regions, [])]
    names = ["ext_id", "geom", "properties", "source"] + [f.column for f in fields]
    names += ["operator_id"] if spec.table == "site" else []
    names += derived
    oids: dict[str, int] = dict(
        conn.execute(
            text(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = CAST(:t AS regclass) AND attnum > 0"
                " AND NOT attisdropped"
            ),
            {"t": spec.table},
        ).all()
    )
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("imports need the psycopg 3 driver (postgresql+psycopg://)")
    geometry = type("_Geometry", (_BytesAsIs,), {"oid": oids["geom"]})
    sql = f"COPY {spec.table} ({', '.join(names)}) FROM STDIN (FORMAT binary)"
    copied = 0
    try:
        with conn.begin_nested(), raw.cursor() as cur:
            cur.adapters.register_dumper(None, geometry)
            cur.adapters.register_dumper(None, _JsonText)
            with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
                copy.set_types([oids[n] for n in names])
                for k, rows in enumerate(pieces):
                    shapes = shapely.set_srid(
                        np.asarray(rows["shape"], dtype=object), 4326
                    )
                    plain = [
                        _decimal(rows[f.column])
                        if f.sql_type == "numeric"
                        else rows[f.column]
                        for f in fields
                    ]
                    series = [
                        rows["ext_id"],
                        shapely.to_wkb(shapes, include_srid=True).tolist(),
                        rows["properties"],
                        [source] * len(shapes),
                        *plain,
                        *([operators[k]] if operators else []),
                        *(v for _, _, v in _computed_columns(spec, regions, shapes)),
                    ]
                    for row in zip(*series, strict=True):
                        copy.write_row(row)
                    copied += len(shapes)
    except psycopg.errors.UniqueViolation:
        return None
    return copied


#: ids looked up before choosing the COPY
_FRESH_PROBE: Final = 1000


def _decimal(values: Sequence[Any]) -> list[Decimal | None]:
    return [None if v is None else Decimal(repr(v)) for v in values]


def _operator_ids(
    conn: Connection, operators: Sequence[str | None], source: str
) -> list[int | None]:
    """Ids of the named operators, creating the missing ones."""
    names = sorted({o for o in operators if o is not None})
    conn.execute(
        text(
            "INSERT INTO operator (name, source) SELECT unnest(CAST(:n AS text[])), :s"
            " ON CONFLICT (name) DO NOTHING"
        ),
        {"n": names, "s": source},
    )
    ids: dict[str, int] = dict(
        conn.execute(
            text("SELECT name, id FROM operator WHERE name = ANY(:n)"), {"n": names}
        ).all()
    )
    return [None if o is None else ids[o] for o in operators]


def _insert_fresh(conn: Connection, table: str, insert: str, source: str) -> int | None:
    """Run ``insert`` as a plain INSERT when none of its ext_ids is in ``table``.

    Returns the rows inserted, or None when some ext_id exists (or appeared
    meanwhile through a concurrent import): the caller then runs the upsert. A
    plain INSERT skips ON CONFLICT's speculative insertion (a pre-check of the
    unique index and an extra WAL record per row), about a fifth of the
    statement on a first import; the rows and ids are the same.
    """
    exists = conn.execute(
        text(
            f"SELECT EXISTS (SELECT 1 FROM _import t JOIN {table} x ON x.ext_id = t.ext_id)"
        )
    ).scalar_one()
    if exists:
        return None
    try:
        with conn.begin_nested():
            return conn.execute(text(insert), {"source": source}).rowcount
    except IntegrityError as e:
        if isinstance(e.orig, psycopg.errors.UniqueViolation):
            return None  # a concurrent import inserted one of them: upsert
        raise


# ---------------------------------------------------------------- rasters


def import_raster(
    url: str,
    path: Path,
    *,
    options: ImportOptions,
    max_bytes: int,
    source_name: str | None = None,
) -> ImportSummary:
    """Import a population GeoTIFF: keep the file, record it in ``raster_layer``.

    The file is copied to ``<data_dir>/rasters/<name>-<sha256[:12]>.tif`` and the
    row (keyed by ``name``) records its CRS, size, pixel size, footprint in
    EPSG:4326 and the sum of band 1. Planning computes zonal sums from the file
    with rasterio. Re-importing the same name replaces the row (idempotent).
    """
    from app.settings import get_settings  # noqa: PLC0415

    check_size(path, max_bytes)
    name = source_name or path.name
    try:
        info = read_raster_info(path, crs=options.crs)
    except GeoError:
        raise
    from geo.crs import UZ_BBOX  # noqa: PLC0415

    x0, y0, x1, y1 = info.bounds_wgs84
    ux0, uy0, ux1, uy1 = UZ_BBOX
    if not options.allow_outside and (x1 < ux0 or x0 > ux1 or y1 < uy0 or y0 > uy1):
        from geo.errors import OutsideExtentError  # noqa: PLC0415

        raise OutsideExtentError(
            f"{name} covers ({x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f}), which does not "
            "overlap Uzbekistan: check --crs or use --allow-outside"
        )
    base = options.raster_dir or get_settings().data_dir / "rasters"
    base.mkdir(parents=True, exist_ok=True)
    target = base / f"{options.raster_name}-{info.sha256[:12]}.tif"
    if not target.exists():
        shutil.copyfile(path, target)
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            inserted = conn.execute(
                text(
                    "INSERT INTO raster_layer (name, kind, path, sha256, crs_wkt, epsg, width,"
                    " height, band_count, dtype, nodata, pixel_size_x, pixel_size_y, band1_sum,"
                    " source, source_name, geom) VALUES (:name, 'population', :path, :sha,"
                    " :wkt, :epsg, :w, :h, :bands, :dtype, :nodata, :px, :py, :sum, :source,"
                    " :src, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"
                    " ON CONFLICT (name) DO UPDATE SET path = EXCLUDED.path,"
                    " sha256 = EXCLUDED.sha256, crs_wkt = EXCLUDED.crs_wkt, epsg = EXCLUDED.epsg,"
                    " width = EXCLUDED.width, height = EXCLUDED.height,"
                    " band_count = EXCLUDED.band_count, dtype = EXCLUDED.dtype,"
                    " nodata = EXCLUDED.nodata, pixel_size_x = EXCLUDED.pixel_size_x,"
                    " pixel_size_y = EXCLUDED.pixel_size_y, band1_sum = EXCLUDED.band1_sum,"
                    " source = EXCLUDED.source, source_name = EXCLUDED.source_name,"
                    " geom = EXCLUDED.geom, imported_at = now() RETURNING (xmax = 0)"
                ),
                {
                    "name": options.raster_name,
                    "path": str(target),
                    "sha": info.sha256,
                    "wkt": info.crs.to_wkt(),
                    "epsg": info.crs.to_epsg(),
                    "w": info.width,
                    "h": info.height,
                    "bands": info.band_count,
                    "dtype": info.dtype,
                    "nodata": info.nodata,
                    "px": info.pixel_size[0],
                    "py": info.pixel_size[1],
                    "sum": info.band1_sum,
                    "source": options.source,
                    "src": name,
                    "x0": x0,
                    "y0": y0,
                    "x1": x1,
                    "y1": y1,
                },
            ).scalar_one()
            summary = record_run(
                conn,
                ImportSummary(
                    layer="population",
                    source_name=name,
                    read=1,
                    inserted=int(bool(inserted)),
                    updated=int(not inserted),
                    rejected=0,
                    notes=(
                        f"raster {info.width}x{info.height}, CRS {info.crs.to_string()},"
                        f" band 1 sum {info.band1_sum:,.0f}, stored at {target}",
                    ),
                ),
            )
    finally:
        engine.dispose()
    return summary
