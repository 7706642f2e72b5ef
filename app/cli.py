"""The ``quvvat`` command line: a thin adapter over the services.

Every command has ``--help``; user errors exit non-zero with one clear line.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from app import embedded_pg
from app.db import migrate
from app.db.session import resolve_database_url
from app.logging_setup import configure_logging
from app.settings import Settings, get_settings

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


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
) -> None:
    """Serve the API, the OCPP server and the web app (no setup, no data load)."""
    import uvicorn  # noqa: PLC0415

    from app.main import create_app  # noqa: PLC0415

    s = _settings()
    uvicorn.run(
        create_app(s),
        host=host or s.host,
        port=port or s.port,
        log_config=None,
        ws_max_size=s.ocpp_max_frame_bytes,
        ssl_certfile=s.tls_certfile,
        ssl_keyfile=s.tls_keyfile,
        ssl_ca_certs=s.tls_ca_certs,
    )


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
        typer.echo(
            f"Quvvat on http://{host or s.host}:{port or s.port} (docs at /docs)"
        )
        serve(host=host, port=port)
    finally:
        if embedded:
            embedded_pg.stop(s.data_dir)


def main() -> None:
    """Console-script entry point."""
    cli()
