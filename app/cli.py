"""The ``quvvat`` command line: a thin adapter over the services.

Every command has ``--help``; user errors exit non-zero with one clear line.
"""

from __future__ import annotations

import json
import logging
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
        ws_max_size=s.ocpp_max_frame_bytes,
        ssl_certfile=s.tls_certfile,
        ssl_keyfile=s.tls_keyfile,
        ssl_ca_certs=s.tls_ca_certs,
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
        _serve(s, host, port)
    finally:
        if embedded:
            embedded_pg.stop(s.data_dir)


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
