"""/healthz while the database is away: 503 with Retry-After, as every other
route answers then (api/errors.py), so a load balancer or client backs off."""

from __future__ import annotations

import socket

from eioku.api.app import create_app
from eioku.db.engine import make_engine, make_session_factory
from fastapi.testclient import TestClient

from tests.media import LOOPBACK


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_healthz_without_a_database_says_when_to_retry(settings):
    engine = make_engine(f"postgresql+psycopg://eioku@127.0.0.1:{_closed_port()}/eioku")
    try:
        with TestClient(create_app(settings, make_session_factory(engine)),
                        raise_server_exceptions=False, base_url=LOOPBACK) as client:
            r = client.get("/healthz")
    finally:
        engine.dispose()
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable", "database": "unreachable"}
    assert r.headers["Retry-After"] == "2"
