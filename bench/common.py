"""Shared set-up for benchmarks: a throwaway migrated database and a table printer."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from eioku.config import Settings
from eioku.db import migrate
from eioku.db.server import embedded_server_url, stop_embedded_server, to_libpq_url, with_database
from psycopg import sql


@contextmanager
def bench_database(server_settings: dict[str, str] | None = None) -> Iterator[str]:
    """A fresh migrated database on DATABASE_URL's server or an embedded one.
    ``server_settings`` (``ALTER SYSTEM``, then a restart) apply to an embedded
    server only: a server named by DATABASE_URL is left as its owner set it."""
    with tempfile.TemporaryDirectory(prefix="eioku-bench-") as tmp:
        external = os.environ.get("DATABASE_URL")
        embedded = Settings(data_dir=tmp, database_url=None)
        admin = (with_database(to_libpq_url(external), "postgres") if external else
                 embedded_server_url(embedded, "postgres"))
        if server_settings and not external:
            with psycopg.connect(admin, autocommit=True) as conn:
                for name, value in server_settings.items():
                    conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                        sql.Identifier(name), sql.Literal(value)))
            stop_embedded_server(embedded)
            admin = embedded_server_url(embedded, "postgres")
        name = f"eioku_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = with_database(admin, name)
        migrate.upgrade(url)
        try:
            yield url
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            if not external:  # before its folder goes: a server left running loads the next figures
                stop_embedded_server(embedded)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join("{:>" + str(w) + "}" for w in widths)
    print(f"\n{title}")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def summary(samples: list[float]) -> tuple[float, float, float]:
    return min(samples), statistics.median(samples), max(samples)
