"""Engine and session factory, built explicitly (no module-level engines)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from eioku.config import Settings
from eioku.db.server import database_url, to_sqlalchemy_url


def make_engine(url: str, **kwargs: object) -> Engine:
    return create_engine(to_sqlalchemy_url(url), pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(database_url(settings))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
