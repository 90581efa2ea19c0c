"""Alembic environment: the URL comes from Eioku's settings, never alembic.ini."""

from __future__ import annotations

from alembic import context
from eioku.config import get_settings
from eioku.db.engine import make_engine
from eioku.db.server import database_url

config = context.config


def _url() -> str:
    # A caller (eioku.db.migrate, tests) may hand us a URL explicitly.
    return config.attributes.get("url") or database_url(get_settings())


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
