from __future__ import annotations

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from fastapi.testclient import TestClient

from tests.media import LOOPBACK


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def settings(tmp_path, media_root):
    return Settings(data_dir=tmp_path / "data", media_roots=[media_root], database_url=None,
                    upload_max_bytes=10_000)


@pytest.fixture
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory), raise_server_exceptions=False,
                    base_url=LOOPBACK) as c:
        yield c
