"""Run Alembic migrations programmatically (``quvvat db upgrade``, tests)."""

from __future__ import annotations

import re
from typing import Any

from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, text

from app.settings import ROOT

# Tables that PostGIS and partitioning bring: not ours to manage.
_FOREIGN = {"spatial_ref_sys", "layer", "topology"}
_PARTITION = re.compile(r"^meter_value_(\d{6}|default)$")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: skip PostGIS tables and meter_value partitions."""
    if type_ == "table" and (name in _FOREIGN or _PARTITION.match(name or "")):
        return False
    keep = alembic_helpers.include_object(obj, name, type_, reflected, compare_to)  # type: ignore[no-untyped-call]  # geoalchemy2 is untyped
    return bool(keep)


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "sql"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def ensure_extensions(url: str) -> None:
    """Create PostGIS (the migrations need it); fail clearly when it is missing."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            available = conn.execute(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).first()
            if available is None:
                raise RuntimeError(
                    "PostGIS is not installed on this PostgreSQL server: "
                    "apt-get install postgresql-15-postgis-3 (make setup does it)"
                )
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    ensure_extensions(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_head() -> str | None:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return ScriptDirectory.from_config(
        alembic_config("postgresql://")
    ).get_current_head()
