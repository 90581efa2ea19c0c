"""Subtitles as transcript runs: parsing, languages from names, one run per
distinct file, selectable like any run."""

from __future__ import annotations

from pathlib import Path

import pytest
from eioku.services import sidecar
from eioku.services.sidecar import Cue, import_subtitles, language_of, parse_subtitles, subtitle_belongs_to
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

SRT_CP1252 = ("1\r\n00:00:01,250 --> 00:00:02,000\r\n<i>Caf\xe9</i> {\\an8}ouvert\r\n\r\n"
              "2\r\n00:00:03,000 --> 00:00:04,500\r\nsecond line\r\n").encode("cp1252")


def test_srt_and_webvtt_cues_without_markup():
    assert parse_subtitles(SRT_CP1252, ".srt") == [Cue(1250, 2000, "Café ouvert"),
                                                   Cue(3000, 4500, "second line")]
    vtt = b"WEBVTT\n\nNOTE a comment\n\n00:01.000 --> 00:02.500 align:start\n<v Bob>Hello <b>there</b>\n"
    assert parse_subtitles(vtt, ".vtt") == [Cue(1000, 2500, "Hello there")]
    for junk, suffix in ((b"garbage here\n1\n", ".srt"), (b"hello", ".vtt")):
        with pytest.raises(ValueError):
            parse_subtitles(junk, suffix)


@pytest.mark.parametrize(("name", "belongs", "language"), [
    ("talk.srt", True, "und"), ("talk.en.vtt", True, "en"), ("talk.pt-br.srt", True, "pt-BR"),
    ("talk.EN.SRT", True, "en"), ("talks.srt", False, None), ("talk.final.srt", False, None),
    ("talk.txt", False, None)])
def test_which_files_beside_a_video_are_its_subtitles(name, belongs, language):
    video = Path("/m/talk.mp4")
    assert subtitle_belongs_to(video, Path("/m") / name) is belongs
    if belongs:
        assert language_of(video, Path("/m") / name) == language


def test_one_run_per_distinct_subtitles_and_selectable(session_factory):
    with UnitOfWork(session_factory) as uow:
        video, _ = uow.videos.add(path="/m/talk.mp4", filename="talk.mp4", content_hash="sha256:t",
                                  size_bytes=1)
        cues = [Cue(0, 900, "  hello\nworld "), Cue(1000, 800, "bad end"), Cue(2000, 2500, "   ")]
        first = import_subtitles(uow, video, cues, "EN", "talk.en.srt")
        again = import_subtitles(uow, video, list(cues), "en", "talk.en.srt")
        other = import_subtitles(uow, video, [Cue(0, 900, "bonjour")], "fr", "talk.fr.srt")
        assert import_subtitles(uow, video, [Cue(0, 1, " ")], "fr", "empty.srt") is None
        uow.commit()
    assert first is not None and other is not None
    assert again.run_id == first.run_id and other.run_id != first.run_id
    assert (first.producer, first.status.value, first.model_profile) == (sidecar.PRODUCER, "completed",
                                                                         "high_quality")
    with session_factory() as session:
        rows = session.execute(text(
            "SELECT span_start_ms, span_end_ms, payload->>'text', payload->>'language' FROM artifacts "
            "WHERE run_id = :r ORDER BY span_start_ms"), {"r": first.run_id}).all()
        assert [tuple(r) for r in rows] == [(0, 900, "hello world", "en"), (1000, 1000, "bad end", "en")]
        # the newest completed run is shown by default; pinning picks either
        shown = session.execute(text("SELECT eioku_selected_run(:v, 'transcript.segment')"),
                                {"v": video.video_id}).scalar()
        assert shown == other.run_id
        session.execute(text(
            "INSERT INTO artifact_selections (asset_id, artifact_type, mode, pinned_run_id) "
            "VALUES (:v, 'transcript.segment', 'pinned', :r)"), {"v": video.video_id, "r": first.run_id})
        assert session.execute(text("SELECT eioku_selected_run(:v, 'transcript.segment')"),
                               {"v": video.video_id}).scalar() == first.run_id
