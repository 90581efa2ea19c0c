"""Share links with an API token set: a signed, expiring link opens its moment
(or its collection's moments) without the token, and refuses everything else —
another video, an expired or altered link, any API call."""

from __future__ import annotations

import time
import uuid

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.services import shares
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient

from tests.media import LOOPBACK, SAMPLE, copy_with_suffix

TOKEN = "s3cret-token"


@pytest.fixture
def app(tmp_path, media_root, session_factory):
    settings = Settings(data_dir=tmp_path / "data", media_roots=[media_root], database_url=None,
                        api_token=TOKEN)
    return create_app(settings, session_factory)


@pytest.fixture
def stranger(app):
    """A client without the token (one client per app: its lifespan opens the read pool)."""
    with TestClient(app, base_url=LOOPBACK, raise_server_exceptions=False) as c:
        yield c


class _Owner:
    """The same client, sending the token."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, method):
        def call(url, **kwargs):
            headers = {"Authorization": f"Bearer {TOKEN}", **kwargs.pop("headers", {})}
            return getattr(self.client, method)(url, headers=headers, **kwargs)
        return call


@pytest.fixture
def owner(stranger):
    return _Owner(stranger)


def _video(owner, media_root, name):
    path = copy_with_suffix(SAMPLE, media_root / name, name.encode())  # each its own content
    r = owner.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


def test_a_moment_link_opens_its_moment_and_nothing_else(owner, stranger, media_root):
    video = _video(owner, media_root, "a.mp4")
    assert stranger.post("/v1/shares", json={"video_id": video}).status_code == 401
    made = owner.post("/v1/shares", json={"video_id": video, "start_ms": 2000, "end_ms": 5000})
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert url.startswith("/s/") and made.json()["page_url"] == f"/videos/{video}?t=2"

    page = stranger.get(url)
    assert page.status_code == 200 and "share.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    shown = stranger.get(f"{url}/moments").json()
    assert shown["kind"] == "moment" and [(m["video_id"], m["start_ms"], m["end_ms"])
                                          for m in shown["moments"]] == [(video, 2000, 5000)]
    stream = stranger.get(shown["moments"][0]["stream_url"], headers={"Range": "bytes=0-99"})
    assert stream.status_code == 206 and len(stream.content) == 100
    assert stream.headers["content-type"] == "video/mp4"
    assert stream.headers["content-security-policy"] == "sandbox"


def test_a_link_refuses_another_video_and_every_api_call(owner, stranger, media_root):
    video, other = _video(owner, media_root, "a.mp4"), _video(owner, media_root, "b.mp4")
    url = owner.post("/v1/shares", json={"video_id": video, "start_ms": 0}).json()["url"]
    link = url.removeprefix("/s/")
    assert stranger.get(f"{url}/videos/{other}/stream").status_code == 403
    assert stranger.get(f"{url}/videos/{uuid.uuid4()}/stream").status_code == 403
    # the link is no API credential: not as a bearer token, not as a cookie, not in a query
    for path in (f"/v1/videos/{video}", f"/v1/videos/{video}/stream", "/v1/videos", "/v1/collections"):
        assert stranger.get(path).status_code == 401
        assert stranger.get(path, headers={"Authorization": f"Bearer {link}"}).status_code == 401
        assert stranger.get(path, params={"share": link}).status_code == 401
        assert stranger.get(path, cookies={"eioku_session": link}).status_code == 401
    assert stranger.post("/v1/shares", json={"video_id": other},
                         headers={"Authorization": f"Bearer {link}"}).status_code == 401
    assert stranger.get(f"/s/{link}/v1/videos").status_code == 404  # nothing else under /s/


def test_an_altered_forged_or_expired_link_is_refused(owner, stranger, media_root, session_factory):
    video, other = _video(owner, media_root, "a.mp4"), _video(owner, media_root, "b.mp4")
    link = owner.post("/v1/shares", json={"video_id": video}).json()["url"].removeprefix("/s/")
    payload, signature = link.split(".")
    # another video's payload under this signature
    with UnitOfWork(session_factory) as uow:
        forged_for, _ = shares.make_link(uow, video_id=uuid.UUID(other))  # not committed: the same secret
    swapped = f"{forged_for.split('.')[0]}.{signature}"
    flipped = f"{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    for bad in (swapped, flipped, payload, "nonsense", f"{payload}.", "x" * 700):
        assert stranger.get(f"/s/{bad}/moments").status_code in (403, 404, 422), bad
        assert stranger.get(f"/s/{bad}/videos/{video}/stream").status_code in (403, 404, 422), bad
        assert stranger.get(f"/s/{bad}").status_code in (403, 404, 422), bad
    with UnitOfWork(session_factory) as uow:
        old, _ = shares.make_link(uow, video_id=uuid.UUID(video), ttl_s=60, now=time.time() - 120)
        uow.commit()
    expired = stranger.get(f"/s/{old}/moments")
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]
    assert stranger.get(f"/s/{old}/videos/{video}/stream").status_code == 403
    page = stranger.get(f"/s/{old}")
    assert page.status_code == 403 and "expired" in page.text
    with UnitOfWork(session_factory) as uow:  # a fresh link is fine, before and after
        assert shares.read_link(uow.session, link).video_id == uuid.UUID(video)


def test_a_collection_link_opens_only_its_moments_videos(owner, stranger, media_root):
    a, b, c = (_video(owner, media_root, f"{n}.mp4") for n in "abc")
    cid = owner.post("/v1/collections", json={"name": "Trip"}).json()["collection_id"]
    owner.post(f"/v1/collections/{cid}/items", json={"moments": [
        {"video_id": a, "start_ms": 0, "end_ms": 1000}, {"video_id": b, "start_ms": 500, "end_ms": 900}]})
    url = owner.post("/v1/shares", json={"collection_id": cid, "expires_in_s": 3600}).json()["url"]
    shown = stranger.get(f"{url}/moments").json()
    assert shown["kind"] == "collection" and shown["title"] == "Trip"
    assert [m["video_id"] for m in shown["moments"]] == [a, b]
    assert stranger.get(f"{url}/videos/{b}/stream", headers={"Range": "bytes=0-9"}).status_code == 206
    assert stranger.get(f"{url}/videos/{c}/stream").status_code == 403
    # a moment taken out of the collection is no longer shown
    item_b = owner.get(f"/v1/collections/{cid}").json()["items"][1]["item_id"]
    owner.delete(f"/v1/collections/{cid}/items/{item_b}")
    assert stranger.get(f"{url}/videos/{b}/stream").status_code == 403


def test_bad_share_requests_are_clear_4xx(owner, media_root):
    video = _video(owner, media_root, "a.mp4")
    assert owner.post("/v1/shares", json={}).status_code == 422
    assert owner.post("/v1/shares", json={"video_id": video, "collection_id": str(uuid.uuid4())}
                      ).status_code == 422
    assert owner.post("/v1/shares", json={"video_id": video, "expires_in_s": 10}).status_code == 422
    assert owner.post("/v1/shares", json={"video_id": video, "expires_in_s": 10**9}).status_code == 422
    assert owner.post("/v1/shares", json={"video_id": str(uuid.uuid4())}).status_code == 404
    assert owner.post("/v1/shares", json={"collection_id": str(uuid.uuid4())}).status_code == 404
    backwards = {"video_id": video, "start_ms": 5000, "end_ms": 10}
    assert owner.post("/v1/shares", json=backwards).status_code == 422
