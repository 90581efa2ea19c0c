"""Every file plays: what the probe decides for each file of the corpus, the
worker's playback jobs run for real (remuxes and proxies on the ``playback``
queue), the stream and playback routes, the settings, and what deleting a
video or a dead worker leaves behind."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import av
import pytest
from eioku.api.app import create_app
from eioku.config import Settings, get_settings
from eioku.media.playability import _moov_first, plan
from eioku.services import playback
from eioku.store.playback import PLAYBACK_QUEUE, PRIORITY_BACKGROUND, PRIORITY_WAITING
from eioku.store.uow import UnitOfWork
from eioku_ml.media.playback import encoders_for, prepare
from eioku_ml.worker.daemon import queues_for, run_pool
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.fixtures.corpus import ITEMS, SECONDS, TS_CLOCK_START_S
from tests.media import LOOPBACK

MAX_HEIGHT = 240
BY_NAME = {i.name: i for i in ITEMS}


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.name)
def test_each_file_gets_the_mode_it_needs(corpus, item):
    found = plan(corpus[item.name])
    assert found.mode == item.mode, found.reason
    assert len(found.tracks) == item.audio_tracks
    assert found.reason


def test_a_second_audio_track_is_a_file_of_its_own(corpus):
    mkv = corpus["h264-two-audio-subs.mkv"]
    first, second = plan(mkv, 0), plan(mkv, 1)
    assert (first.mode, first.video, first.audio) == ("remux", "copy", "copy")
    # AC-3 does not play in a browser: the picture is copied, the sound made AAC
    assert (second.mode, second.video, second.audio) == ("proxy", "copy", "encode")
    assert [t.language for t in second.tracks] == ["eng", "fra"]
    with pytest.raises(ValueError, match="no audio track 2"):
        plan(mkv, 2)


def test_a_file_that_is_not_media_is_unplayable(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    found = plan(junk)
    assert found.mode == "unplayable" and "cannot be played" in found.reason


def _streams(path: Path) -> dict:
    with av.open(str(path)) as c:
        video = c.streams.video[0] if c.streams.video else None
        out = {"start": (c.start_time or 0) / av.time_base, "duration": (c.duration or 0) / av.time_base,
               "audio": [s.codec_context.codec.canonical_name for s in c.streams.audio]}
        if video is not None:
            frame = next(c.decode(video))
            out.update(video=video.codec_context.codec.canonical_name, size=(frame.width, frame.height),
                       pix=frame.format.name, rotation=frame.rotation)
    return out


@pytest.fixture
def env(tmp_path, corpus, monkeypatch):
    """A data dir, the corpus as the media root, proxies at most MAX_HEIGHT tall;
    the worker processes read the same settings from the environment."""
    data = tmp_path / "data"
    monkeypatch.setenv("EIOKU_DATA_DIR", str(data))
    monkeypatch.setenv("EIOKU_PROXY_MAX_HEIGHT", str(MAX_HEIGHT))
    own = tmp_path / "media"
    own.mkdir()
    monkeypatch.setenv("EIOKU_MEDIA_ROOTS", f"{next(iter(corpus.values())).parent}:{own}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _client(settings: Settings, session_factory) -> TestClient:
    return TestClient(create_app(settings, session_factory), raise_server_exceptions=False,
                      base_url=LOOPBACK)


def _run_playback_jobs(db_url: str) -> None:
    assert run_pool(db_url, concurrency=1, queues=[PLAYBACK_QUEUE], wait=False, forward_signals=False) == 0


def test_the_worker_makes_every_remux_and_proxy(corpus, env, session_factory, db_url):
    with _client(env, session_factory) as client:
        ids = {name: client.post("/v1/videos", json={"path": str(path)}).json()["video_id"]
               for name, path in corpus.items()}
        before = {n: client.get(f"/v1/videos/{i}/playback").json() for n, i in ids.items()}
        for name, state in before.items():  # on-register: queued at registration, behind analysis
            assert state["mode"] == BY_NAME[name].mode
            assert state["state"] == ("ready" if state["mode"] == "original" else "preparing"), name
        with session_factory() as s:
            priorities = set(s.execute(text(
                "SELECT priority FROM procrastinate_jobs WHERE queue_name = 'playback'")).scalars())
        assert priorities == {PRIORITY_BACKGROUND}
        waiting = {q["queue"]: q for q in client.get("/v1/status").json()["queues"]}["playback"]
        assert waiting["waiting"] == 8 and waiting["oldest_waiting_s"] >= 0  # since it was asked for
        _run_playback_jobs(db_url)
        made = 0
        for name, video_id in ids.items():
            item, state = BY_NAME[name], client.get(f"/v1/videos/{video_id}/playback").json()
            assert state["state"] == "ready", (name, state)
            if item.mode == "original":
                assert state["size_bytes"] is None
                continue
            made += 1
            out = env.playback_dir / playback.file_name(uuid.UUID(video_id), 0, plan(corpus[name]).container)
            assert out.is_file() and state["size_bytes"] == out.stat().st_size
            assert plan(out).mode == "original", f"{name}: the prepared file must play as it is"
            facts = _streams(out)
            assert facts["start"] == pytest.approx(0, abs=0.05)  # counted from the original's origin
            assert facts["duration"] == pytest.approx(SECONDS, abs=0.1), name  # the live WebM too
            if item.mode == "proxy":
                assert facts["video"] == "h264" and facts["pix"] == "yuv420p", name
                assert facts["audio"] == ["aac"]
                assert state["encoder"] == "libx264"
                assert max(facts["size"][1], 0) <= MAX_HEIGHT
                assert facts["rotation"] == 0  # turned upright, not just tagged
                if item.rotation:
                    assert facts["size"] == (136, 240), name  # 320x180 turned: 180x320, fit in 240
            if plan(corpus[name]).container == "mp4":
                assert _moov_first(out), f"{name}: the index comes first"
        assert made == sum(1 for i in ITEMS if i.mode != "original")
        status = client.get("/v1/status").json()["playback"]
        on_disk = sum(p.stat().st_size for p in env.playback_dir.iterdir())
        assert status == {"files": made, "bytes": on_disk, "preparing": 0, "failed": 0}


def test_the_stream_route_serves_what_plays(corpus, env, session_factory, db_url):
    with _client(env, session_factory) as client:
        ts = client.post("/v1/videos", json={"path": str(corpus["mpeg2.ts"])}).json()["video_id"]
        mp4 = client.post("/v1/videos", json={"path": str(corpus["h264.mp4"])}).json()["video_id"]
        waiting = client.get(f"/v1/videos/{ts}/stream")  # the proxy is not there yet: the original
        assert waiting.status_code == 200 and waiting.headers["content-type"] == "video/mp2t"
        assert waiting.headers["x-eioku-playback"] == "original"
        _run_playback_jobs(db_url)
        original = client.get(f"/v1/videos/{ts}/stream", params={"original": "true"})
        assert original.content == corpus["mpeg2.ts"].read_bytes()
        ranged = client.get(f"/v1/videos/{ts}/stream", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100
        assert ranged.headers["content-type"] == "video/mp4"  # from the content: the proxy
        assert ranged.headers["x-eioku-playback"] == "proxy"
        assert ranged.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in ranged.headers["content-security-policy"]
        assert ranged.headers["content-disposition"].startswith('inline; filename="mpeg2.mp4"')
        as_is = client.get(f"/v1/videos/{mp4}/stream")
        assert as_is.content == corpus["h264.mp4"].read_bytes()
        # the proxy's clock starts where the recording's does: its first frame is the
        # original's first frame at 10 s
        proxy = env.playback_dir / playback.file_name(uuid.UUID(ts), 0, "mp4")
        assert _streams(proxy)["start"] == pytest.approx(0, abs=0.05)
        assert _streams(corpus["mpeg2.ts"])["start"] == pytest.approx(TS_CLOCK_START_S, abs=0.05)


def test_another_audio_track_is_prepared_when_asked(corpus, env, session_factory, db_url):
    with _client(env, session_factory) as client:
        mkv = str(corpus["h264-two-audio-subs.mkv"])
        vid = client.post("/v1/videos", json={"path": mkv}).json()["video_id"]
        state = client.get(f"/v1/videos/{vid}/playback", params={"audio": 1}).json()
        assert (state["mode"], state["state"], state["audio_track"]) == ("proxy", "not_started", 1)
        assert [t["language"] for t in state["tracks"]] == ["eng", "fra"]
        asked = client.post(f"/v1/videos/{vid}/playback", params={"audio": 1}).json()
        assert asked["state"] == "preparing"
        with session_factory() as s:
            jobs = dict(s.execute(text(
                "SELECT (args->>'audio_track')::int, priority FROM procrastinate_jobs "
                "WHERE queue_name = 'playback'")).tuples().all())
        assert jobs == {0: PRIORITY_BACKGROUND, 1: PRIORITY_WAITING}  # someone waits for track 1
        assert client.get(f"/v1/videos/{vid}/playback", params={"audio": 5}).status_code == 422
        _run_playback_jobs(db_url)
        second = client.get(f"/v1/videos/{vid}/stream", params={"audio": 1})
        assert second.status_code == 200
        out = env.playback_dir / playback.file_name(uuid.UUID(vid), 1, "mp4")
        assert _streams(out)["audio"] == ["aac"] and _streams(out)["video"] == "h264"
        first = env.playback_dir / playback.file_name(uuid.UUID(vid), 0, "mp4")
        assert second.content == out.read_bytes() != first.read_bytes()


def test_on_play_makes_nothing_until_the_player_asks(corpus, env, session_factory):
    settings = env.model_copy(update={"playback": "on-play"})
    with _client(settings, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(corpus["mjpeg-pcm.avi"])}).json()["video_id"]
        with session_factory() as s:
            assert s.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0
        state = client.get(f"/v1/videos/{vid}/playback").json()
        assert (state["mode"], state["state"]) == ("proxy", "not_started")
        assert client.post(f"/v1/videos/{vid}/playback").json()["state"] == "preparing"
        assert client.post(f"/v1/videos/{vid}/playback").json()["state"] == "preparing"
        with session_factory() as s:
            assert s.execute(text("SELECT priority FROM procrastinate_jobs")).scalars().all() == \
                [PRIORITY_WAITING]  # once, however often it is asked


def test_a_job_that_ended_unfinished_is_failed_and_asked_again(corpus, env, session_factory):
    with _client(env, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(corpus["mpeg4-part2.mov"])}).json()["video_id"]
        with session_factory() as s:  # its worker died on every attempt
            s.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))
            s.execute(text("UPDATE playback_files SET state = 'running'"))
            s.commit()
        state = client.get(f"/v1/videos/{vid}/playback").json()
        assert state["state"] == "failed" and "stopped before it was done" in state["error"]
        assert client.get("/v1/status").json()["playback"]["failed"] == 1
        assert client.post(f"/v1/videos/{vid}/playback").json()["state"] == "preparing"
        with session_factory() as s:
            todo = s.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")).scalar()
        assert todo == 1


def test_deleting_a_video_deletes_its_playable_copies(corpus, env, session_factory, db_url):
    with _client(env, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(corpus["index-at-end.mp4"])}).json()["video_id"]
        _run_playback_jobs(db_url)
        made = list(env.playback_dir.glob(f"{vid}.*"))
        assert len(made) == 1
        assert client.delete(f"/v1/videos/{vid}").status_code == 204
        assert not made[0].exists()
        assert client.get("/v1/status").json()["playback"]["files"] == 0


def test_a_proxy_for_a_deleted_video_is_not_kept(corpus, env, session_factory, db_url):
    from eioku_ml.worker.playback import execute_playback

    with _client(env, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(corpus["mjpeg-pcm.avi"])}).json()["video_id"]
        with session_factory() as s:  # the video goes while its proxy is made
            s.execute(text("DELETE FROM playback_files"))
            s.commit()
        assert execute_playback(session_factory, uuid.UUID(vid), 0, settings=env) == "gone"
        assert not env.playback_dir.exists() or not any(env.playback_dir.iterdir())


def test_a_failed_proxy_says_why(corpus, env, session_factory, tmp_path):
    from eioku_ml.worker.playback import execute_playback

    broken = tmp_path / "media" / "broken-copy.avi"
    shutil.copy(corpus["mjpeg-pcm.avi"], broken)
    with _client(env, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(broken)}).json()["video_id"]
        broken.write_bytes(b"gone bad" * 1000)  # replaced by junk after registration
        assert execute_playback(session_factory, uuid.UUID(vid), 0, settings=env) == "failed"
        with session_factory() as s:
            error = s.execute(text("SELECT error FROM playback_files")).scalar_one()
        assert error.startswith("this file cannot be played: FFmpeg cannot read it")
        state = client.get(f"/v1/videos/{vid}/playback").json()
        assert (state["mode"], state["state"]) == ("unplayable", "unplayable")
        assert client.get(f"/v1/videos/{vid}/stream").status_code == 415  # never served as media


def test_proxy_progress_rises_to_the_end(corpus, tmp_path):
    seen: list[float] = []
    src = corpus["mpeg2.ts"]
    prepare(src, tmp_path / "p.mp4", plan(src), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_gpu_workers_try_nvenc_then_fall_back_to_libx264(corpus, tmp_path, caplog):
    assert encoders_for("cpu") == ["libx264"]
    assert encoders_for("cuda") == ["h264_nvenc", "libx264"]
    src = corpus["hevc8-rotated.mp4"]
    made = prepare(src, tmp_path / "gpu.mp4", plan(src), device="cuda")
    # this machine has no NVIDIA GPU: NVENC cannot open, libx264 does the work
    assert made.encoder == "libx264"
    assert any("h264_nvenc cannot encode here" in r.getMessage() for r in caplog.records)
    assert _streams(tmp_path / "gpu.mp4")["video"] == "h264"


def test_workers_listen_on_the_playback_queue_by_default():
    assert queues_for(None, None) is None  # every queue
    assert PLAYBACK_QUEUE in queues_for(["objects"], None)  # an analyzer-specialised worker too
    assert queues_for(None, ["analysis.objects"]) == ["analysis.objects"]  # named queues are exact


def test_settings_refuse_an_unknown_playback_mode():
    with pytest.raises(ValueError):
        Settings(playback="sometimes")
    assert Settings().playback == "on-register" and Settings().proxy_max_height == 1080


def test_registration_does_not_wait_for_the_worker(corpus, env, session_factory):
    """Analysis never waits for playback: its runs are queued on their own queues
    at once, and read the original (the run's input hash is the original's)."""
    with _client(env, session_factory) as client:
        body = client.post("/v1/videos", json={"path": str(corpus["hevc8-rotated.mp4"]), "analyze": True,
                                               "analyzers": ["metadata"]}).json()
        assert body["run_ids"]
        with UnitOfWork(session_factory) as uow:
            queues = set(uow.session.execute(text("SELECT queue_name FROM procrastinate_jobs")).scalars())
            video = uow.videos.get(uuid.UUID(body["video_id"]))
        assert queues == {"analysis.metadata", PLAYBACK_QUEUE}
        assert video.path == str(corpus["hevc8-rotated.mp4"])


def test_uploads_and_large_files_are_prepared_at_registration_too(corpus, env, session_factory):
    """Every way a file becomes a video queues its copy (on-register): an upload, and a
    file hashed after the response (larger than EIOKU_HASH_INLINE_MAX_BYTES)."""
    settings = env.model_copy(update={"hash_inline_max_bytes": 0})
    with _client(settings, session_factory) as client:
        avi = corpus["mjpeg-pcm.avi"]
        with avi.open("rb") as fh:
            uploaded = client.post("/v1/videos/upload", files={"file": ("camera.avi", fh)})
        assert uploaded.status_code == 202, uploaded.text
        registering = client.post("/v1/videos", json={"path": str(corpus["mpeg2.ts"])}).json()
        assert registering["status"] == "registering"  # hashed in the background, then queued
        for video_id in (uploaded.json()["video_id"], registering["video_id"]):
            state = client.get(f"/v1/videos/{video_id}/playback").json()
            assert (state["mode"], state["state"]) == ("proxy", "preparing"), state


def test_eioku_status_shows_the_copies_and_their_size(corpus, env, session_factory, db_url, monkeypatch):
    from eioku.cli import app as cli_app
    from typer.testing import CliRunner

    with _client(env, session_factory) as client:
        client.post("/v1/videos", json={"path": str(corpus["index-at-end.mp4"])})
        client.post("/v1/videos", json={"path": str(corpus["mpeg4-part2.mov"])})
    _run_playback_jobs(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli_app, ["status"])
    assert result.exit_code == 0, result.output
    size = sum(p.stat().st_size for p in env.playback_dir.iterdir())
    assert f"playback copies (remux, proxy): 2 ready, {size / 1024:.1f} KiB" in result.output


def test_a_half_made_copy_of_a_dead_worker_is_cleared_by_the_next_attempt(corpus, env, session_factory):
    from eioku_ml.worker.playback import execute_playback

    with _client(env, session_factory) as client:
        vid = client.post("/v1/videos", json={"path": str(corpus["mpeg4-part2.mov"])}).json()["video_id"]
    env.playback_dir.mkdir(parents=True)
    left = env.playback_dir / f"{playback.file_name(uuid.UUID(vid), 0, 'mp4')}.part-99999"
    left.write_bytes(b"half a file")  # a worker SIGKILLed while writing it
    assert execute_playback(session_factory, uuid.UUID(vid), 0, settings=env) == "ready"
    assert [p.name for p in env.playback_dir.iterdir()] == [playback.file_name(uuid.UUID(vid), 0, "mp4")]


def test_a_proxy_keeps_every_frame_on_the_clock_from_zero(corpus, tmp_path):
    """The frames a decoder holds back until the end (B-frames) are moved to the
    copy's clock like the others: none lands past the end (an MPEG-TS starting at 10 s)."""
    src = corpus["mpeg2.ts"]
    prepare(src, tmp_path / "ts.mp4", plan(src))
    with av.open(str(tmp_path / "ts.mp4")) as made:
        times = [f.time for f in made.decode(video=0)]
    with av.open(str(src)) as original:
        count = sum(1 for _ in original.decode(video=0))
    assert len(times) == count
    assert times == sorted(times) and times[0] == pytest.approx(0, abs=0.05)
    assert times[-1] < SECONDS


