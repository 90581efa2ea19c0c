"""Fuzz every operation of the OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

import collections

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.store.uow import UnitOfWork
from hypothesis import HealthCheck, given, settings
from schemathesis.openapi import from_asgi

from tests.factories import add_video, store_run


@pytest.fixture
def api_schema(shared_session_factory, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "clip.mp4").write_bytes(b"not really a video")
    with UnitOfWork(shared_session_factory) as uow:  # some real rows for list endpoints
        video = add_video(uow)
        store_run(uow, video.video_id, "scene", [(0, 1000), (1000, 2000)])
        store_run(uow, video.video_id, "transcript.segment", [(0, 500)])
        uow.commit()
    app = create_app(Settings(data_dir=tmp_path / "data", media_roots=[media],
                              database_url=None, upload_max_bytes=100_000),
                     shared_session_factory)
    return from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema):
    """Each operation gets bounded, generated requests (valid and invalid shapes)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    seen = collections.Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call()
            seen[(case.method, response.status_code)] += 1
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}")

        check()
    print(sorted(seen.items()))
    assert sum(n for (_, status), n in seen.items() if status < 300) > 20  # real hits, not only 4xx
