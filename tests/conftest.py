"""Shared fixtures: Hypothesis profile and throwaway PostGIS databases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hsettings

from tests.pg import PgServer, create_db, drop_db, new_db_name, pg_server

hsettings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
hsettings.register_profile("dev", deadline=None, max_examples=40)
hsettings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """The PostgreSQL server the test databases live on."""
    with pg_server() as server:
        yield server


@pytest.fixture
def empty_db(pg: PgServer) -> Iterator[str]:
    """A new, empty database (no extensions); yields its SQLAlchemy URL."""
    name = new_db_name("quvvat_t_empty")
    create_db(pg, name)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)


@pytest.fixture(scope="session")
def schema_template(pg: PgServer) -> Iterator[str]:
    """A database migrated to head with PostGIS, used as a template; yields its name."""
    from app.db import migrate  # noqa: PLC0415

    name = new_db_name("quvvat_t_schema")
    create_db(pg, name)
    try:
        migrate.upgrade(pg.url(name))
        yield name
    finally:
        drop_db(pg, name)


@pytest.fixture
def migrated_db(pg: PgServer, schema_template: str) -> Iterator[str]:
    """A fresh database at the migration head with no data; yields its URL."""
    name = new_db_name("quvvat_t_mig")
    create_db(pg, name, template=schema_template)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)


#: Rows the embedded sample must produce (asserted when the template is built).
SAMPLE_MIN_COUNTS = {
    "region": 14,
    "district": 73,
    "city": 221,
    "road": 76,
    "site": 1399,
    "planned_site": 1000,
    "grid_substation": 100,
    "grid_line": 99,
    "cadastre_parcel": 500,
}


@pytest.fixture(scope="session")
def sample_template(pg: PgServer, schema_template: str) -> Iterator[str]:
    """A migrated database with the Uzbekistan sample loaded; yields its name."""
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    from app.services.sample import load_sample  # noqa: PLC0415

    name = new_db_name("quvvat_t_sample")
    create_db(pg, name, template=schema_template)
    try:
        load_sample(pg.url(name))
        engine = create_engine(pg.url(name))
        with engine.connect() as conn:
            for table, least in SAMPLE_MIN_COUNTS.items():
                n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                assert n >= least, f"sample: {table} has {n} rows, expected >= {least}"
            exact = conn.execute(
                text("SELECT count(*) FROM region WHERE iso_code LIKE 'UZ-%'")
            ).scalar_one()
            assert exact == 14
        engine.dispose()
        yield name
    finally:
        drop_db(pg, name)


@pytest.fixture
def sample_db(pg: PgServer, sample_template: str) -> Iterator[str]:
    """A fresh database at the migration head with the sample loaded; yields its URL."""
    name = new_db_name("quvvat_t_smp")
    create_db(pg, name, template=sample_template)
    try:
        yield pg.url(name)
    finally:
        drop_db(pg, name)
