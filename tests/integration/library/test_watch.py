"""Watching while the server runs: real files copied, renamed, moved, deleted
and changed under a watched folder, through the API app's own watcher, and
two watchers (two servers) on one database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from eioku.api.app import create_app
from eioku.services.watcher import LibraryWatcher
from eioku.store.libraries import LibraryRepository
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.integration.library.conftest import SRT, make_media, move, settled
from tests.media import LOOPBACK, tiny_mp4


def wait_until(predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def q(factory, sql: str, **params):
    with factory() as session:
        return session.execute(text(sql), params).all()


def n(factory, sql: str, **params) -> int:
    return q(factory, sql, **params)[0][0]


def write_slowly(path: Path, data: bytes, pieces: int = 8, pause_s: float = 0.15) -> threading.Thread:
    """A copy in progress: the file grows for pieces × pause_s seconds."""
    def copy() -> None:
        step = len(data) // pieces + 1
        with path.open("wb") as fh:
            for i in range(0, len(data), step):
                fh.write(data[i:i + step])
                fh.flush()
                time.sleep(pause_s)

    thread = threading.Thread(target=copy)
    thread.start()
    return thread


def test_watched_folder_follows_every_change(session_factory, settings, folder, tmp_path):
    a, b, c, d = make_media(folder, ["a.mp4", "b.mp4", "c.mp4", "d.mp4"])
    app = create_app(settings, session_factory)
    with TestClient(app, base_url=LOOPBACK) as client:
        made = client.post("/v1/libraries", json={"path": str(folder), "name": "Films"})
        assert made.status_code == 201, made.text
        library_id = made.json()["library_id"]
        wait_until(lambda: client.get(f"/v1/libraries/{library_id}").json()["scan"]["state"] == "idle",
                   what="first scan")
        body = client.get(f"/v1/libraries/{library_id}").json()
        assert (body["scan"]["found"], body["scan"]["hashed"], body["scan"]["queued"]) == (4, 4, 4)
        assert body["counts"] == {"files": 4, "videos": 4, "analysed": 0, "queued": 4, "failed": 0,
                                  "missing": 0}
        assert body["watched_by"] is not None
        ids = {r.filename: r.video_id for r in q(session_factory, "SELECT filename, video_id FROM videos")}

        source = tmp_path / "source.mp4"
        tiny_mp4(source, seed=77)
        data = source.read_bytes()
        copying = write_slowly(folder / "copied in.mp4", data)   # a copy in progress
        tiny_mp4(folder / "new.mp4", seed=55)                   # a new file
        move(a, folder / "a renamed.mp4")                        # rename
        move(b, folder / "sub" / "b.mp4")                         # move into a subfolder
        c.unlink()                                               # delete
        tiny_mp4(d, seed=42)                                     # change its content
        (folder / "a renamed.srt").write_bytes(SRT)              # subtitles beside one
        copying.join()

        def settled_state() -> bool:
            names = {r.filename for r in q(session_factory,
                                           "SELECT filename FROM videos WHERE missing_since IS NULL")}
            return {"copied in.mp4", "new.mp4", "a renamed.mp4", "b.mp4", "d.mp4"} <= names and n(
                session_factory, "SELECT count(*) FROM runs WHERE producer = 'sidecar'") == 1 and n(
                session_factory, "SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 2

        wait_until(settled_state, what="every change picked up")
        videos = q(session_factory, "SELECT video_id, filename, path, size_bytes, missing_since FROM videos")
        by_name: dict[str, list] = {}
        for v in videos:
            by_name.setdefault(v.filename, []).append(v)
        assert len(videos) == 4 + 2 + 1                          # 4, two new files, d's new content
        assert [v.size_bytes for v in by_name["copied in.mp4"]] == [len(data)]  # never half a copy
        assert by_name["a renamed.mp4"][0].video_id == ids["a.mp4"]
        assert by_name["b.mp4"][0].video_id == ids["b.mp4"]
        assert by_name["b.mp4"][0].path == str(folder / "sub" / "b.mp4")
        assert by_name["c.mp4"][0].missing_since is not None
        assert {v.video_id for v in by_name["d.mp4"] if v.missing_since is not None} == {ids["d.mp4"]}
        # the renamed and moved videos kept their one run each; nothing was queued twice
        assert n(session_factory, "SELECT count(*) FROM runs WHERE asset_id = ANY(:v) "
                 "AND producer <> 'sidecar'", v=[ids["a.mp4"], ids["b.mp4"]]) == 2
        assert n(session_factory, "SELECT count(*) FROM (SELECT asset_id FROM runs "
                 "WHERE producer <> 'sidecar' GROUP BY asset_id HAVING count(*) > 1) t") == 0
        # the subtitles are searchable at once, in the library's search
        hits = client.get("/v1/search", params={"q": "invoice", "mode": "keyword"}).json()
        assert any(h["video_id"] == str(ids["a.mp4"]) for h in hits["hits"]), hits
        counts = client.get(f"/v1/libraries/{library_id}").json()["counts"]
        assert counts["missing"] == 2 and counts["files"] == 5
        status = client.get("/v1/status").json()
        assert status["libraries"][0]["counts"]["missing"] == 2

        # purge on request: the missing videos and their analysis go
        purged = client.post(f"/v1/libraries/{library_id}/purge")
        assert purged.json() == {"deleted": 2}
        assert n(session_factory, "SELECT count(*) FROM videos") == 5


def test_paused_library_waits_and_resuming_catches_up(session_factory, settings, folder):
    make_media(folder, ["a.mp4"])
    with TestClient(create_app(settings, session_factory), base_url=LOOPBACK) as client:
        library_id = client.post("/v1/libraries", json={"path": str(folder)}).json()["library_id"]
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 1, what="first scan")
        paused = client.patch(f"/v1/libraries/{library_id}", json={"paused": True}).json()
        assert paused["paused"] is True
        wait_until(lambda: client.get(f"/v1/libraries/{library_id}").json()["watched_by"] is None,
                   what="lease released")
        make_media(folder, ["b.mp4"], seed=5)
        time.sleep(2 * settings.library_settle_s + 0.5)
        assert n(session_factory, "SELECT count(*) FROM videos") == 1
        client.patch(f"/v1/libraries/{library_id}", json={"paused": False})
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 2, what="resumed")


def test_watching_off_changes_arrive_with_a_rescan(session_factory, settings, folder):
    a, b = make_media(folder, ["a.mp4", "b.mp4"])
    with TestClient(create_app(settings, session_factory), base_url=LOOPBACK) as client:
        library_id = client.post("/v1/libraries", json={"path": str(folder), "watch": False}
                                 ).json()["library_id"]
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 2, what="first scan")
        ids = {r.filename: r.video_id for r in q(session_factory, "SELECT filename, video_id FROM videos")}
        move(a, folder / "sub" / "a moved.mp4")
        b.unlink()
        make_media(folder, ["c.mp4"], seed=8)
        (folder / "sub" / "a moved.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:00.300\nhello there\n")
        settled(folder / "sub" / "a moved.vtt")
        time.sleep(2 * settings.library_settle_s + 0.5)
        assert n(session_factory, "SELECT count(*) FROM videos WHERE missing_since IS NULL") == 2
        assert client.post(f"/v1/libraries/{library_id}/rescan").status_code == 202
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos WHERE filename = 'c.mp4'") == 1
                   and not client.get(f"/v1/libraries/{library_id}").json()["scan"]["rescan_requested"],
                   what="rescan")
        rows = {r.filename: r for r in q(session_factory, "SELECT * FROM videos")}
        assert rows["a moved.mp4"].video_id == ids["a.mp4"]
        assert rows["b.mp4"].missing_since is not None
        assert n(session_factory, "SELECT count(*) FROM runs WHERE producer = 'sidecar' AND "
                 "asset_id = :v", v=ids["a.mp4"]) == 1
        assert n(session_factory, "SELECT count(*) FROM videos") == 3


def test_two_servers_watching_one_library_ingest_each_file_once(session_factory, settings, folder):
    with UnitOfWork(session_factory) as uow:
        from eioku.services.libraries import add_library

        library = add_library(uow, str(folder), settings)
        uow.commit()
    make_media(folder, [f"v{i}.mp4" for i in range(6)])
    one = LibraryWatcher(session_factory, settings, holder="server-one").start()
    two = LibraryWatcher(session_factory, settings, holder="server-two").start()
    try:
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 6, what="first scan")
        for i in range(6, 10):
            tiny_mp4(folder / f"v{i}.mp4", seed=i)
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 10, what="new files")
        time.sleep(1)
        assert n(session_factory, "SELECT count(*) FROM videos") == 10
        assert n(session_factory, "SELECT count(*) FROM runs") == 10   # one metadata run per file
        assert len(one.held()) + len(two.held()) == 1                  # one watcher for the library
        holder, survivor = (one, two) if one.held() else (two, one)
        holder.stop()                                                  # that server goes away
        wait_until(lambda: survivor.held() == [library.library_id], timeout=15, what="take-over")
        tiny_mp4(folder / "after.mp4", seed=99)
        wait_until(lambda: n(session_factory, "SELECT count(*) FROM videos") == 11, what="after take-over")
        with UnitOfWork(session_factory) as uow:
            assert LibraryRepository(uow.session).lease_holder(library.library_id) == survivor.holder
    finally:
        one.stop()
        two.stop()


def test_a_stopping_server_leaves_a_long_scan_for_the_next_one(session_factory, settings, folder):
    with UnitOfWork(session_factory) as uow:
        from eioku.services.libraries import add_library

        library = add_library(uow, str(folder), settings)
        uow.commit()
    for i in range(600):  # not media to a decoder, but a scan only reads names and bytes
        (folder / f"f{i:03d}.mp4").write_bytes(i.to_bytes(4, "little") * 256)
    settled(*folder.iterdir())
    first = LibraryWatcher(session_factory, settings, holder="stopping").start()
    wait_until(lambda: n(session_factory, "SELECT scan_hashed FROM libraries") > 20, what="scan under way")
    started = time.monotonic()
    first.stop()
    assert time.monotonic() - started < 4.0
    state, error = q(session_factory, "SELECT scan_state, scan_error FROM libraries")[0]
    assert state == "failed" and "stopped" in error
    assert n(session_factory, "SELECT count(*) FROM library_leases") == 0   # released, not left to expire
    done = n(session_factory, "SELECT count(*) FROM videos")
    assert 0 < done < 600
    second = LibraryWatcher(session_factory, settings, holder="next").start()
    try:
        wait_until(lambda: q(session_factory, "SELECT scan_state FROM libraries")[0][0] == "idle"
                   and n(session_factory, "SELECT count(*) FROM videos") == 600, timeout=60,
                   what="the next server's scan")
        assert n(session_factory, "SELECT count(*) FROM runs") == 600      # each file queued once
    finally:
        second.stop()
    assert library.library_id
