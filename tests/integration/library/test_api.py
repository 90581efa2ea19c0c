"""/v1/libraries: what it refuses, what it answers, and a missing video's media."""

from __future__ import annotations

import os
import time

import pytest
from eioku.api.app import create_app
from fastapi.testclient import TestClient

from tests.integration.library.conftest import make_media
from tests.integration.library.test_watch import n, wait_until
from tests.media import LOOPBACK


@pytest.fixture
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory), base_url=LOOPBACK) as c:
        yield c


def test_what_a_new_library_must_be(client, folder, media_root, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert client.post("/v1/libraries", json={"path": str(outside)}).status_code == 403
    assert client.post("/v1/libraries", json={"path": "films"}).status_code == 400
    # "~name" of no user here (schemathesis found a 500 there), a symlink loop
    assert client.post("/v1/libraries", json={"path": "~0"}).status_code == 400
    os.symlink(folder / "loop", folder / "loop")
    assert client.post("/v1/libraries", json={"path": str(folder / "loop")}).status_code == 400
    (folder / "file.mp4").write_bytes(b"x")
    assert client.post("/v1/libraries", json={"path": str(folder / "file.mp4")}).status_code == 400
    assert client.post("/v1/libraries", json={"path": str(folder), "bogus": 1}).status_code == 422
    assert client.post("/v1/libraries", json={"path": str(folder),
                                              "analyzers": ["nope"]}).status_code == 422
    made = client.post("/v1/libraries", json={"path": str(folder), "exclude": ["*.tmp"]})
    assert made.status_code == 201 and made.json()["name"] == "films"
    (media_root / "films" / "inner").mkdir()
    for path in (folder, folder / "inner", media_root):           # the same, inside, around it
        clash = client.post("/v1/libraries", json={"path": str(path)})
        assert clash.status_code == 409, path
    other = media_root / "other"
    other.mkdir()
    assert client.post("/v1/libraries", json={"path": str(other), "name": "films"}).status_code == 409
    assert client.get(f"/v1/libraries/{made.json()['library_id']}").json()["exclude"] == ["*.tmp"]
    assert client.get("/v1/libraries/00000000-0000-0000-0000-000000000000").status_code == 404
    assert [x["name"] for x in client.get("/v1/libraries").json()["libraries"]] == ["films"]


def test_excluding_a_folder_later_and_removing_the_library(client, session_factory, folder):
    make_media(folder, ["a.mp4", "raw/b.mp4", "raw/c.mp4"])
    library_id = client.post("/v1/libraries", json={"path": str(folder)}).json()["library_id"]
    wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 3, what="first scan")
    changed = client.patch(f"/v1/libraries/{library_id}", json={"exclude": ["raw"]})
    assert changed.status_code == 200 and changed.json()["exclude"] == ["raw"]
    wait_until(lambda: client.get(f"/v1/libraries/{library_id}").json()["counts"]["files"] == 1,
               what="rescan after the exclude list changed")
    missing = client.get("/v1/videos").json()["videos"]
    raw = [v for v in missing if v["filename"] in ("b.mp4", "c.mp4")]
    assert all(v["missing_since"] for v in raw) and len(raw) == 2
    # a missing video keeps its page but has no file to show
    assert client.get(f"/v1/videos/{raw[0]['video_id']}").json()["missing_since"]
    thumb = client.get(f"/v1/videos/{raw[0]['video_id']}/thumbnail", params={"t_ms": 0})
    assert thumb.status_code == 404 and "missing" in thumb.json()["detail"]
    assert client.delete(f"/v1/libraries/{library_id}", params={"delete_videos": True}).status_code == 204
    assert client.get("/v1/libraries").json() == {"libraries": []}
    time.sleep(0.2)
    assert n(session_factory, "SELECT count(*) FROM videos WHERE missing_since IS NULL") == 0
    assert (folder / "a.mp4").exists()                               # files are never touched
