"""Registration by path answers at once for a large file: it is `registering`
until hashed after the response; the same path registered concurrently is one
video, the same content under another path resolves to the existing video,
analysis asked for meanwhile is queued when the hash is known, and a file that
vanishes ends `unreadable` with the reason. (Every file counts as large here:
EIOKU_HASH_INLINE_MAX_BYTES=0.)"""

from __future__ import annotations

import threading

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.services import ingest
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.media import LOOPBACK, SAMPLE


@pytest.fixture
def settings(tmp_path, media_root):
    return Settings(data_dir=tmp_path / "data", media_roots=[media_root], database_url=None,
                    hash_inline_max_bytes=0)


@pytest.fixture
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory), raise_server_exceptions=False,
                    base_url=LOOPBACK) as c:
        yield c


def test_a_large_file_answers_before_it_is_hashed(client, media_root, session_factory):
    big = media_root / "big.mp4"
    with big.open("wb") as fh:  # 256 MiB, sparse: hashing it takes a while, writing it does not
        fh.truncate(256 * 1024**2)
    r = client.post("/v1/videos", json={"path": str(big), "analyze": True, "analyzers": ["metadata"]})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "registering" and r.json()["run_ids"] == []  # answered unhashed
    video = client.get(f"/v1/videos/{r.json()['video_id']}").json()
    assert video["status"] == "registered"  # the background task ran after the response
    assert video["content_hash"].startswith("sha256:") and video["size_bytes"] == 256 * 1024**2
    with UnitOfWork(session_factory) as uow:  # the analysis asked for is queued now
        runs = uow.session.execute(text("SELECT analyzer, status FROM runs")).all()
    assert [tuple(r) for r in runs] == [("metadata", "queued")]


def test_the_same_content_under_another_path_resolves_to_the_existing_video(client, media_root):
    (media_root / "a.mp4").write_bytes(SAMPLE.read_bytes())
    (media_root / "b.mp4").write_bytes(SAMPLE.read_bytes())
    first = client.post("/v1/videos", json={"path": str(media_root / "a.mp4")}).json()["video_id"]
    second = client.post("/v1/videos", json={"path": str(media_root / "b.mp4")}).json()
    assert second["video_id"] != first and second["status"] == "registering"
    assert client.get(f"/v1/videos/{second['video_id']}").json()["video_id"] == first  # an alias
    assert client.get("/v1/videos").json()["total"] == 1
    again = client.post("/v1/videos", json={"path": str(media_root / "a.mp4")}).json()
    assert again == {**again, "video_id": first, "created": False}  # unchanged file: no new hash
    assert client.delete(f"/v1/videos/{second['video_id']}").status_code == 204  # the alias deletes it
    assert client.get(f"/v1/videos/{first}").status_code == 404


def test_one_path_registered_concurrently_is_one_video(settings, session_factory, media_root):
    path = media_root / "same.mp4"
    path.write_bytes(SAMPLE.read_bytes())
    answers: list[str] = []
    barrier = threading.Barrier(4)

    def register() -> None:
        with UnitOfWork(session_factory) as uow:
            barrier.wait()
            video, _ = ingest.begin_registration(uow, path, settings)
            uow.commit()
            answers.append(str(video.video_id))

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 4 and len(set(answers)) == 1
    ingest.resume_registrations(session_factory, settings)
    with UnitOfWork(session_factory) as uow:
        rows = uow.session.execute(text("SELECT status FROM videos")).scalars().all()
    assert rows == ["registered"]


def test_a_file_gone_before_it_is_hashed_is_unreadable_with_the_reason(settings, session_factory,
                                                                       media_root, client):
    path = media_root / "gone.mp4"
    path.write_bytes(b"not for long")
    with UnitOfWork(session_factory) as uow:
        video, _ = ingest.begin_registration(uow, path, settings)
        uow.commit()
    path.unlink()
    ingest.finish_registration(session_factory, video.video_id, settings)
    out = client.get(f"/v1/videos/{video.video_id}").json()
    assert out["status"] == "unreadable" and "gone.mp4" in out["error"]
    r = client.post(f"/v1/videos/{video.video_id}/analyze", json={})
    assert r.status_code == 422 and "gone.mp4" in r.json()["detail"]
