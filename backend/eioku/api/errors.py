"""Domain errors -> HTTP responses, in one place."""

from __future__ import annotations

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    InterfaceError,
    InvalidatePoolError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from eioku.domain import errors as e

STATUS: list[tuple[type[e.EiokuError], int]] = [
    (e.NotFoundError, 404),
    (e.MediaFileNotFoundError, 404),
    (e.PathOutsideMediaRootsError, 403),
    (e.ForbiddenError, 403),
    (e.MediaPathError, 400),
    (e.ValidationFailedError, 422),
    (e.SchemaNotFoundError, 422),
    (e.InvalidTransitionError, 409),
    (e.UploadTooLargeError, 413),
    (e.MediaUnreadableError, 422),
    (e.NotMediaError, 415),
    (e.ConflictError, 409),
    (e.DatabaseUnavailableError, 503),
    (e.SemanticSearchUnavailableError, 503),
    (e.StorageError, 507),
]


def status_for(exc: e.EiokuError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.EiokuError)
    body: dict[str, object] = {"detail": exc.message, "error": type(exc).__name__}
    if isinstance(exc, e.ValidationFailedError):
        body.update({k: v for k, v in (("item", exc.item), ("field", exc.field),
                                       ("position", getattr(exc, "position", None))) if v is not None})
    return JSONResponse(body, status_code=status_for(exc))


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """Values PostgreSQL refuses to store (NUL characters, out-of-range
    numbers) are the client's input, not a server fault."""
    cause = getattr(exc, "orig", exc)
    return JSONResponse({"detail": f"the database cannot store this input: {cause}".strip(),
                         "error": "InvalidInput"}, status_code=422)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away (restarting, network): 503 and retry soon. The
    driver's message stays in the server log, never in the response."""
    return JSONResponse({"detail": "the database is unavailable; retry shortly",
                         "error": "DatabaseUnavailableError"}, status_code=503,
                        headers={"Retry-After": "2"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.EiokuError, _handle)
    # SQLAlchemy's, and psycopg's own from the async read pool (api/reads.py)
    for refused in (DataError, psycopg.DataError):
        app.add_exception_handler(refused, _data_error)
    for lost in (OperationalError, InterfaceError, DisconnectionError, InvalidatePoolError,
                 psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout, PoolTimeoutError):
        app.add_exception_handler(lost, _unavailable)
