"""Safe by default (issue 25, items 1-5 and 13): host names, cross-site
requests, body limits, media that never runs in a browser, any token through
an HttpOnly session cookie, external-producer routes, and uploads written once
under a generated name."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import tempfile

import pytest
from eioku.api.app import create_app
from eioku.api.auth import COOKIE
from eioku.api.guard import Guard
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient

from tests.factories import add_video, payload_for
from tests.integration.api.test_storage import _file_size_limit
from tests.media import LOOPBACK, constant_frames, make_clip, tiny_mp4

# what `openssl rand -base64 24` gives, with a percent sign and non-ASCII letters
ODD_TOKEN = "q+3/Zw==%41ключ/é+="


@pytest.fixture
def app_with(settings, session_factory):
    """A client for an app built with some settings changed."""
    opened = []

    def build(base_url: str = LOOPBACK, **changes) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update=changes), session_factory),
                            raise_server_exceptions=False, base_url=base_url)
        opened.append(client.__enter__())
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


def _upload(client: TestClient, data: bytes, name: str = "clip.mp4", **kw):
    return client.post("/v1/videos/upload", files={"file": (name, data, "video/mp4")}, **kw)


# 1. Host names and cross-site requests

@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "127.0.0.1:8000", "[::1]:8000",
                                  "eioku.localhost:8000", "LOCALHOST"])
def test_loopback_host_names_are_served(client, host):
    assert client.get("/v1/videos", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("path", ["/v1/videos", "/", "/healthz"])
def test_a_rebound_host_name_is_refused_without_a_token(client, path):
    r = client.get(path, headers={"host": "attacker.example:8000"})
    assert r.status_code == 400
    assert "EIOKU_ALLOWED_HOSTS" in r.json()["detail"]
    assert "path" not in r.text  # nothing of the library


def test_allowed_hosts_and_the_token_decide_other_names(app_with):
    listed = app_with(allowed_hosts=["eioku.lan"])
    assert listed.get("/v1/videos", headers={"host": "eioku.lan:8000"}).status_code == 200
    assert listed.get("/v1/videos", headers={"host": "attacker.example"}).status_code == 400
    # with a token and no list, any name reaches the token check (a rebound page has no token)
    token_only = app_with(api_token="t0k")
    assert token_only.get("/v1/videos", headers={"host": "nas.example"}).status_code == 401
    both = app_with(api_token="t0k", allowed_hosts=["eioku.lan"])
    assert both.get("/v1/videos", headers={"host": "nas.example",
                                           "Authorization": "Bearer t0k"}).status_code == 400


@pytest.mark.parametrize("headers", [
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},  # another port of this machine is the same site
    {"origin": "http://attacker.example"},
    {"origin": "http://127.0.0.1:9000"},
    {"origin": "null"},
])
@pytest.mark.parametrize("token", [None, "t0k"])
def test_cross_site_state_changing_requests_are_refused(app_with, tmp_path, headers, token):
    client = app_with(api_token=token)
    auth = {"Authorization": "Bearer t0k"} if token else {}
    data = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    upload = _upload(client, data, headers={**headers, **auth})
    assert upload.status_code == 403, upload.text
    plain = client.post("/v1/videos", content=b'{"path": "/x"}',
                        headers={"content-type": "text/plain", **headers, **auth})
    assert plain.status_code == 403
    assert client.get("/v1/videos", headers=auth).json()["total"] == 0


def test_same_origin_requests_and_plain_clients_pass(client, tmp_path):
    data = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    own = _upload(client, data, headers={"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"})
    assert own.status_code == 202, own.text
    # curl and scripts send neither header
    assert _upload(client, tiny_mp4(tmp_path / "d.mp4", seed=1).read_bytes()).status_code == 202


def test_cross_site_reads_of_the_api_are_refused_but_the_page_opens(client):
    assert client.get("/v1/videos", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.get("/", headers={"sec-fetch-site": "cross-site"}).status_code == 200  # a link
    assert client.get("/v1/videos", headers={"sec-fetch-site": "none"}).status_code == 200  # typed


# 2. Bodies

@pytest.mark.parametrize("content_type", ["application/json", "text/plain",
                                          "application/x-www-form-urlencoded"])
def test_a_large_body_is_413(client, content_type):
    body = b'{"path": "' + b"a" * (2 * 1024**2) + b'"}'
    r = client.post("/v1/videos", content=body, headers={"content-type": content_type})
    assert r.status_code == 413
    assert "EIOKU_BODY_MAX_BYTES" in r.json()["detail"]


def test_the_limit_is_configurable_and_batches_have_their_own(app_with, media_root):
    small = app_with(body_max_bytes=2048, batch_max_bytes=4096)
    assert small.post("/v1/videos", json={"path": "x" * 3000}).status_code == 413
    with UnitOfWork(small.app.state.session_factory) as uow:
        video = add_video(uow)
        uow.commit()
    run = small.post(f"/v1/videos/{video.video_id}/runs", json={
        "artifact_type": "scene", "producer": "p", "producer_version": "1"}).json()["run_id"]
    item = {"span_start_ms": 0, "span_end_ms": 10, "payload": payload_for("scene")}
    assert small.post(f"/v1/runs/{run}/artifacts", json={"artifacts": [item] * 10}).status_code == 201
    too_many = small.post(f"/v1/runs/{run}/artifacts", json={"artifacts": [item] * 100})
    assert too_many.status_code == 413 and "EIOKU_BATCH_MAX_BYTES" in too_many.json()["detail"]


def test_a_streamed_body_is_refused_before_it_is_read_whole(settings):
    """No Content-Length (chunked): the guard stops reading at the limit; the
    app behind it is never called."""
    chunk = b"x" * 65536
    received = []
    sent = []

    async def receive():
        received.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": True}  # an endless body

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        raise AssertionError("the app must not see this body")

    scope = {"type": "http", "method": "POST", "path": "/v1/videos",
             "headers": [(b"host", b"127.0.0.1"), (b"transfer-encoding", b"chunked")]}
    asyncio.run(Guard(app, settings)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sum(received) <= settings.body_max_bytes + len(chunk)


# 3. Media is never run by a browser

def test_an_html_upload_is_415_and_leaves_nothing(client, settings):
    page = b"<html><script>fetch('/v1/videos')</script></html>"
    r = _upload(client, page, name="x.html")
    assert r.status_code == 415
    assert "x.html" in r.json()["detail"]
    assert not settings.upload_dir.exists() or list(settings.upload_dir.iterdir()) == []
    assert client.get("/v1/videos").json()["total"] == 0


def _mpegts(path):
    return make_clip(path, constant_frames(10, 80, size=(64, 64)), size=(64, 64), container="mpegts")


@pytest.mark.parametrize(("make", "name", "mime"), [
    (tiny_mp4, "holiday.html", "video/mp4"),  # the name says page, the content says video
    (_mpegts, "recording.ts", "video/mp2t"),  # not text/vnd.trolltech.linguist
])
def test_media_is_served_with_the_type_of_its_content(client, media_root, make, name, mime):
    path = make(media_root / name)
    video_id = client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
    r = client.get(f"/v1/videos/{video_id}/stream")
    assert r.status_code == 200
    assert r.headers["content-type"] == mime
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox"
    ranged = client.get(f"/v1/videos/{video_id}/stream", headers={"range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.headers["content-security-policy"] == "sandbox"


def test_a_registered_file_that_is_not_media_is_never_streamed(client, media_root):
    page = media_root / "x.mp4"
    page.write_bytes(b"<html><script>alert(document.cookie)</script></html>")
    video_id = client.post("/v1/videos", json={"path": str(page)}).json()["video_id"]
    r = client.get(f"/v1/videos/{video_id}/stream")
    assert r.status_code == 415
    assert "<script>" not in r.text


def test_exports_are_inert_too(client, media_root):
    path = tiny_mp4(media_root / "a.mp4")
    video_id = client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
    for url in (f"/v1/videos/{video_id}/export.json", f"/v1/videos/{video_id}/thumbnail",
                f"/v1/videos/{video_id}/clip?from_ms=0&to_ms=200"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["content-security-policy"] == "sandbox", url


# 4. Any token works, through an HttpOnly session cookie

@pytest.mark.parametrize("base_url", [LOOPBACK, "https://127.0.0.1"])
def test_any_token_signs_the_page_in_with_an_httponly_cookie(app_with, media_root, base_url):
    client = app_with(base_url=base_url, api_token=ODD_TOKEN)
    assert client.get("/v1/session").json() == {"token_required": True, "signed_in": False}
    assert client.post("/v1/session", json={"token": "wrong"}).status_code == 401
    r = client.post("/v1/session", json={"token": ODD_TOKEN})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert ("Secure" in cookie) == base_url.startswith("https")
    value = client.cookies[COOKIE]
    assert ODD_TOKEN not in value and "ключ" not in value  # the cookie is not the token
    assert client.get("/v1/session").json()["signed_in"] is True
    path = tiny_mp4(media_root / "a.mp4")
    video_id = client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
    for url in ("/v1/videos", f"/v1/videos/{video_id}/stream", f"/v1/videos/{video_id}/thumbnail",
                f"/v1/videos/{video_id}/thumbnails.vtt", f"/v1/videos/{video_id}/jump?kind=scene"):
        assert client.get(url).status_code in (200, 404), url  # 404: no scenes, past the token
    assert client.delete("/v1/session").status_code == 204
    assert client.get("/v1/videos").status_code == 401


def test_any_token_works_as_a_bearer_header(app_with):
    client = app_with(api_token=ODD_TOKEN)
    header = b"Bearer " + ODD_TOKEN.encode()  # what a client sends: the UTF-8 bytes
    r = client.get("/v1/videos", headers=[(b"authorization", header)])
    assert r.status_code == 200
    assert client.get("/v1/videos", headers={"Authorization": "Bearer q+3/Zw=="}).status_code == 401


def test_a_session_ends_when_the_token_changes(app_with):
    old = app_with(api_token="first")
    old.post("/v1/session", json={"token": "first"})
    new = app_with(api_token="second")
    new.cookies.set(COOKIE, old.cookies[COOKIE])
    assert new.get("/v1/videos").status_code == 401


# 5. External-producer routes and file modes

def test_external_routes_refuse_builtin_runs(client, session_factory):
    from eioku.domain.enums import RunStatus

    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        run = uow.runs.create(asset_id=video.video_id, artifact_type="scene", producer="eioku",
                              producer_version="1", model_profile="balanced", input_hash="h",
                              config={}, status=RunStatus.RUNNING, analyzer="scenes")
        uow.commit()
    item = {"span_start_ms": 0, "span_end_ms": 10, "payload": payload_for("scene")}
    for url, body in ((f"/v1/runs/{run.run_id}/artifacts", {"artifacts": [item]}),
                      (f"/v1/runs/{run.run_id}/complete", None),
                      (f"/v1/runs/{run.run_id}/fail", {"error": "stolen"})):
        r = client.post(url, json=body)
        assert r.status_code == 409, (url, r.text)
        assert "scenes" in r.json()["detail"]
    assert client.get(f"/v1/runs/{run.run_id}").json()["status"] == "running"


def test_uploads_are_private_files_in_a_private_folder(client, settings, tmp_path):
    r = _upload(client, tiny_mp4(tmp_path / "c.mp4").read_bytes())
    assert r.status_code == 202
    (stored,) = settings.upload_dir.iterdir()
    assert stat.S_IMODE(settings.upload_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


# 13. Uploads: written once into the data dir; any name

def test_a_large_upload_on_a_full_disk_is_507_and_never_spooled_elsewhere(client, settings, monkeypatch,
                                                                          tmp_path):
    spool = tmp_path / "system-tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    client.app.state.settings = settings.model_copy(update={"upload_max_bytes": 8 * 1024**2})
    data = tiny_mp4(tmp_path / "c.mp4").read_bytes() + os.urandom(2 * 1024**2)  # over 1 MiB
    with _file_size_limit(512 * 1024):
        r = _upload(client, data)
    assert r.status_code == 507, r.text
    assert list(settings.upload_dir.iterdir()) == []
    assert list(spool.iterdir()) == []  # nothing was written to the system's temporary folder
    r = _upload(client, data)
    assert r.status_code == 202, r.text  # room again: stored once, where it belongs
    assert list(spool.iterdir()) == []


def test_a_long_non_ascii_name_is_the_title_not_the_file_name(client, settings, tmp_path):
    name = "東京の夏祭りで撮影した家族の思い出" * 5 + ".mp4"  # 85 characters, 259 bytes
    assert len(name.encode()) > 222
    r = _upload(client, tiny_mp4(tmp_path / "c.mp4").read_bytes(), name=name)
    assert r.status_code == 202, r.text
    video = client.get(f"/v1/videos/{r.json()['video_id']}").json()
    assert video["filename"] == name
    (stored,) = settings.upload_dir.iterdir()
    assert stored.suffix == ".mp4" and len(stored.name) < 64


def test_start_up_sweeps_what_a_killed_upload_left_and_keeps_the_rest(client, settings, session_factory,
                                                                       tmp_path):
    from eioku.services import ingest

    kept = _upload(client, tiny_mp4(tmp_path / "c.mp4").read_bytes())
    assert kept.status_code == 202
    (registered,) = settings.upload_dir.iterdir()
    orphan = settings.upload_dir / "0123abcd.mp4"  # stored, never registered
    orphan.write_bytes(b"x")
    os.utime(orphan, (0, 0))
    dead = settings.upload_dir / "dead.part"  # its writer is gone
    dead.write_bytes(b"x")
    alive = ingest.UploadWriter("live.mp4", settings)  # still being written
    alive.write(b"data")
    try:
        assert ingest.sweep_partial_uploads(settings) == 1
        assert ingest.sweep_orphan_uploads(session_factory, settings) == 1
        assert sorted(settings.upload_dir.iterdir()) == sorted([registered, alive.path])
    finally:
        alive.abort()


def test_a_thumbnail_on_a_full_disk_is_still_answered_and_nothing_is_half_written(
        client, media_root, settings, monkeypatch):
    """Seen in the soak runs (a loop-mounted data dir filled up): a thumbnail
    answered 500 with PIL's `OSError: [Errno 28]`, then 507. A reader needs
    no disk: the picture is made in memory and not kept. The kernel's
    file-size limit cannot stand in here (PIL stops writing at it without an
    error), so the writer raises what the full disk raised."""
    import errno

    from eioku.media import images

    path = tiny_mp4(media_root / "a.mp4")
    video_id = client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
    real_save = images.save_jpeg

    def full_disk(image, out, quality=82):
        out.write_bytes(b"\xff\xd8 half a picture")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(images, "save_jpeg", full_disk)
    r = client.get(f"/v1/videos/{video_id}/thumbnail", params={"width": 160})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg" and r.headers["cache-control"] == "no-store"
    from PIL import Image
    assert Image.open(io.BytesIO(r.content)).size[0] == 160
    assert [p for p in settings.cache_dir.rglob("*") if p.is_file()] == []  # nothing half written
    monkeypatch.setattr(images, "save_jpeg", real_save)
    r = client.get(f"/v1/videos/{video_id}/thumbnail", params={"width": 160})
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"]
    assert [p.name for p in settings.cache_dir.rglob("*.jpg")] == ["thumb-0-160.jpg"]
