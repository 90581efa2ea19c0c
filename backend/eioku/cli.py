"""The ``eioku`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from eioku.config import get_settings
from eioku.domain.errors import EiokuError

app = typer.Typer(help="Eioku: navigate your videos like documents.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
projections_app = typer.Typer(help="Projection tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(projections_app, name="projections")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def friendly_errors(func: F) -> F:
    """One clear line and a non-zero exit instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EiokuError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _url() -> str:
    from eioku.db.server import database_url

    return database_url(get_settings())


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = "head") -> None:
    """Create or upgrade the schema (Alembic) on the configured server."""
    from eioku.db import migrate

    migrate.upgrade(_url(), revision)
    console.print(f"database at revision {revision}")


@projections_app.command("rebuild")
@friendly_errors
def projections_rebuild(
    video_id: Annotated[str | None, typer.Option(help="Only this video.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute projection tables from the artifacts."""
    import uuid

    from eioku.db.engine import make_engine, make_session_factory
    from eioku.store.uow import UnitOfWork

    engine = make_engine(_url())
    with UnitOfWork(make_session_factory(engine)) as uow:
        counts = uow.projections.rebuild(uuid.UUID(video_id) if video_id else None)
        uow.commit()
    engine.dispose()
    if as_json:
        print_json(counts)
    else:
        for table, n in counts.items():
            console.print(f"{table:16} {n:>8} rows")


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from eioku.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port)


if __name__ == "__main__":
    app()
