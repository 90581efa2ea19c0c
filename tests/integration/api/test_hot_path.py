"""The short way in for jump and find (api/hot.py) answers exactly as FastAPI's
routing does: every request here goes to an app with it and to one without,
and the two answers (status, headers, body) must be the same."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from urllib.parse import urlencode

import pytest
from eioku.api.app import create_app
from eioku.api.auth import COOKIE, session_value
from eioku.api.hot import HotPath
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video
from tests.media import LOOPBACK

TOKEN = "s3cret-token"


@dataclasses.dataclass
class Pair:
    hot: TestClient
    plain: TestClient
    routed: list[str]  # paths the hot app's HotPath passed on to FastAPI's router
    video_id: str
    took_short_way: bool = False

    def same(self, url: str, **kwargs) -> int:
        """Both answers to GET ``url``, which must be the same; their status."""
        before = len(self.routed)
        a, b = self.hot.get(url, **kwargs), self.plain.get(url, **kwargs)
        assert (a.status_code, dict(a.headers), a.content) == (b.status_code, dict(b.headers), b.content), url
        assert a.status_code != 500, a.text
        self.took_short_way = len(self.routed) == before
        return a.status_code


def _record_routed(app, routed: list[str]) -> None:
    """Note each request the app's HotPath hands on to FastAPI's router."""
    hot_path = app.router.middleware_stack
    assert isinstance(hot_path, HotPath)
    router = hot_path.app

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            routed.append(scope["path"])
        await router(scope, receive, send)

    hot_path.app = recording


@contextlib.contextmanager
def _pair(settings, session_factory, media_root, token: str | None):
    settings = settings.model_copy(update={"api_token": token})
    routed: list[str] = []
    hot_app = create_app(settings, session_factory)
    _record_routed(hot_app, routed)
    plain_app = create_app(settings, session_factory, hot_path=False)
    assert not isinstance(plain_app.router.middleware_stack, HotPath)
    with TestClient(hot_app, raise_server_exceptions=False, base_url=LOOPBACK) as hot, \
            TestClient(plain_app, raise_server_exceptions=False, base_url=LOOPBACK) as plain:
        if token:
            for client in (hot, plain):
                client.headers["Authorization"] = f"Bearer {token}"
        video_id = _video(hot, media_root)
        _external_run(hot, video_id, "object.detection", [
            (s, s + 400, payload_for("object.detection", s, label=label))
            for s, label in [(0, "dog"), (500, "dog"), (500, "cat"), (9000, "dog"), (9000, "person")]])
        _external_run(hot, video_id, "scene", [(0, 4000, payload_for("scene", 0)),
                                               (4000, 12000, payload_for("scene", 1))])
        _external_run(hot, video_id, "transcript.segment", [
            (500, 1500, payload_for("transcript.segment", text="please pay the invoice")),
            (6000, 7000, payload_for("transcript.segment", text="the invoice is late, invoice two"))])
        _external_run(hot, video_id, "ocr.text", [(1200, 2200, payload_for("ocr.text", text="INVOICE 2024"))])
        yield Pair(hot, plain, routed, video_id)


@pytest.fixture(params=[None, TOKEN], ids=["open", "token"])
def pair(request, settings, session_factory, media_root):
    with _pair(settings, session_factory, media_root, request.param) as p:
        yield p


def test_hits_misses_and_errors_are_answered_alike(pair):
    v = pair.video_id
    cases = [
        (f"/v1/videos/{v}/jump?kind=object&label=dog&from_ms=0", 200, True),
        (f"/v1/videos/{v}/jump?kind=object&label=dog&from_ms=9000", 404, True),  # no match
        (f"/v1/videos/{v}/jump?kind=object&granularity=detection&direction=prev", 200, True),
        (f"/v1/videos/{v}/jump?kind=transcript&text=invoice&from_ms=600", 200, True),
        (f"/v1/videos/{v}/jump?kind=transcript&text=zebra", 404, True),
        (f"/v1/videos/{v}/jump?kind=transcript&text=-", 422, True),  # no word to search for
        (f"/v1/videos/{v}/jump?kind=scene&selection=latest", 200, True),
        (f"/v1/videos/{v}/jump?kind=dream&from_ms=x", 422, True),  # the query model's 422
        (f"/v1/videos/{v}/jump?kind=object&label=a&face_cluster_id=b", 422, True),
        (f"/v1/videos/{uuid.uuid4()}/jump?kind=scene", 404, True),  # unknown video
        (f"/v1/videos/{v.upper()}/jump?kind=scene", 200, False),  # unusual ids: FastAPI's way
        ("/v1/videos/not-a-uuid/jump?kind=scene", 422, False),
        ("/v1/videos/not-a-uuid/jump?kind=dream", 422, False),
        (f"/v1/videos/{v}/find?q=invoice", 200, True),
        (f"/v1/videos/{v}/find?q=invoice&source=ocr&direction=prev&from_ms=99999&limit=1", 200, True),
        (f"/v1/videos/{v}/find?" + urlencode({"q": "\"unbalanced -( invoice"}), 200, True),
        (f"/v1/videos/{v}/find?q=invoice&limit=0", 422, True),
        (f"/v1/videos/{v}/find", 422, True),
        (f"/v1/jump/global?kind=object&label=dog&from_video={v}&from_ms=0", 200, True),
        ("/v1/jump/global?kind=transcript&q=invoice", 200, True),
        ("/v1/jump/global?kind=transcript&q=nothing-like-it", 404, True),
        (f"/v1/videos/{v}/jump/?kind=scene", 200, False),  # the router redirects it
    ]
    for url, status, short in cases:
        assert pair.same(url) == status, url
        assert pair.took_short_way is short, url


def test_the_token_is_checked_on_the_short_way(settings, session_factory, media_root):
    with _pair(settings, session_factory, media_root, TOKEN) as pair:
        url = f"/v1/videos/{pair.video_id}/jump?kind=scene"
        for client in (pair.hot, pair.plain):
            del client.headers["Authorization"]
        for headers, cookies, status in [({}, {}, 401), ({"Authorization": "Bearer wrong"}, {}, 401),
                                         ({"Authorization": f"Bearer {TOKEN}"}, {}, 200),
                                         ({}, {COOKIE: session_value(TOKEN, 2**40)}, 200),
                                         ({}, {COOKIE: session_value("other", 2**40)}, 401),
                                         ({}, {COOKIE: session_value(TOKEN, 1)}, 401),
                                         ({}, {"eioku_token": TOKEN}, 401)]:
            pair.hot.cookies.clear()
            pair.plain.cookies.clear()
            assert pair.same(url, headers=headers, cookies=cookies) == status, (headers, cookies)
            assert pair.took_short_way


def test_other_methods_take_fastapis_way(pair):
    url = f"/v1/videos/{pair.video_id}/jump?kind=scene"
    pair.routed.clear()
    a, b = pair.hot.head(url), pair.plain.head(url)
    assert (a.status_code, dict(a.headers)) == (b.status_code, dict(b.headers))
    a, b = pair.hot.post(url), pair.plain.post(url)
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert a.status_code == 405
    assert pair.routed == [f"/v1/videos/{pair.video_id}/jump"] * 2


_values = st.one_of(
    st.sampled_from(["", "0", "-1", "-2", "500", "9000", "99999999999", "1e3", "0.5", "1.5", "dog", "Dog",
                     "cat", "c1", "invoice", "\"invoice", "the", "-invoice", "true", "%00", "x" * 201]),
    st.text(max_size=12))
_names = st.sampled_from(["kind", "direction", "from_ms", "label", "face_cluster_id", "text", "q",
                          "min_confidence", "granularity", "selection", "profile", "source", "limit",
                          "from_video", "unknown"])
_kinds = st.sampled_from(["scene", "object", "transcript", "ocr", "face", "place", "dream"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(["jump", "find", "global"]), kind=st.one_of(st.none(), _kinds),
       params=st.lists(st.tuples(_names, _values), max_size=5), video=st.sampled_from(["seeded", "unknown"]))
def test_any_query_is_answered_alike(pair, route, kind, params, video):
    """Generated query strings, valid and not: the same status, headers and body both ways."""
    v = pair.video_id if video == "seeded" else str(uuid.uuid4())
    path = {"jump": f"/v1/videos/{v}/jump", "find": f"/v1/videos/{v}/find",
            "global": "/v1/jump/global"}[route]
    query = ([("kind", kind)] if kind else []) + params
    pair.same(f"{path}?{urlencode(query)}")
    assert pair.took_short_way
