"""The speakers stage through the worker on a real file: a conversation of
four voices from Debian packages (tests/speakers_eval.py) in an MP4. Its
speaker.turn artifacts are stored and validated; analysed in 30 s chunks it
finds the same speakers at the same times as one pass; run alone on a video
that has a transcript, its changes of speaker fall between words."""

from __future__ import annotations

import pytest
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.media import copy_with_suffix
from tests.speakers_eval import conversation, der
from tests.speech_media import talking_video

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    c = conversation(3)  # five voices, music under part of it
    return c, talking_video(tmp_path_factory.mktemp("speakers") / "talk.mp4", c.audio)


def _analyse(session_factory, path, chunk_s: float, monkeypatch):
    monkeypatch.setenv("EIOKU_CHUNK_S", str(chunk_s))
    get_settings.cache_clear()
    try:
        with UnitOfWork(session_factory) as uow:
            video, _ = register_path(uow, path)
            (run,) = analysis.queue_analysis(uow, video, "fast", ["speakers"])
            uow.commit()
        cache = AnalyzerCache()
        outcome = execute_run(session_factory, run.run_id, cache)
        if outcome.status == "chunked":
            with UnitOfWork(session_factory) as uow:
                chunks = uow.session.execute(text(
                    "SELECT chunk FROM run_chunks WHERE run_id = :r ORDER BY chunk"),
                    {"r": run.run_id}).scalars().all()
            assert len(chunks) >= 3
            for chunk in reversed(chunks):  # any order
                (outcome,) = execute_chunk(session_factory, [run.run_id], chunk, cache)
        assert outcome.status == "completed"
        with UnitOfWork(session_factory) as uow:
            turns = uow.artifacts.get_by_asset(video.video_id, "speaker.turn")
            config = uow.runs.get(run.run_id).config
        return [(t.span_start_ms / 1000, t.span_end_ms / 1000, t.payload["speaker"]) for t in turns], config
    finally:
        get_settings.cache_clear()


def test_chunks_find_the_speakers_of_one_pass(session_factory, talk, tmp_path, monkeypatch):
    c, path = talk
    whole, config = _analyse(session_factory, path, 0, monkeypatch)
    chunked, _ = _analyse(session_factory, copy_with_suffix(path, tmp_path / "copy.mp4", b"x"), 30,
                          monkeypatch)
    error, _ = der(c.turns, whole)
    print(f"one pass: DER {error:.3f}, {len({s for *_, s in whole})} speakers of {c.speakers}")
    assert error <= 0.15 and len({s for *_, s in whole}) == c.speakers
    assert config["hop_s"] == 0.75 and "audio_track" in config
    same, _ = der(whole, chunked, collar_s=0.0)  # the chunked run scored against the whole one
    print(f"chunked against one pass: {same:.4f}")
    assert same <= 0.01
    assert {s for *_, s in chunked} == {s for *_, s in whole}


def test_with_a_transcript_changes_of_speaker_fall_between_words(session_factory, tmp_path, monkeypatch):
    """Speakers run alone after a transcript run (as on a video analysed before the
    stage existed): no word is cut by a change of speaker, and the transcript's
    segments, joined with the turns, each carry one speaker."""
    from eioku.services.speakers import attribute, turns_of

    c = conversation(5)  # two voices, music under part of it
    path = talking_video(tmp_path / "two.mp4", c.audio)
    monkeypatch.setenv("EIOKU_CHUNK_S", "0")
    get_settings.cache_clear()
    cache = AnalyzerCache()
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        (transcript,) = analysis.queue_analysis(uow, video, "fast", ["transcript"])
        uow.commit()
    assert execute_run(session_factory, transcript.run_id, cache).status == "completed"
    with UnitOfWork(session_factory) as uow:
        (speakers,) = analysis.queue_analysis(uow, uow.videos.get(video.video_id), "fast", ["speakers"])
        uow.commit()
    assert execute_run(session_factory, speakers.run_id, cache).status == "completed"
    get_settings.cache_clear()
    with UnitOfWork(session_factory) as uow:
        segments = uow.artifacts.get_by_asset(video.video_id, "transcript.segment")
        turns = turns_of(uow.artifacts.get_by_asset(video.video_id, "speaker.turn"))
    words = [(w["start_ms"], w["end_ms"]) for s in segments for w in s.payload["words"] or []]
    assert len(words) > 50
    changes = [a.end_ms for a, b in zip(turns, turns[1:], strict=False)
               if a.end_ms == b.start_ms and a.speaker != b.speaker]
    assert changes  # the voices take turns without a pause the VAD would see
    assert not [t for t in changes if any(s < t < e for s, e in words)]
    spoken = [piece for s in segments for piece in attribute(
        {"start_ms": s.span_start_ms, "end_ms": s.span_end_ms, **s.payload}, turns)]
    assert {p["speaker"] for p in spoken} == {"Speaker 1", "Speaker 2"}
    pairs = []  # (speaker said, voice the conversation put there) for each piece of speech
    for piece in spoken:
        middle = (piece["start_ms"] + piece["end_ms"]) / 2000
        voices = [v for s, e, v in c.turns if s <= middle < e]
        if len(voices) == 1:
            pairs.append((piece["speaker"], voices[0]))
    voice_of = {who: max({v for w, v in pairs if w == who}, key=lambda v: pairs.count((who, v)))
                for who in {w for w, _ in pairs}}
    assert sorted(voice_of.values()) == sorted({v for *_, v in c.turns})  # one voice per speaker
    right = sum(voice_of[w] == v for w, v in pairs)
    print(f"{right} of {len(pairs)} transcript pieces carry their voice's speaker")
    assert right >= 0.9 * len(pairs)
