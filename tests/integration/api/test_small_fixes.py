"""Small fixes of issue 25 (item 16): the global jump's position, SRT markup,
the event stream of a video with no runs and the cap on open streams, and
registration's shortcut for an unchanged file."""

from __future__ import annotations

import os
import re
import time

import srt
from eioku.api.routers.events import MAX_STREAMS
from eioku.store.uow import UnitOfWork

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video
from tests.integration.api.test_events import _events


def test_global_jump_refuses_from_ms_without_from_video(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "object.detection", [
        (1000, 1500, payload_for("object.detection", label="dog"))])
    r = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 5000})
    assert r.status_code == 422, r.text  # before: the position was silently dropped
    assert r.json()["field"] == "from_ms" and "from_video" in r.json()["detail"]
    both = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 0, "from_video": video})
    assert both.status_code == 200 and both.json()["jump_to"]["start_ms"] == 1000
    neither = client.get("/v1/jump/global", params={"kind": "object"})
    assert neither.status_code == 200


def test_srt_keeps_markup_in_the_words_as_text(client, media_root):
    said = "<i>not italic</i> {\\an8}at the top <font color=red>x</font> & more"
    video = _video(client, media_root)
    _external_run(client, video, "transcript.segment", [
        (0, 2000, payload_for("transcript.segment", text=said))])
    r = client.get(f"/v1/videos/{video}/subtitles.srt")
    assert r.status_code == 200
    body = r.text
    assert not re.search(r"<[/a-zA-Z]", body) and "{\\" not in body  # no tag a player reads
    [cue] = srt.parse(body)
    assert " ".join(cue.content.replace("\u200b", "").split("\n")) == said  # the words as said
    vtt = client.get(f"/v1/videos/{video}/subtitles.vtt").text
    assert "&lt;i&gt;not italic&lt;/i&gt;" in vtt  # WebVTT's own escapes, as before


def test_the_event_stream_of_a_video_with_no_runs_ends_at_once(client, media_root, session_factory):
    video = _video(client, media_root)
    started = time.monotonic()
    with client.stream("GET", f"/v1/videos/{video}/events", params={"timeout_s": 30}) as response:
        assert response.status_code == 200
        seen = list(_events(response.iter_lines()))
    assert seen == [("done", {"runs": 0})]
    assert time.monotonic() - started < 10  # before: it polled until timeout_s (30 s)
    with UnitOfWork(session_factory) as uow:  # a video being hashed gets its runs later: wait
        hashing, _ = uow.videos.add_registering(path=str(media_root / "big.mp4"), filename="big.mp4",
                                                size_bytes=10**9)
        uow.commit()
    started = time.monotonic()
    with client.stream("GET", f"/v1/videos/{hashing.video_id}/events",
                       params={"timeout_s": 1}) as response:
        assert list(_events(response.iter_lines())) == [("done", {"runs": 0})]
    assert time.monotonic() - started >= 1


def test_open_event_streams_are_capped(client, media_root):
    video = _video(client, media_root)
    state = client.app.state
    state.event_streams = MAX_STREAMS  # as if every slot were taken by an open stream
    for path in (f"/v1/videos/{video}/events", "/v1/events"):
        busy = client.get(path)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0, path
        assert "event streams" in busy.json()["detail"]
    state.event_streams = MAX_STREAMS - 1  # one free: taken, and given back when the stream ends
    for path in (f"/v1/videos/{video}/events", "/v1/events?timeout_s=0.2"):
        with client.stream("GET", path) as response:
            assert response.status_code == 200
            assert [e for e, _ in _events(response.iter_lines())][-1] == "done"
        assert state.event_streams == MAX_STREAMS - 1, path


def test_a_same_sized_older_file_under_a_registered_name_is_hashed(settings, session_factory,
                                                                  media_root):
    """A dashcam reuses names for files of one size, and its clock (or a copy
    that keeps times) makes them look older than the registration: the size and
    mtime shortcut took such a file for the registered video."""
    from eioku.api.app import create_app
    from fastapi.testclient import TestClient

    every_file_large = settings.model_copy(update={"hash_inline_max_bytes": 0})
    path = media_root / "FILE0001.MP4"
    with TestClient(create_app(every_file_large, session_factory), raise_server_exceptions=False,
                    base_url="http://127.0.0.1") as client:
        path.write_bytes(b"morning drive " * 100_000)
        first = client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
        assert client.get(f"/v1/videos/{first}").json()["status"] == "registered"
        unchanged = client.post("/v1/videos", json={"path": str(path)}).json()
        assert (unchanged["video_id"], unchanged["created"]) == (first, False)  # the shortcut
        path.write_bytes(b"evening drive " * 100_000)  # same name, same size
        os.utime(path, (time.time() - 86_400, time.time() - 86_400))  # the camera's clock: older
        other = client.post("/v1/videos", json={"path": str(path)}).json()
        assert other["video_id"] != first and other["created"] is True
        hashed = client.get(f"/v1/videos/{other['video_id']}").json()
        assert hashed["content_hash"] != client.get(f"/v1/videos/{first}").json()["content_hash"]
