"""The ``quvvat`` command line: a thin adapter over the services.

Every command has ``--help``; user errors exit non-zero with one clear line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy import text

from app import embedded_pg
from app.db import migrate
from app.db.session import resolve_database_url
from app.errors import DomainError
from app.logging_setup import configure_logging
from app.services.import_log import IMPORT_LAYERS, ImportSummary, Progress
from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from app.services.sample import SampleSummary

logger = logging.getLogger("quvvat")

cli = typer.Typer(
    name="quvvat",
    help="Quvvat: plan and run Uzbekistan's national network of EV charging stations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(
    help="Database: migrations and the embedded cluster.", no_args_is_help=True
)
cli.add_typer(db_cli, name="db")


def _settings() -> Settings:
    s = get_settings()
    configure_logging(s.log_level, s.log_format)
    return s


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply migrations to DATABASE_URL (or the embedded cluster under .data/)."""
    url = resolve_database_url(_settings())
    migrate.upgrade(url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")],
) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    url = resolve_database_url(_settings())
    migrate.downgrade(url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL cluster under .data/ (no-op with DATABASE_URL)."""
    s = _settings()
    if s.database_url:
        typer.echo("DATABASE_URL is set: no embedded cluster to stop")
        return
    embedded_pg.stop(s.data_dir)
    typer.echo("embedded cluster stopped")


def _serve(s: Settings, host: str | None, port: int | None) -> None:
    """Run uvicorn until Ctrl-C/SIGTERM, then return (so callers can clean up)."""
    import contextlib  # noqa: PLC0415
    import socket  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from app.gc_tuning import tune_for_many_connections  # noqa: PLC0415
    from app.main import create_app  # noqa: PLC0415
    from app.serving import server_config  # noqa: PLC0415
    from app.stall_watch import StallWatch  # noqa: PLC0415

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGINT/SIGTERM after shutdown, which would kill the
        # process before `quvvat run` stops the embedded cluster: swallow them.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            tune_for_many_connections()  # see app.gc_tuning: no long GC pauses
            watch.start()  # logs event-loop stalls and GC pauses over 100 ms

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await watch.stop()
            await super().shutdown(sockets)

    watch = StallWatch()

    config = server_config(
        create_app(s), s, host=host or s.host, port=port or s.port, log_config=None
    )
    Server(config).run()


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
) -> None:
    """Serve the API, the OCPP server and the web app (no setup, no data load)."""
    _serve(_settings(), host, port)


@cli.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    sim: Annotated[
        bool,
        typer.Option("--sim/--no-sim", help="Start a simulated fleet on demo stations"),
    ] = True,
    sim_n: Annotated[
        int, typer.Option(help="Charge points in the simulated fleet", min=1)
    ] = 20,
) -> None:
    """Set up and start everything: database, migrations, sample data, server.

    With DATABASE_URL unset, a private PostgreSQL + PostGIS cluster under .data/
    is started and stopped again on Ctrl-C.
    """
    s = _settings()
    embedded = not s.database_url
    url = resolve_database_url(s)
    try:
        migrate.upgrade(url)
        _load_sample_once(url)
        typer.echo(
            f"Quvvat on http://{host or s.host}:{port or s.port} (docs at /docs)"
        )
        fleet = (
            _start_fleet(s, url, host or s.host, port or s.port, sim_n) if sim else None
        )
        try:
            _serve(s, host, port)
        finally:
            if fleet is not None:
                fleet.terminate()
                fleet.wait(timeout=10)
    finally:
        if embedded:
            embedded_pg.stop(s.data_dir)


def _start_fleet(
    s: Settings, url: str, host: str, port: int, n: int
) -> subprocess.Popen[bytes] | None:
    """Provision passwords for ``n`` demo charge points and simulate them."""
    from sqlalchemy import create_engine  # noqa: PLC0415

    from app.services.charge_points import provision_demo_passwords  # noqa: PLC0415

    engine = create_engine(url)
    try:
        creds = provision_demo_passwords(engine, n)
    finally:
        engine.dispose()
    if not creds:
        logger.warning("no demo charge points in the database: no simulated fleet")
        return None
    s.data_dir.mkdir(parents=True, exist_ok=True)
    path = s.data_dir / "sim-credentials.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(creds))
    typer.echo(
        f"simulated fleet: {len(creds)} demo charge points (--no-sim turns it off)"
    )
    return subprocess.Popen(  # noqa: S603  # our own interpreter and module
        [
            sys.executable, "-c", "from app.cli import main; main()", "simulate",
            "--credentials", str(path), "--n", str(len(creds)), "--protocol", "mixed",
            "--url", f"ws://{host}:{port}/ocpp", "--transacting", "0.3",
            "--meter-interval", "10", "--heartbeat", str(s.ocpp_heartbeat_interval_s),
        ]
    )  # fmt: skip


@cli.command()
def simulate(
    url: Annotated[
        str, typer.Option(help="OCPP endpoint, without the charge point id")
    ] = ("ws://127.0.0.1:8000/ocpp"),
    n: Annotated[int, typer.Option(help="Number of charge points", min=1)] = 100,
    protocol: Annotated[
        str, typer.Option(help="ocpp1.6, ocpp2.0.1 or mixed (alternating)")
    ] = "ocpp2.0.1",
    password: Annotated[
        str | None, typer.Option(help="Basic-auth password for all")
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(help="JSON file {charge point id: password}; ids come from it"),
    ] = None,
    prefix: Annotated[
        str, typer.Option(help="Id prefix when no credentials file")
    ] = "SIM",
    transacting: Annotated[
        float,
        typer.Option(help="Share of charge points running sessions", min=0, max=1),
    ] = 0.3,
    meter_interval: Annotated[
        float, typer.Option(help="Seconds between meter values")
    ] = 10.0,
    heartbeat: Annotated[float, typer.Option(help="Seconds between heartbeats")] = 60.0,
    session_minutes: Annotated[float, typer.Option(help="Length of a session")] = 30.0,
    duration: Annotated[
        float, typer.Option(help="Stop after this many seconds (0: Ctrl-C)")
    ] = 0.0,
    flood: Annotated[
        bool,
        typer.Option(
            help="Transacting ones send meter values back to back (load test)"
        ),
    ] = False,
    ramp: Annotated[
        float, typer.Option(help="New connections per second", min=1)
    ] = 200.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON")
    ] = False,
    first: Annotated[
        int,
        typer.Option(help="Number of the first id (PREFIX-00001 by default)", min=1),
    ] = 1,
    raw: Annotated[
        bool,
        typer.Option(
            help="With --json: add every latency, to merge several simulator processes"
        ),
    ] = False,
) -> None:
    """Run a simulated charge point fleet (OCPP 1.6J / 2.0.1) against a central system."""
    import asyncio  # noqa: PLC0415

    from app.gc_tuning import tune_for_many_connections  # noqa: PLC0415
    from app.sim.fleet import FleetConfig, run_fleet, summary  # noqa: PLC0415

    _settings()
    protocols = {
        "ocpp1.6": ["ocpp1.6"],
        "ocpp2.0.1": ["ocpp2.0.1"],
        "mixed": ["ocpp1.6", "ocpp2.0.1"],
    }
    if protocol not in protocols:
        raise typer.BadParameter(
            f"use one of {', '.join(protocols)}", param_hint="--protocol"
        )
    passwords: dict[str, str] = {}
    if credentials is not None:
        try:
            passwords = dict(json.loads(credentials.read_text()))
        except (OSError, ValueError) as e:
            raise typer.BadParameter(f"cannot read {credentials}: {e}") from e
        ids = list(passwords)[:n]
    else:
        ids = [f"{prefix}-{i:05d}" for i in range(first, first + n)]
        if password:
            passwords = dict.fromkeys(ids, password)
    cfg = FleetConfig(
        url=url, ids=ids, protocols=protocols[protocol], passwords=passwords,
        transacting=round(len(ids) * transacting), heartbeat_s=heartbeat,
        meter_interval_s=meter_interval, session_s=session_minutes * 60, duration_s=duration,
        flood=flood, ramp_per_s=ramp,
    )  # fmt: skip
    typer.echo(
        f"simulating {len(ids)} charge points ({protocol}) against {url}", err=True
    )
    tune_for_many_connections()  # the fleet's latencies must not measure GC pauses
    try:
        report = asyncio.run(run_fleet(cfg))
    except KeyboardInterrupt:
        return
    out = summary(report, raw=raw)
    typer.echo(
        json.dumps(out) if json_out else "\n".join(f"{k}: {v}" for k, v in out.items())
    )


@contextmanager
def _progress(label: str, enabled: bool = True) -> Iterator[Progress | None]:
    """A rich progress bar on stderr; yields the ``progress(done, total)`` callback."""
    if not enabled:
        yield None
        return
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress  # noqa: PLC0415

    with RichProgress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_sample(summary: SampleSummary) -> None:
    for s in summary.layers:
        typer.echo(
            f"{s.layer:<14} read {s.read:>6}  inserted {s.inserted:>6}  "
            f"updated {s.updated:>6}  rejected {s.rejected:>4}"
        )


@cli.command("import")
def import_(
    layer: Annotated[
        str,
        typer.Argument(
            help="'sample' (the embedded Uzbekistan data) or a layer: "
            + ", ".join(IMPORT_LAYERS),
            show_default=False,
        ),
    ],
    file: Annotated[
        Path | None,
        typer.Argument(
            help="GeoJSON, GeoPackage, zipped Shapefile, CSV with lon/lat, "
            "OSM PBF or GeoTIFF (population)",
            show_default=False,
        ),
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option(
            help="CRS of the file when it declares none or a wrong one: EPSG code, "
            "WKT, or an SK-42 alias (sk42, sk42-gk10..sk42-gk13)"
        ),
    ] = None,
    allow_outside: Annotated[
        bool,
        typer.Option(help="Accept features outside Uzbekistan's extent"),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where to write rejected features (default FILE.rejects.csv)"
        ),
    ] = None,
    source: Annotated[
        str, typer.Option(help="Value of the 'source' column of imported rows")
    ] = "import",
    layer_name: Annotated[
        str | None,
        typer.Option(help="Layer inside a GeoPackage or zip with several layers"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON")
    ] = False,
) -> None:
    """Import the sample data or a user file into a layer (idempotent by ext_id).

    Re-importing updates rows with the same ext_id and never duplicates them; a
    failed import changes nothing. Rejected features are listed with the reason
    in a CSV next to FILE.
    """
    if layer != "sample" and layer not in IMPORT_LAYERS:
        raise typer.BadParameter(
            f"unknown layer {layer!r}: choose sample or one of "
            + ", ".join(IMPORT_LAYERS),
            param_hint="LAYER",
        )
    if layer != "sample" and file is None:
        raise typer.BadParameter("give the FILE to import", param_hint="FILE")
    s = _settings()
    url = resolve_database_url(s)
    if layer == "sample":
        from app.services.sample import load_sample  # noqa: PLC0415

        migrate.upgrade(url)
        with _progress("loading the Uzbekistan sample data", not as_json) as progress:
            summary = load_sample(url, progress)
        if as_json:
            typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        else:
            _print_sample(summary)
        return
    from app.errors import DomainError  # noqa: PLC0415
    from app.services.importer import ImportOptions, import_file  # noqa: PLC0415
    from geo.errors import GeoError  # noqa: PLC0415

    assert file is not None  # noqa: S101  # checked above
    opts = ImportOptions(
        crs=crs,
        allow_outside=allow_outside,
        rejects_path=rejects,
        source=source,
        gpkg_layer=layer_name,
    )
    try:
        migrate.upgrade(url)
        with _progress(f"importing {file.name} into {layer}", not as_json) as progress:
            result = import_file(
                url,
                layer,
                file,
                options=opts,
                max_bytes=s.max_upload_bytes,
                progress=progress,
            )
    except (DomainError, GeoError) as e:
        detail = e.detail if isinstance(e, DomainError) else str(e)
        if as_json:
            code = e.code if isinstance(e, DomainError) else type(e).__name__
            typer.echo(json.dumps({"detail": detail, "code": code}, ensure_ascii=False))
        else:
            typer.echo(f"error: {detail}", err=True)
        raise typer.Exit(1) from e
    _print_import(result, as_json)


def _print_import(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"{summary.layer}: read {summary.read}, inserted {summary.inserted}, "
        f"updated {summary.updated}, rejected {summary.rejected}, "
        f"repaired {summary.repaired} ({summary.source_name})"
    )
    reasons: dict[str, int] = {}
    for r in summary.rejects:
        key = r.reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  rejected {n:>6}: {reason}")
    if summary.rejects_path:
        typer.echo(f"  rejected features and reasons: {summary.rejects_path}")


def _load_sample_once(url: str) -> None:
    from app.services.sample import load_sample_if_empty  # noqa: PLC0415

    with _progress("loading the Uzbekistan sample data") as progress:
        summary = load_sample_if_empty(url, progress)
    if summary is None:
        typer.echo("sample data already loaded")
    else:
        _print_sample(summary)


# ---------------------------------------------------------------- plan

plan_cli = typer.Typer(
    help="Planning scenarios: demand, coverage, site selection, corridors, reports.",
    no_args_is_help=True,
)
cli.add_typer(plan_cli, name="plan")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@plan_cli.command("run")
def plan_run(
    name: Annotated[str, typer.Argument(help="Unique scenario name")],
    region: Annotated[
        str | None,
        typer.Option(help="ISO 3166-2 region code (e.g. UZ-TK); default: country"),
    ] = None,
    resolution: Annotated[int, typer.Option(help="H3 resolution 6..9")] = 8,
    year: Annotated[
        int, typer.Option(help="Scenario year (EV fleet projection)")
    ] = 2030,
    sites: Annotated[int | None, typer.Option(help="Number of sites to choose")] = 10,
    budget_uzs: Annotated[
        int | None, typer.Option(help="Budget in so'm (instead of --sites)")
    ] = None,
    radius_km: Annotated[float, typer.Option(help="Coverage radius, km")] = 5.0,
    method: Annotated[str, typer.Option(help="auto, exact or greedy")] = "auto",
    rule: Annotated[
        list[str] | None, typer.Option(help="Corridor rule(s): afir, nevi, uz (repeat)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON")
    ] = False,
) -> None:
    """Create a scenario and run it here with a progress bar; Ctrl-C cancels it."""
    from app.db.session import (  # noqa: PLC0415
        make_async_engine,
        make_sessionmaker,
        make_sync_engine,
    )
    from app.errors import DomainError  # noqa: PLC0415
    from app.schemas.scenarios import ScenarioCreate  # noqa: PLC0415
    from app.services import planning as svc  # noqa: PLC0415

    try:
        params = ScenarioCreate(
            name=name,
            region=region,
            resolution=resolution,
            year=year,
            n_sites=None if budget_uzs is not None else sites,
            budget_uzs=budget_uzs,
            radius_km=radius_km,
            method=method,
            rules=rule or ["afir", "nevi", "uz"],
        )
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise _fail(f"{loc}: {err['msg']}") from None
    s = _settings()
    url = resolve_database_url(s)
    migrate.upgrade(url)

    async def create() -> int:
        engine = make_async_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                row = await svc.create_scenario(session, params)
                return row.id
        finally:
            await engine.dispose()

    try:
        sid = asyncio.run(create())
    except DomainError as e:
        raise _fail(e.detail) from None
    engine = make_sync_engine(url)
    job = svc.Job(scenario_id=sid)
    worker = threading.Thread(target=svc.execute, args=(engine, sid, job), daemon=True)
    worker.start()
    with _progress(f"scenario {sid} {name!r}", not as_json) as update:
        try:
            while worker.is_alive():
                if update is not None:
                    update(job.done, job.total)
                time.sleep(0.2)
        except KeyboardInterrupt:
            typer.echo("cancelling…", err=True)
            job.cancel.set()
            worker.join()
        if update is not None:
            update(job.done, job.total)
    with engine.connect() as conn:
        status, error, result = conn.execute(
            text("SELECT status, error, result FROM scenario WHERE id = :s"), {"s": sid}
        ).one()
    engine.dispose()
    _print_plan(sid, status, error, result, as_json)
    if status == "cancelled":
        raise typer.Exit(130)
    if status != "done":
        raise typer.Exit(1)


def _print_plan(
    sid: int, status: str, error: str | None, result: dict[str, Any], as_json: bool
) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {"id": sid, "status": status, "error": error, "result": result},
                ensure_ascii=False,
                indent=2,
            )
        )
    elif status == "done":
        cov = result["coverage"]
        typer.echo(
            f"scenario {sid} done: {result['cells']:,} cells, "
            f"{result['population']:,.0f} people, {result['demand_kwh_day']:,.0f} kWh/day; "
            f"{cov['population_share_km']:.1%} of people within {cov['radius_km']:g} km"
        )
        sel = result.get("selection")
        if sel:
            typer.echo(
                f"selection ({sel['method']}): {sel['selected']} sites cover "
                f"{sel['covered_kwh_day']:,.0f} kWh/day, gap to LP bound {sel['gap']:.2%}"
            )
        for r, v in sorted(result.get("corridors", {}).items()):
            typer.echo(
                f"corridors {r}: {v['gaps']} gaps ({v['gap_km']:,.0f} km), "
                f"{v['proposed']} proposed pools"
            )
    else:
        typer.echo(f"scenario {sid} {status}: {error}", err=True)


@plan_cli.command("list")
def plan_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List scenarios with their status."""

    from app.db.session import make_sync_engine  # noqa: PLC0415

    engine = make_sync_engine(resolve_database_url(_settings()))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name, status, input_hash FROM scenario ORDER BY id")
        ).all()
    engine.dispose()
    if as_json:
        typer.echo(json.dumps([dict(r._mapping) for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r.id:>5}  {r.status:<10} {(r.input_hash or '')[:12]:<12} {r.name}"
        )


@plan_cli.command("report")
def plan_report(
    scenario_id: Annotated[int, typer.Argument(help="Scenario id")],
    out: Annotated[Path, typer.Option(help="Output file (.html or .pdf)")],
    lang: Annotated[str, typer.Option(help="uz, ru, en or de")] = "en",
) -> None:
    """Write the report of a finished scenario as HTML or PDF (by file suffix)."""
    from app.db.models import Scenario  # noqa: PLC0415
    from app.db.session import make_sync_engine  # noqa: PLC0415
    from app.errors import DomainError  # noqa: PLC0415
    from app.services import reports  # noqa: PLC0415

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("html", "pdf"):
        raise _fail(f"--out must end in .html or .pdf, got {out.name!r}")
    if lang not in reports.LANGS:
        raise _fail(f"--lang must be one of {', '.join(reports.LANGS)}, got {lang!r}")
    engine = make_sync_engine(resolve_database_url(_settings()))
    try:
        from sqlalchemy.orm import Session  # noqa: PLC0415

        with Session(engine) as session:
            row = session.get(Scenario, scenario_id)
            if row is None:
                raise _fail(f"scenario {scenario_id} not found")
            data, _ = reports.render(engine, row, lang, fmt)
    except DomainError as e:
        raise _fail(e.detail) from None
    finally:
        engine.dispose()
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data):,} bytes)")


