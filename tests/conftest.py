"""Test infrastructure: one real PostgreSQL per test session.

With ``DATABASE_URL`` unset, an embedded server is started in a temporary
data dir; with it set, that server is used (databases named ``eioku_test_*``
are created and dropped). The schema comes from ``alembic upgrade head`` into
a template database; each test that asks for ``db`` gets a fresh copy of it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from eioku.config import Settings
from eioku.db import migrate
from eioku.db.engine import make_engine, make_session_factory
from eioku.db.server import embedded_server_url, to_libpq_url, with_database
from hypothesis import HealthCheck, settings
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

settings.register_profile(
    "eioku", max_examples=100, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("eioku")


class PgCluster:
    """Creates databases on the session's server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        name = f"eioku_test_{uuid.uuid4().hex[:12]}"
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(stmt)
        self.created.append(name)
        return name

    def clone(self, template: str) -> str:
        """A copy of ``template``; connections still open on it (a finished
        command's pool, say) are closed first, as PostgreSQL requires."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
        return self.create(template=template)

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgCluster]:
    external = os.environ.get("DATABASE_URL")
    if external:
        admin = with_database(to_libpq_url(external), "postgres")
    else:
        data_dir = tmp_path_factory.mktemp("eioku-data")
        admin = embedded_server_url(Settings(data_dir=data_dir, database_url=None), "postgres")
    cluster = PgCluster(admin)
    yield cluster
    if external:  # an embedded cluster's databases go with its temporary directory (dropping the
        cluster.drop_all()  # few hundred one by one took 108 s at the end of a CI run)


@pytest.fixture(scope="session")
def template_db(pg_cluster: PgCluster) -> str:
    """A database migrated to head, used as the template for per-test copies."""
    name = pg_cluster.create()
    migrate.upgrade(pg_cluster.url(name))
    return name


@pytest.fixture(scope="session")
def shared_db_url(pg_cluster: PgCluster, template_db: str) -> str:
    """One migrated database shared by tests that isolate themselves by asset."""
    return pg_cluster.url(pg_cluster.create(template=template_db))


@pytest.fixture(scope="session")
def shared_engine(shared_db_url: str) -> Iterator[Engine]:
    engine = make_engine(shared_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_url(pg_cluster: PgCluster, template_db: str) -> str:
    """A fresh, migrated database for this test alone."""
    return pg_cluster.url(pg_cluster.create(template=template_db))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def shared_session_factory(shared_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(shared_engine)


@pytest.fixture(autouse=True)
def _normal_scheduling() -> Iterator[None]:
    """A test that leaves this process in a real-time scheduling policy fails (and the
    policy is put back): every thread and process started after it would inherit it, and
    one busy loop in them would then hold the cores (SVT-AV1 did this: see
    tests/fixtures/corpus.py, normal_scheduling)."""
    yield
    if hasattr(os, "sched_getscheduler") and os.sched_getscheduler(0) != os.SCHED_OTHER:
        policy = os.sched_getscheduler(0)
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        pytest.fail(f"the test left the process in scheduling policy {policy} (real time)")


@pytest.fixture(autouse=True)
def _fail_on_logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A test that logs an ERROR fails, even if it otherwise passed (as PySceneDetect does)."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR
              and not getattr(r, "expected", False)]
    if errors:
        pytest.fail("logged errors: " + "; ".join(r.getMessage() for r in errors))


REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files as people's folders hold them (tests/fixtures/corpus.py), made once
    per session from the sample's footage: name -> path."""
    from tests.fixtures.corpus import build

    return build(tmp_path_factory.mktemp("corpus"))
