"""Readers for the files users import: the only module in :mod:`geo` that opens files.

Vector formats: GeoJSON, GeoPackage, zipped Shapefile, CSV with lon/lat columns and
OSM PBF extracts (roads, charging stations, substations, power lines). Rasters:
GeoTIFF (metadata and band sum, for the population layer). Readers return the data
in the CRS the file declares (or the one the caller names); reprojection and
geometry checks are :mod:`geo.validate`'s job.

CRS rules:

* ``crs`` given by the caller wins (for example ``"sk42-gk12"`` for a Soviet
  Gauss-Krueger file with a missing or wrong ``.prj``);
* else the file's own declaration;
* else GeoJSON and CSV are EPSG:4326 (RFC 7946; documented CSV convention) and
  anything else raises :class:`~geo.errors.MissingCrsError`.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.crs import WGS84, parse_crs
from geo.errors import GeoError, MissingCrsError, UnsupportedFormatError

Format = Literal["geojson", "gpkg", "shapefile-zip", "csv", "osm-pbf", "geotiff"]
OsmKind = Literal["roads", "charging_stations", "substations", "power_lines", "pois"]

#: Suffixes (lower case) of each format.
SUFFIXES: Final[dict[str, Format]] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile-zip",
    ".csv": "csv",
    ".pbf": "osm-pbf",
    ".tif": "geotiff",
    ".tiff": "geotiff",
}
LON_COLUMNS: Final = ("lon", "lng", "long", "longitude", "x")
LAT_COLUMNS: Final = ("lat", "latitude", "y")

#: highway=* values kept as roads from OSM (the drivable main network).
OSM_ROAD_CLASSES: Final = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "unclassified",
        "residential",
    }
)

#: Points of interest that draw drivers who may charge while there, by OSM key:
#: the tag's value becomes the POI's ``category`` (planning weighs categories in
#: ``planning.config.DemandConfig.poi_category_weights``).
OSM_POI_TAGS: Final[dict[str, frozenset[str]]] = {
    "amenity": frozenset(
        {
            "fuel",
            "parking",
            "restaurant",
            "cafe",
            "fast_food",
            "marketplace",
            "hospital",
            "university",
            "college",
            "cinema",
            "bus_station",
            "theatre",
        }
    ),
    "shop": frozenset({"mall", "supermarket", "department_store", "car"}),
    "tourism": frozenset({"hotel", "motel", "attraction", "museum"}),
}


@dataclass(frozen=True, slots=True)
class VectorData:
    """Features read from a file, in ``crs`` (not yet validated or reprojected).

    ``frame`` has a ``geometry`` column (None where a row has no usable
    coordinates) and the file's attributes as further columns.
    """

    frame: gpd.GeoDataFrame
    format: Format
    crs: CRS
    crs_from: Literal["file", "user", "default"]
    #: features in the whole file (this frame may be one piece of it)
    total: int = 0


@dataclass(frozen=True, slots=True)
class RasterInfo:
    """What the population importer records about a GeoTIFF."""

    crs: CRS
    width: int
    height: int
    band_count: int
    dtype: str
    nodata: float | None
    pixel_size: tuple[float, float]
    bounds: tuple[float, float, float, float]
    bounds_wgs84: tuple[float, float, float, float]
    band1_sum: float
    sha256: str


def detect_format(path: Path) -> Format:
    """The format of ``path`` from its name.

    Examples
    --------
    >>> detect_format(Path("uz-latest.osm.pbf"))
    'osm-pbf'
    >>> detect_format(Path("parcels.GPKG"))
    'gpkg'
    """
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        allowed = ", ".join(sorted(SUFFIXES))
        raise UnsupportedFormatError(
            f"{path.name}: unknown file type {path.suffix or '(none)'!r}; "
            f"supported: {allowed}"
        )
    return fmt


def _resolve_crs(
    declared: object, crs: str | int | CRS | None, fmt: Format
) -> tuple[CRS, Literal["file", "user", "default"]]:
    if crs is not None:
        return parse_crs(crs), "user"
    if declared is not None:
        return CRS.from_user_input(declared), "file"
    if fmt in ("geojson", "csv"):
        return WGS84, "default"
    raise MissingCrsError(
        "the file declares no readable coordinate reference system: name it with --crs "
        "(for example --crs 4326, --crs sk42-gk12 or --crs EPSG:28412)"
    )


def read_vector(
    path: Path,
    *,
    crs: str | int | CRS | None = None,
    layer: str | None = None,
    osm_kind: OsmKind | None = None,
) -> VectorData:
    """Read a vector file into a GeoDataFrame in its own (or the given) CRS.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, zipped Shapefile, CSV with lon/lat columns or OSM PBF.
    crs
        Overrides the file's CRS (EPSG code, authority string, WKT, SK-42 alias).
    layer
        Layer name inside a GeoPackage or zip with several layers.
    osm_kind
        What to extract from an OSM PBF file (required for PBF).

    Returns
    -------
    VectorData

    Raises
    ------
    UnsupportedFormatError
        Unknown suffix, unreadable or broken file (the message names the file).
    MissingCrsError, UnknownCrsError
        No CRS anywhere, or one that cannot be resolved.
    """
    return next(iter_vector(path, crs=crs, layer=layer, osm_kind=osm_kind))


def iter_vector(
    path: Path,
    *,
    crs: str | int | CRS | None = None,
    layer: str | None = None,
    osm_kind: OsmKind | None = None,
    chunk_rows: int | None = None,
) -> Iterator[VectorData]:
    """:func:`read_vector` in pieces of at most ``chunk_rows`` features, in file order.

    Lets a caller work on the first features (check them, send them to the
    database) while the rest is still to be read. Files whose driver can seek
    to a feature cheaply (GeoPackage, Shapefile) are read piece by piece;
    others (GeoJSON, CSV, OSM PBF) are read whole and handed out in slices.
    Every piece has the same format and CRS; the first one always comes (empty
    when the file has no features), and the format and CRS errors of
    :func:`read_vector` are raised before it.
    """
    fmt = detect_format(path)
    if fmt == "geotiff":
        raise UnsupportedFormatError(
            f"{path.name} is a raster: import it into the population layer"
        )
    if fmt in ("csv", "osm-pbf"):
        if fmt == "csv":
            frame = _read_csv(path)
            declared: object = None
        else:
            if osm_kind is None:
                raise UnsupportedFormatError(
                    f"{path.name}: an OSM extract can be imported into roads, "
                    "stations, substations or grid_lines"
                )
            frame = read_osm_pbf(path, osm_kind)
            declared = 4326
        pieces: Iterator[gpd.GeoDataFrame] = iter((frame,))
        total = len(frame)
    else:
        pieces, declared, total = _read_ogr(path, fmt, layer, chunk_rows)
    resolved, origin = _resolve_crs(declared, crs, fmt)
    yielded = False
    for whole in pieces:
        size = chunk_rows or len(whole)
        # An empty file still gives one (empty) piece.
        starts = range(0, len(whole), size) if len(whole) else ([] if yielded else [0])
        for a in starts:
            part = whole if size >= len(whole) else whole.iloc[a : a + size]
            yielded = True
            yield VectorData(
                part.set_crs(resolved, allow_override=True),
                fmt,
                resolved,
                origin,
                max(total, len(whole)),
            )


def _read_ogr(
    path: Path, fmt: Format, layer: str | None, chunk_rows: int | None = None
) -> tuple[Iterator[gpd.GeoDataFrame], object, int]:
    """The features of an OGR-readable file (in pieces when the driver seeks
    fast), the CRS it declares and its feature count (-1 when unknown); the
    first piece is read before returning, so an unreadable file fails here."""
    source = str(path)
    if fmt == "shapefile-zip":
        try:
            with zipfile.ZipFile(path) as z:
                shps = [n for n in z.namelist() if n.lower().endswith(".shp")]
        except zipfile.BadZipFile as e:
            raise UnsupportedFormatError(f"{path.name}: not a valid zip file") from e
        if not shps:
            raise UnsupportedFormatError(f"{path.name}: the zip holds no .shp file")
        if len(shps) > 1 and layer is None:
            raise UnsupportedFormatError(
                f"{path.name} holds several shapefiles ({', '.join(shps)}): "
                "choose one with --layer"
            )
        inner = layer if layer and layer.lower().endswith(".shp") else shps[0]
        if layer and not layer.lower().endswith(".shp"):
            inner = next((s for s in shps if Path(s).stem == layer), shps[0])
        source = f"/vsizip/{path}/{inner}"
        layer = None

    def read(skip: int = 0, limit: int | None = None) -> gpd.GeoDataFrame:
        try:
            frame = pyogrio.read_dataframe(
                source, layer=layer, skip_features=skip, max_features=limit
            )
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
            raise UnsupportedFormatError(
                f"cannot read {path.name}: {_first_line(e)}"
            ) from e
        if not isinstance(frame, gpd.GeoDataFrame):
            raise UnsupportedFormatError(f"{path.name} has no geometry column")
        if frame.geometry.name != "geometry":
            frame = frame.rename_geometry("geometry")
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=None)

    try:
        info = pyogrio.read_info(source, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise UnsupportedFormatError(
            f"cannot read {path.name}: {_first_line(e)}"
        ) from e
    declared = info.get("crs")
    if declared is not None:
        try:
            CRS.from_user_input(declared)
        except Exception as e:  # pyproj raises CRSError; a broken .prj lands here
            raise GeoError(
                f"{path.name} declares a CRS that cannot be resolved ({_first_line(e)}): "
                "name the right one with --crs"
            ) from e
    total = int(info.get("features") or -1)
    seekable = bool((info.get("capabilities") or {}).get("fast_set_next_by_index"))
    if not chunk_rows or not seekable or total <= chunk_rows:
        return iter((read(),)), declared, total
    first = read(0, chunk_rows)

    def pieces() -> Iterator[gpd.GeoDataFrame]:
        yield first
        for a in range(chunk_rows, total, chunk_rows):
            part = read(a, chunk_rows)
            part.index = part.index + a  # file positions, as a whole read gives
            yield part

    return pieces(), declared, total


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise UnsupportedFormatError(
            f"cannot read {path.name}: {_first_line(e)}"
        ) from e
    lower = {c.lower().strip(): c for c in df.columns}
    lon_c = next((lower[c] for c in LON_COLUMNS if c in lower), None)
    lat_c = next((lower[c] for c in LAT_COLUMNS if c in lower), None)
    if lon_c is None or lat_c is None:
        raise UnsupportedFormatError(
            f"{path.name}: a CSV needs longitude and latitude columns "
            f"(one of {', '.join(LON_COLUMNS)} and one of {', '.join(LAT_COLUMNS)})"
        )
    lon = pd.to_numeric(df[lon_c], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(df[lat_c], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    geoms = np.full(len(df), None, dtype=object)
    geoms[ok] = shapely.points(lon[ok], lat[ok])
    attrs = df.drop(columns=[lon_c, lat_c])
    return gpd.GeoDataFrame(
        attrs, geometry=gpd.GeoSeries(geoms, index=df.index), crs=None
    )


# ---------------------------------------------------------------- OSM PBF


def _osm_voltage_kv(value: str | None) -> float | None:
    """OSM ``voltage`` (volts, ``;``-separated) -> highest value in kV."""
    if not value:
        return None
    vals = []
    for part in value.replace(",", ";").split(";"):
        try:
            vals.append(float(part.strip()))
        except ValueError:
            continue
    return max(vals) / 1000.0 if vals else None


def read_osm_pbf(path: Path, kind: OsmKind) -> gpd.GeoDataFrame:
    """Extract one kind of feature from a local OSM PBF (or .osm XML) file.

    Parameters
    ----------
    path
        An OSM extract, for example Geofabrik's ``uzbekistan-latest.osm.pbf``.
    kind
        ``roads`` (``highway`` in :data:`OSM_ROAD_CLASSES`, LineStrings),
        ``charging_stations`` (``amenity=charging_station``),
        ``substations`` (``power=substation``), ``pois`` (the tags of
        :data:`OSM_POI_TAGS`, with their value as ``category``): nodes as
        points, closed ways as their centroid; ``power_lines``
        (``power=line|minor_line|cable``).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 with ``ext_id`` (``n123`` / ``w456``) and the useful tags;
        ``tags`` holds every tag as a dict.

    Raises
    ------
    UnsupportedFormatError
        When the file cannot be parsed.
    """
    import osmium  # noqa: PLC0415  # heavy C++ extension, only for PBF imports

    wanted: dict[OsmKind, dict[str, frozenset[str]]] = {
        "roads": {"highway": OSM_ROAD_CLASSES},
        "charging_stations": {"amenity": frozenset({"charging_station"})},
        "substations": {"power": frozenset({"substation"})},
        "power_lines": {"power": frozenset({"line", "minor_line", "cable"})},
        "pois": OSM_POI_TAGS,
    }
    keys = wanted[kind]
    want_ways_as_points = kind in ("charging_stations", "substations", "pois")
    want_nodes = want_ways_as_points
    rows: list[dict[str, object]] = []
    geoms: list[object] = []
    wkb = osmium.geom.WKBFactory()
    try:
        proc = osmium.FileProcessor(str(path)).with_locations()
        for obj in proc:
            if not hasattr(obj, "tags") or not any(
                obj.tags.get(k) in v for k, v in keys.items()
            ):
                continue
            tags = {t.k: t.v for t in obj.tags}
            if isinstance(obj, osmium.osm.Node):
                if not want_nodes:
                    continue
                geom = shapely.from_wkb(wkb.create_point(obj))
                ext_id = f"n{obj.id}"
            elif isinstance(obj, osmium.osm.Way):
                try:
                    line = shapely.from_wkb(wkb.create_linestring(obj))
                except (osmium.InvalidLocationError, RuntimeError):
                    rows.append(
                        {"ext_id": f"w{obj.id}", "tags": tags, **_osm_attrs(kind, tags)}
                    )
                    geoms.append(None)  # reported as "no coordinates" by validation
                    continue
                geom = shapely.centroid(line) if want_ways_as_points else line
                ext_id = f"w{obj.id}"
            else:
                continue
            rows.append({"ext_id": ext_id, "tags": tags, **_osm_attrs(kind, tags)})
            geoms.append(geom)
    except RuntimeError as e:
        raise UnsupportedFormatError(
            f"cannot read {path.name}: {_first_line(e)}"
        ) from e
    frame = pd.DataFrame(rows, columns=["ext_id", "tags", *(_OSM_COLUMNS[kind])])
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, dtype="geometry"), crs=None
    )


_OSM_COLUMNS: Final[dict[OsmKind, tuple[str, ...]]] = {
    "roads": ("ref", "name", "road_class", "maxspeed_kmh"),
    "charging_stations": ("name", "operator", "address", "city"),
    "substations": ("name", "voltage_kv"),
    "power_lines": ("name", "voltage_kv"),
    "pois": ("name", "category"),
}


def _osm_attrs(kind: OsmKind, tags: dict[str, str]) -> dict[str, object]:
    if kind == "roads":
        speed = tags.get("maxspeed", "")
        return {
            "ref": tags.get("ref"),
            "name": tags.get("name:en") or tags.get("name"),
            "road_class": tags.get("highway"),
            "maxspeed_kmh": int(speed) if speed.isdigit() else None,
        }
    if kind == "charging_stations":
        street = " ".join(
            t for t in (tags.get("addr:street"), tags.get("addr:housenumber")) if t
        )
        return {
            "name": tags.get("name") or tags.get("operator") or "charging station",
            "operator": tags.get("operator"),
            "address": street or None,
            "city": tags.get("addr:city"),
        }
    if kind == "pois":
        category = next(tags[k] for k, v in OSM_POI_TAGS.items() if tags.get(k) in v)
        return {"name": tags.get("name:en") or tags.get("name"), "category": category}
    return {
        "name": tags.get("name"),
        "voltage_kv": _osm_voltage_kv(tags.get("voltage")),
    }


# ---------------------------------------------------------------- rasters


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_raster_info(path: Path, *, crs: str | int | CRS | None = None) -> RasterInfo:
    """Metadata and the sum of band 1 (nodata excluded) of a GeoTIFF.

    The band is summed block by block, so a national 100 m population grid
    does not have to fit in memory.

    Raises
    ------
    UnsupportedFormatError
        Not a readable raster.
    MissingCrsError
        The raster has no CRS and ``crs`` is None.
    """
    import rasterio  # noqa: PLC0415
    from rasterio.errors import RasterioIOError  # noqa: PLC0415
    from rasterio.warp import transform_bounds  # noqa: PLC0415

    if detect_format(path) != "geotiff":
        raise UnsupportedFormatError(
            f"{path.name}: the population layer takes a GeoTIFF"
        )
    try:
        with rasterio.open(path) as src:
            if crs is not None:
                rcrs = parse_crs(crs)
            elif src.crs is not None:
                rcrs = CRS.from_user_input(src.crs.to_wkt())
            else:
                raise MissingCrsError(
                    f"{path.name} declares no CRS: name it with --crs"
                )
            total = 0.0
            for _, window in src.block_windows(1):
                block = src.read(1, window=window, masked=True)
                total += float(block.sum()) if block.count() else 0.0
            b = src.bounds
            wgs = transform_bounds(rcrs, WGS84, b.left, b.bottom, b.right, b.top)
            return RasterInfo(
                crs=rcrs,
                width=src.width,
                height=src.height,
                band_count=src.count,
                dtype=str(src.dtypes[0]),
                nodata=None if src.nodata is None else float(src.nodata),
                pixel_size=(abs(src.res[0]), abs(src.res[1])),
                bounds=(b.left, b.bottom, b.right, b.top),
                bounds_wgs84=(wgs[0], wgs[1], wgs[2], wgs[3]),
                band1_sum=total,
                sha256=sha256_of(path),
            )
    except RasterioIOError as e:
        raise UnsupportedFormatError(
            f"cannot read {path.name}: {_first_line(e)}"
        ) from e


@dataclass(frozen=True, slots=True, eq=False)
class RasterWindow:
    """Band 1 of a raster over an area: values, affine, CRS and nodata."""

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: CRS
    nodata: float | None


def read_raster_window(
    path: Path, bounds_wgs84: tuple[float, float, float, float], crs: CRS
) -> RasterWindow:
    """Read band 1 of a GeoTIFF where it covers ``bounds_wgs84`` (lon/lat).

    Only the window over the area is read (a national 100 m grid need not fit
    in memory for a one-region scenario). ``crs`` is the raster's CRS as
    recorded at import (it wins over the file's own, as ``--crs`` did).

    Raises
    ------
    UnsupportedFormatError
        The file cannot be read (moved, deleted or damaged since the import).
    """
    import rasterio  # noqa: PLC0415
    from rasterio.errors import RasterioIOError  # noqa: PLC0415
    from rasterio.warp import transform_bounds  # noqa: PLC0415
    from rasterio.windows import Window, from_bounds  # noqa: PLC0415

    try:
        with rasterio.open(path) as src:
            left, bottom, right, top = transform_bounds(WGS84, crs, *bounds_wgs84)
            w = from_bounds(left, bottom, right, top, transform=src.transform)
            c0 = max(0, math.floor(w.col_off))
            r0 = max(0, math.floor(w.row_off))
            c1 = min(src.width, math.ceil(w.col_off + w.width))
            r1 = min(src.height, math.ceil(w.row_off + w.height))
            win = Window(c0, r0, max(0, c1 - c0), max(0, r1 - r0))
            values = (
                src.read(1, window=win)
                if win.width and win.height
                else np.zeros((0, 0), np.float64)  # the raster misses the area
            )
            t = src.transform  # the window's corner, without affine's deprecated `*`
            return RasterWindow(
                values=values,
                transform=(
                    t.a,
                    t.b,
                    t.c + c0 * t.a + r0 * t.b,
                    t.d,
                    t.e,
                    t.f + c0 * t.d + r0 * t.e,
                ),
                crs=crs,
                nodata=None if src.nodata is None else float(src.nodata),
            )
    except RasterioIOError as e:
        raise UnsupportedFormatError(
            f"cannot read {path.name}: {_first_line(e)}"
        ) from e