def test_analysis_reads_the_original_not_the_playable_copy(corpus, env, session_factory, db_url):
    """With the proxy made first, the analysis still reads the HEVC original:
    its codec, bit depth's size and clock, not the H.264 copy's."""
    source = corpus["hevc10-rotated.mov"]
    with _client(env, session_factory) as client:
        video_id = client.post("/v1/videos", json={"path": str(source)}).json()["video_id"]
        _run_playback_jobs(db_url)
        assert client.get(f"/v1/videos/{video_id}/playback").json()["state"] == "ready"
        queued = client.post(f"/v1/videos/{video_id}/analyze", json={"analyzers": ["metadata"]})
        assert queued.status_code == 202, queued.text
        assert run_pool(db_url, concurrency=1, queues=["analysis.metadata"], wait=False,
                        forward_signals=False) == 0
        (meta,) = client.get(f"/v1/videos/{video_id}/artifacts",
                             params={"type": "video.metadata"}).json()["artifacts"]
    original = _streams(source)
    assert meta["payload"]["video_codec"] == original["video"] == "hevc"
    assert (meta["payload"]["width"], meta["payload"]["height"]) in (
        original["size"], original["size"][::-1])  # as stored or turned upright
    assert meta["payload"]["video_codec"] != _streams(
        next(env.playback_dir.iterdir()))["video"]  # the copy is H.264
