"""Engine and session factory, built explicitly (no module-level engines)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from eioku.config import Settings
from eioku.db.server import database_url, to_sqlalchemy_url


def make_engine(url: str, **kwargs: object) -> Engine:
    """Connections are tested when taken from the pool (workers, the CLI: a
    round trip is nothing next to their work)."""
    options: dict[str, object] = {"pool_pre_ping": True, **kwargs}
    return create_engine(to_sqlalchemy_url(url), **options)  # type: ignore[arg-type]


# the API's pool: POOL_SIZE connections for requests (api/gate.py admits that
# many), MAX_OVERFLOW more for work outside the gate; a wait for a connection
# longer than POOL_TIMEOUT_S is a 503 with Retry-After, not a stuck thread
POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT_S = 10, 10, 5.0


def engine_from_settings(settings: Settings) -> Engine:
    """The API's engine: no test round trip per request (it cost about a tenth
    of a jump's time). A connection that died with the server fails its request
    with a 503, and SQLAlchemy then discards the whole pool, so the next
    request connects afresh (test_database_restart.py); connections are also
    renewed every 30 minutes, before idle-killing firewalls get to them."""
    return make_engine(database_url(settings), pool_pre_ping=False, pool_recycle=1800,
                       pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=POOL_TIMEOUT_S)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