user_cli = typer.Typer(
    help="Accounts: create users from the shell.", no_args_is_help=True
)
cli.add_typer(user_cli, name="user")


@user_cli.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="E-mail (the login name)")],
    role: Annotated[str, typer.Option(help="admin, technician, client or partner")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="QUVVAT_NEW_USER_PASSWORD",
            help="Asked for when not given",
        ),
    ],
    operator: Annotated[
        list[int] | None, typer.Option(help="Operator id (technicians, partners)")
    ] = None,
    phone: Annotated[str | None, typer.Option(help="+998 phone number")] = None,
) -> None:
    """Create an account of any role (the first admin, a technician, ...)."""
    import asyncio  # noqa: PLC0415

    from app.db.session import make_async_engine, make_sessionmaker  # noqa: PLC0415
    from app.errors import DomainError  # noqa: PLC0415
    from app.services import accounts  # noqa: PLC0415
    from app.services.principal import ALL_ROLES, Principal  # noqa: PLC0415

    if role not in ALL_ROLES:
        raise typer.BadParameter(f"one of {', '.join(ALL_ROLES)}", param_hint="--role")
    url = resolve_database_url(_settings())

    async def create() -> int:
        engine = make_async_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                user, _ = await accounts.create_user(
                    session,
                    Principal(subject="cli", role="admin"),
                    email=email,
                    password=password,
                    role=role,
                    phone=phone,
                    operator_ids=operator or [],
                )
                return user.id
        finally:
            await engine.dispose()

    try:
        user_id = asyncio.run(create())
    except DomainError as e:
        typer.echo(f"quvvat: error: {e.detail}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"user {user_id} ({email}, {role}) created")


@cli.command("export")
def export(
    layer: Annotated[
        str,
        typer.Argument(
            help="Layer: regions, districts, cities, "
            "roads, stations, planned_sites, "
            "candidate_sites, parcels, substations, "
            "grid_lines"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write")],
    format: Annotated[str, typer.Option(help="geojson, gpkg or csv")] = "geojson",
    region: Annotated[
        str | None, typer.Option(help="Only this region (ISO 3166-2, e.g. UZ-SA)")
    ] = None,
) -> None:
    """Export a layer (optionally one region) as GeoJSON, GeoPackage or CSV."""
    import shutil  # noqa: PLC0415

    from app.db.session import make_sync_engine  # noqa: PLC0415
    from app.services import layers  # noqa: PLC0415

    if format not in ("geojson", "gpkg", "csv"):
        raise _fail(f"unknown format {format!r}; use geojson, gpkg or csv")
    try:
        spec = layers.get_layer(layer, "admin")
    except DomainError as e:
        raise _fail(e.detail) from e
    engine = make_sync_engine(resolve_database_url(_settings()))
    try:
        with engine.connect() as conn:
            known = conn.execute(
                text("SELECT 1 FROM region WHERE iso_code = :r"), {"r": region}
            ).first()
        if region is not None and known is None:
            raise _fail(f"unknown region {region!r}")
        tmp = layers.export_layer(engine, spec, format, region)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    shutil.move(tmp, out)
    shutil.rmtree(tmp.parent, ignore_errors=True)
    typer.echo(f"wrote {out}")


def main() -> None:
    """Console-script entry point: user-facing failures end with one clear line."""
    try:
        cli()
    except (embedded_pg.EmbeddedPostgresError, RuntimeError) as e:
        typer.echo(f"quvvat: error: {e}", err=True)
        raise SystemExit(1) from e


if __name__ == "__main__":
    main()
