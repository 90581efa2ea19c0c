"""People over HTTP: list, rename, merge, unmerge; and the optional API token."""

from __future__ import annotations

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient

from tests.factories import add_video, payload_for, store_run
from tests.media import LOOPBACK


@pytest.fixture
def people(session_factory):
    with UnitOfWork(session_factory) as uow:
        ids = [next(iter(uow.faces.assign("m", {"c": [[float(i * 10), 0.0]]}, 0.5).values()))
               for i in range(2)]
        video = add_video(uow)
        store_run(uow, video.video_id, "face.detection", [(0, 500), (4000, 4500)],
                  payloads=[payload_for("face.detection", cluster_id=ids[0]),
                            payload_for("face.detection", cluster_id=ids[1])])
        uow.commit()
    return str(video.video_id), ids


def test_rename_merge_unmerge_over_http(client, people):
    video, (a, b) = people
    listed = client.get("/v1/people").json()["people"]
    assert sorted(p["cluster_id"] for p in listed) == sorted([a, b])
    assert client.get("/v1/faces").json() == client.get("/v1/people").json()
    r = client.patch(f"/v1/people/{a}", json={"name": "Alice"})
    assert r.status_code == 200 and r.json()["name"] == "Alice"
    assert client.patch(f"/v1/people/{b}", json={"name": "alice"}).status_code == 409
    assert client.patch(f"/v1/people/{b}", json={"name": "x" * 101}).status_code == 422
    assert client.patch(f"/v1/people/{b}", json={"nom": "x"}).status_code == 422
    assert client.get("/v1/people/Alice").json()["cluster_id"] == a
    jump = client.get(f"/v1/videos/{video}/jump", params={"kind": "face", "label": "alice"}).json()
    assert jump["labels"] == [a] and jump["jump_to"]["start_ms"] == 0
    glob = client.get("/v1/jump/global", params={"kind": "face", "label": "Alice"}).json()
    assert glob["video_id"] == video
    merged = client.post(f"/v1/people/{b}/merge", json={"into": "Alice"})
    assert merged.status_code == 200 and merged.json()["into"] == a
    assert [p["cluster_id"] for p in client.get("/v1/people").json()["people"]] == [a]
    assert client.get(f"/v1/people/{a}").json()["merged"] == [b]
    walk = client.get(f"/v1/videos/{video}/jump", params={"kind": "face", "label": "Alice",
                                                          "from_ms": 0}).json()
    assert walk["jump_to"]["start_ms"] == 4000  # b's face is Alice's now
    assert client.post(f"/v1/people/{b}/merge", json={"into": a}).status_code == 409
    assert client.post(f"/v1/people/{a}/merge", json={"into": a}).status_code == 422
    assert client.post(f"/v1/people/{b}/unmerge").status_code == 200
    assert client.post(f"/v1/people/{b}/unmerge").status_code == 409
    assert sorted(p["cluster_id"] for p in client.get("/v1/people").json()["people"]) == sorted([a, b])
    assert client.get("/v1/people/nobody").status_code == 404
    assert client.post("/v1/people/nobody/merge", json={"into": a}).status_code == 404
    face = client.get(f"/v1/people/{a}/face.jpg")
    assert face.status_code == 403  # the test video's path lies outside the media roots
    assert "outside the media roots" in face.json()["detail"]


def test_api_token_guards_the_api_but_not_the_page(tmp_path, session_factory):
    settings = Settings(data_dir=tmp_path, database_url=None, api_token="s3cret-token")
    with TestClient(create_app(settings, session_factory), raise_server_exceptions=False,
                    base_url=LOOPBACK) as c:
        assert c.get("/v1/videos").status_code == 401
        assert c.get("/v1/videos").headers["www-authenticate"] == "Bearer"
        assert c.get("/v1/videos", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/videos", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        c.cookies.set("eioku_token", "s3cret-token")  # the old script-readable copy: no more
        assert c.get("/v1/people").status_code == 401
        c.cookies.clear()
        assert c.post("/v1/session", json={"token": "s3cret-token"}).status_code == 204
        assert c.get("/v1/people").status_code == 200
        c.cookies.clear()
        assert c.get("/v1/events", params={"timeout_s": 1}).status_code == 401
        assert c.get("/healthz").status_code == 200
        page = c.get("/videos/00000000-0000-0000-0000-000000000000")
        assert page.status_code == 200 and "<main" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert c.get("/ui/main.js").status_code == 200
        assert c.get("/ui/../../config.py").status_code == 404
