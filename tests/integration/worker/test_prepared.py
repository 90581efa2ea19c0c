"""Work done ahead for a waiting run (worker/prepared.py): speakers waits for
the transcript, while its speech regions and voice embeddings need none of
it. Queued together, a prepare job is deferred at once; it computes them on
a real file while the run waits, the run's job then only merges them with
the transcript's words — and finds the same turns as a run that computed
everything itself. A damaged or missing prepared file, or a run no longer
waiting, changes nothing but the time."""

from __future__ import annotations

import json

import pytest
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker import prepared
from eioku_ml.worker.execute import AnalyzerCache, execute_prepare, execute_run
from sqlalchemy import text

from tests.media import copy_with_suffix
from tests.speakers_eval import conversation
from tests.speech_media import talking_video

pytestmark = pytest.mark.models


@pytest.fixture(autouse=True)
def _settings(monkeypatch, tmp_path):
    monkeypatch.setenv("EIOKU_CHUNK_S", "0")
    monkeypatch.setenv("EIOKU_SPECULATE", "on")
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    return talking_video(tmp_path_factory.mktemp("prepared") / "two.mp4", conversation(5).audio)


def _queue(session_factory, path):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast",
                                                                ["transcript", "speakers"])}
        uow.commit()
    return video, runs


def _prepare_jobs(session_factory, run_id):
    with UnitOfWork(session_factory) as uow:
        return uow.session.execute(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'eioku.prepare_run' "
            "AND args ->> 'run_id' = :r"), {"r": str(run_id)}).scalar_one()


def _finish(session_factory, video, runs, cache):
    assert execute_run(session_factory, runs["transcript"].run_id, cache).status == "completed"
    assert execute_run(session_factory, runs["speakers"].run_id, cache).status == "completed"
    with UnitOfWork(session_factory) as uow:
        turns = [(t.span_start_ms, t.span_end_ms, t.payload["speaker"])
                 for t in uow.artifacts.get_by_asset(video.video_id, "speaker.turn")]
        timings = uow.runs.get(runs["speakers"].run_id).timings
    return turns, timings


def test_speakers_prepared_ahead_find_the_same_turns(session_factory, talk, tmp_path):
    cache = AnalyzerCache()
    video, runs = _queue(session_factory, talk)
    assert _prepare_jobs(session_factory, runs["speakers"].run_id) == 1  # deferred at once
    assert execute_prepare(session_factory, runs["speakers"].run_id, cache) == "prepared"
    assert (prepared.folder() / f"{runs['speakers'].run_id}.json").is_file()
    ahead, timings = _finish(session_factory, video, runs, cache)
    assert timings["prepared_cpu_s"] > 0 and timings["cpu_s"] >= timings["prepared_cpu_s"]
    assert not list(prepared.folder().glob(f"{runs['speakers'].run_id}.*"))  # taken

    # the same conversation in another file, analysed with nothing prepared
    other, other_runs = _queue(session_factory, copy_with_suffix(talk, tmp_path / "b.mp4", b"b"))
    itself, timings = _finish(session_factory, other, other_runs, cache)
    assert "prepared_cpu_s" not in timings
    assert len({s for *_, s in itself}) == 2
    assert ahead == itself


def test_a_damaged_prepared_file_is_ignored(session_factory, talk, tmp_path):
    cache = AnalyzerCache()
    video, runs = _queue(session_factory, copy_with_suffix(talk, tmp_path / "c.mp4", b"c"))
    run_id = runs["speakers"].run_id
    assert execute_prepare(session_factory, run_id, cache) == "prepared"
    (prepared.folder() / f"{run_id}.json").write_text(json.dumps({"partial": "not a partial"}))
    turns, timings = _finish(session_factory, video, runs, cache)
    assert "prepared_cpu_s" not in timings and len({s for *_, s in turns}) == 2


def test_nothing_is_prepared_for_a_run_that_no_longer_waits(session_factory, talk, tmp_path):
    cache = AnalyzerCache()
    video, runs = _queue(session_factory, copy_with_suffix(talk, tmp_path / "d.mp4", b"d"))
    _finish(session_factory, video, runs, cache)
    assert execute_prepare(session_factory, runs["speakers"].run_id, cache) == "skipped: the run is completed"
    assert not list(prepared.folder().glob("*.json"))


def test_transcript_begun_ahead_gives_the_same_words(session_factory, tmp_path):
    """The sample says "invoice" while INVOICE is on screen: the window near it is
    decoded again with that hotword, the words are those of a run with nothing
    done ahead."""
    from eioku_ml.worker.execute import execute_pass

    from tests.media import SAMPLE

    def analysed(path, ahead: bool):
        cache = AnalyzerCache()
        with UnitOfWork(session_factory) as uow:
            video, _ = register_path(uow, path)
            runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast", ["ocr", "transcript"])}
            uow.commit()
        assert _prepare_jobs(session_factory, runs["transcript"].run_id) == 1
        if ahead:
            assert execute_prepare(session_factory, runs["transcript"].run_id, cache) == "prepared"
            stored = json.loads((prepared.folder() / f"{runs['transcript'].run_id}.json").read_text())
            assert stored["partial"]["windows"] and stored["cpu_s"] > 0
        (ocr,) = execute_pass(session_factory, [runs["ocr"].run_id], cache)
        assert ocr.status == "completed"
        assert execute_run(session_factory, runs["transcript"].run_id, cache).status == "completed"
        with UnitOfWork(session_factory) as uow:
            words = [w["word"] for s in uow.artifacts.get_by_asset(video.video_id, "transcript.segment")
                     for w in s.payload["words"]]
            timings = uow.runs.get(runs["transcript"].run_id).timings
        return words, timings

    ahead, timings = analysed(SAMPLE, True)
    assert timings["prepared_cpu_s"] > 0
    itself, timings = analysed(copy_with_suffix(SAMPLE, tmp_path / "s.mp4", b"s"), False)
    assert "prepared_cpu_s" not in timings
    assert any("invoice" in w.lower() for w in itself)
    assert ahead == itself


def test_speculation_is_off_on_small_machines_unless_asked(session_factory, monkeypatch, tmp_path):
    """EIOKU_SPECULATE=auto: the transcript (work that may be thrown away) is begun
    ahead only on 4 CPUs or more; speakers' work (never wasted) always is."""
    from tests.media import SAMPLE

    def queued(name):
        with UnitOfWork(session_factory) as uow:
            video, _ = register_path(uow, copy_with_suffix(SAMPLE, tmp_path / name, name.encode()))
            runs = {r.analyzer: r for r in analysis.queue_analysis(
                uow, video, "fast", ["ocr", "transcript", "speakers"])}
            uow.commit()
        return runs

    monkeypatch.setenv("EIOKU_SPECULATE", "auto")
    get_settings.cache_clear()
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    runs = queued("e.mp4")
    assert _prepare_jobs(session_factory, runs["speakers"].run_id) == 1
    assert _prepare_jobs(session_factory, runs["transcript"].run_id) == 0
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    runs = queued("f.mp4")
    assert _prepare_jobs(session_factory, runs["transcript"].run_id) == 1
