from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.db import migrate
from app.db.base import Base
from app.db.migrate import include_object

EXPECTED_TABLES = {
    "region", "district", "city", "road", "operator", "site", "charge_point", "evse",
    "connector", "status_event", "planned_site", "candidate_site", "cadastre_parcel",
    "grid_substation", "grid_line", "scenario", "id_token", "user_account", "tariff",
    "transaction", "meter_value", "payment", "audit_log", "ocpp_message",
}  # fmt: skip


def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = list(compare_metadata(ctx, Base.metadata))
    engine.dispose()
    return diff


def test_upgrade_downgrade_upgrade_and_models_agree(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    engine = create_engine(empty_db)
    tables = set(inspect(engine).get_table_names())
    assert tables >= EXPECTED_TABLES
    assert _diff(empty_db) == []

    migrate.downgrade(empty_db, "base")
    left = set(inspect(engine).get_table_names()) - {
        "spatial_ref_sys",
        "alembic_version",
    }
    assert left == set()

    migrate.upgrade(empty_db)
    assert _diff(empty_db) == []
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == migrate.current_head()
    engine.dispose()


def test_meter_value_partitions_by_month(migrated_db: str) -> None:
    engine = create_engine(migrated_db)
    with engine.begin() as conn:
        for ts in (datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
                   datetime(2026, 2, 1, 0, 0, tzinfo=UTC)):  # fmt: skip
            conn.execute(
                text("SELECT quvvat_ensure_meter_value_partition(:t)"), {"t": ts}
            )
            conn.execute(
                text(
                    "INSERT INTO meter_value (measured_at, charge_point_id, measurand,"
                    " value) VALUES (:t, 'CP1', 'Energy.Active.Import.Register', 1)"
                ),
                {"t": ts},
            )
        parts = conn.execute(
            text(
                "SELECT tableoid::regclass::text, count(*) FROM meter_value"
                " GROUP BY 1 ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in parts] == [
        ("meter_value_202601", 1),
        ("meter_value_202602", 1),
    ]
    engine.dispose()


def test_constraints_reject_nonsense(migrated_db: str) -> None:
    engine = create_engine(migrated_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO charge_point (id, registration_status) VALUES ('CP1','Accepted');"
                "INSERT INTO evse (charge_point_id, evse_id) VALUES ('CP1', 1)"
            )
        )
    for bad in (
        "INSERT INTO connector (evse_pk, connector_id, type, max_power_kw)"
        " SELECT id, 1, 'CCS2', 0 FROM evse",  # power must be > 0
        "INSERT INTO connector (evse_pk, connector_id, type, max_power_kw)"
        " SELECT id, 1, 'SCHUKO', 22 FROM evse",  # unknown connector type
        "INSERT INTO region (iso_code, name_en, source, geom) VALUES ('X','x','t',"
        " ST_Multi(ST_GeomFromText('POLYGON((0 0,1 1,1 0,0 1,0 0))',4326)))",  # bow-tie
    ):
        with engine.begin() as conn:
            try:
                conn.execute(text(bad))
            except Exception as e:
                assert "violates check constraint" in str(e)
            else:
                raise AssertionError(f"accepted: {bad}")
    engine.dispose()
