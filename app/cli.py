"""The ``quvvat`` command line: a thin adapter over the services.

Every command has ``--help``; user errors exit non-zero with one clear line.
"""

from __future__ import annotations

import json
import logging
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app import embedded_pg
from app.db import migrate
from app.db.session import resolve_database_url
from app.logging_setup import configure_logging
from app.services.import_log import LAYER_TABLES, Progress
from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from app.services.sample import SampleSummary

logger = logging.getLogger("quvvat")
IMPORT_LAYERS = tuple(LAYER_TABLES)

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

    import uvicorn  # noqa: PLC0415

    from app.main import create_app  # noqa: PLC0415

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGINT/SIGTERM after shutdown, which would kill the
        # process before `quvvat run` stops the embedded cluster: swallow them.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    config = uvicorn.Config(
        create_app(s),
        host=host or s.host,
        port=port or s.port,
        log_config=None,
        # Frames up to 4x the OCPP limit reach the handler and get a CALLERROR;
        # beyond that the socket is closed (1009) to protect the server.
        ws_max_size=4 * s.ocpp_max_frame_bytes,
        ssl_certfile=s.tls_certfile,
        ssl_keyfile=s.tls_keyfile,
        ssl_ca_certs=s.tls_ca_certs,
        # Security profile 3: with a CA configured, every TLS client must present a
        # certificate it signed (uvicorn does not hand the certificate to the app).
        ssl_cert_reqs=ssl.CERT_REQUIRED if s.tls_ca_certs else ssl.CERT_NONE,
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
) -> None:
    """Run a simulated charge point fleet (OCPP 1.6J / 2.0.1) against a central system."""
    import asyncio  # noqa: PLC0415

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
        ids = [f"{prefix}-{i:05d}" for i in range(1, n + 1)]
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
    try:
        report = asyncio.run(run_fleet(cfg))
    except KeyboardInterrupt:
        return
    out = summary(report)
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON")
    ] = False,
) -> None:
    """Import the sample data or a user file into a layer (idempotent by ext_id)."""
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
    raise typer.BadParameter("file import is not built yet", param_hint="LAYER")


def _load_sample_once(url: str) -> None:
    from app.services.sample import load_sample_if_empty  # noqa: PLC0415

    with _progress("loading the Uzbekistan sample data") as progress:
        summary = load_sample_if_empty(url, progress)
    if summary is None:
        typer.echo("sample data already loaded")
    else:
        _print_sample(summary)


def main() -> None:
    """Console-script entry point: user-facing failures end with one clear line."""
    try:
        cli()
    except (embedded_pg.EmbeddedPostgresError, RuntimeError) as e:
        typer.echo(f"quvvat: error: {e}", err=True)
        raise SystemExit(1) from e
