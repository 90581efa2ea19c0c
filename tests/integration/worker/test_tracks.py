"""Files with several tracks (an MKV from a downloader): the transcript hears
the main audio track and records which; the text subtitle tracks inside
become ``sidecar`` transcript runs, one per track, like subtitle files beside
the video. The MKV is made from the sample's own picture and speech."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.media.decode import decode_audio
from eioku_ml.media.tracks import main_audio, subtitle_tracks
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.media import SAMPLE

SRT = """1
00:00:00,500 --> 00:00:02,500
Bienvenue à bord de la <i>station</i> spatiale.

2
00:00:03,400 --> 00:00:05,900
Le chat dort
sur le canapé.
"""
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:06.40,0:00:08.90,Default,,0,0,0,,{\\an8}Please pay the {\\i1}invoice{\\i0}\\Nbefore Friday.
"""  # noqa: E501 - the format line is one line


def _tone(seconds: float, rate: int = 16000) -> np.ndarray:
    return (np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate) * 0.3).astype(np.float32)


def _downloaded_mkv(folder: Path, *, default: int | None) -> Path:
    """The sample's picture; audio 1: a tone, French; audio 2: the sample's
    speech, English; subtitles 3 (SubRip, French) and 4 (ASS, English, "Signs").
    ``default``: the audio stream flagged default (1, 2 or None)."""
    (folder / "fr.srt").write_text(SRT, encoding="utf-8")
    (folder / "en.ass").write_text(ASS, encoding="utf-8")
    path = folder / f"download-{default}.mkv"
    with av.open(str(SAMPLE)) as sample, av.open(str(folder / "fr.srt")) as srt, \
            av.open(str(folder / "en.ass")) as ass, av.open(str(path), "w") as out:
        video = out.add_stream_from_template(sample.streams.video[0])
        tone = out.add_stream("aac", rate=16000)
        tone.layout = "mono"
        speech = out.add_stream_from_template(sample.streams.audio[0])
        subs = [out.add_stream_from_template(srt.streams[0]), out.add_stream_from_template(ass.streams[0])]
        for stream, language in ((tone, "fre"), (speech, "eng"), (subs[0], "fre"), (subs[1], "eng")):
            stream.metadata["language"] = language
        subs[1].metadata["title"] = "Signs"
        for number, stream in ((1, tone), (2, speech)):
            stream.disposition = av.stream.Disposition.default if number == default else 0
        copies = {sample.streams.video[0].index: video, sample.streams.audio[0].index: speech}
        for packet in sample.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
        sound = av.AudioFrame.from_ndarray(_tone(12.0)[None, :], format="fltp", layout="mono")
        sound.sample_rate, sound.pts, sound.time_base = 16000, 0, Fraction(1, 16000)
        out.mux(tone.encode(sound))
        out.mux(tone.encode())
        for source, stream in ((srt, subs[0]), (ass, subs[1])):
            for packet in source.demux():
                if packet.size:
                    packet.stream = stream
                    out.mux(packet)
    return path


@pytest.fixture
def audio_languages(monkeypatch):
    def prefer(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("EIOKU_AUDIO_LANGUAGES", raising=False)
        else:
            monkeypatch.setenv("EIOKU_AUDIO_LANGUAGES", value)
        get_settings.cache_clear()
    yield prefer
    get_settings.cache_clear()


def _run(session_factory, path: Path, analyzer: str, done: str = "completed"):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        (run,) = analysis.queue_analysis(uow, video, "fast", [analyzer])
        uow.commit()
    outcome = execute_run(session_factory, run.run_id, AnalyzerCache())
    assert outcome.status == done, outcome.error
    return video, run


def _sidecar_runs(session_factory, video) -> list:
    with UnitOfWork(session_factory) as uow:
        return uow.session.execute(text(
            "SELECT run_id, config, status FROM runs WHERE asset_id = :v AND producer = 'sidecar' "
            "ORDER BY config->>'source'"), {"v": video.video_id}).all()


def test_the_main_audio_track_is_chosen_by_disposition_then_language(tmp_path):
    flagged = _downloaded_mkv(tmp_path, default=2)
    unflagged = _downloaded_mkv(tmp_path, default=None)
    assert main_audio(flagged, []).as_config() == {"index": 2, "language": "eng",
                                                   "chosen_by": "default", "of": 2}
    assert main_audio(flagged, ["fr"]).index == 2  # the file's own flag first
    assert main_audio(unflagged, []).as_config()["chosen_by"] == "first"
    assert main_audio(unflagged, []).index == 1
    assert main_audio(unflagged, ["en"]).as_config() == {"index": 2, "language": "eng",
                                                         "chosen_by": "language", "of": 2}
    assert main_audio(unflagged, ["ja", "fra"]).index == 1  # in the order of preference
    # the two tracks really differ: a steady tone, and speech with pauses
    tone, _ = decode_audio(unflagged, 16000, track=1)
    speech, _ = decode_audio(unflagged, 16000, track=2)
    loudness = [np.abs(a[: 16000 * 11]).reshape(-1, 1600).mean(axis=1) for a in (tone, speech)]
    assert loudness[0].std() < 0.01 < loudness[1].std()


@pytest.mark.models
def test_the_transcript_hears_the_default_track_and_records_it(session_factory, tmp_path,
                                                              audio_languages):
    audio_languages(None)
    video, run = _run(session_factory, _downloaded_mkv(tmp_path, default=2), "transcript")
    with UnitOfWork(session_factory) as uow:
        stored = uow.runs.get(run.run_id)
        words = " ".join(a.payload["text"] for a in uow.artifacts.get_by_asset(
            video.video_id, "transcript.segment"))
    assert "space station" in words.lower() and "invoice" in words.lower()
    assert stored.config["audio_track"] == {"index": 2, "language": "eng", "chosen_by": "default",
                                            "of": 2}


def test_a_language_preference_is_part_of_the_transcript_config(session_factory, tmp_path,
                                                                audio_languages):
    audio_languages("en,ja")
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, _downloaded_mkv(tmp_path, default=None))
        (run,) = analysis.queue_analysis(uow, video, "fast", ["transcript"])
        uow.commit()
    assert run.config["audio_languages"] == ["en", "ja"]


def _shift_ms(path: Path) -> int:
    """How much later than written the muxer put everything: the sample's AAC
    priming starts before 0, and Matroska moves all tracks so that it starts at
    0 (the video, written at 0, starts there too). Subtitles move with them."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return round(video.start_time * video.time_base * 1000)


def test_subtitle_tracks_are_decoded_without_markup(tmp_path):
    path = _downloaded_mkv(tmp_path, default=2)
    tracks = subtitle_tracks(path)
    shift = _shift_ms(path)
    assert shift > 0
    assert [(t.index, t.language, t.source) for t in tracks] == [
        (3, "fre", "track 3 (SubRip)"), (4, "eng", "track 4 (ASS, Signs)")]
    assert tracks[0].cues == [(500 + shift, 2500 + shift, "Bienvenue à bord de la station spatiale."),
                              (3400 + shift, 5900 + shift, "Le chat dort\nsur le canapé.")]
    assert tracks[1].cues == [(6400 + shift, 8900 + shift, "Please pay the invoice\nbefore Friday.")]


def test_embedded_subtitles_become_sidecar_runs_at_the_metadata_stage(session_factory, tmp_path):
    path = _downloaded_mkv(tmp_path, default=2)
    video, _ = _run(session_factory, path, "metadata")
    runs = _sidecar_runs(session_factory, video)
    _run(session_factory, path, "metadata", "reused")  # analysed again: nothing added
    assert _sidecar_runs(session_factory, video) == runs
    # the same bytes under another name are another video, with subtitle runs of its own
    twin, _ = _run(session_factory, shutil.copy(path, tmp_path / "twin.mkv"), "metadata", "reused")
    assert [r.config for r in _sidecar_runs(session_factory, twin)] == [r.config for r in runs]

    with UnitOfWork(session_factory) as uow:
        texts = {r.config["language"]: uow.session.execute(text(
            "SELECT span_start_ms, payload->>'text' FROM artifacts WHERE run_id = :r "
            "ORDER BY span_start_ms"), {"r": r.run_id}).tuples().all() for r in runs}
    assert [(r.config, r.status) for r in runs] == [
        ({"source": "track 3 (SubRip)", "language": "fr"}, "completed"),
        ({"source": "track 4 (ASS, Signs)", "language": "en"}, "completed")]
    shift = _shift_ms(path)
    assert texts == {"fr": [(500 + shift, "Bienvenue à bord de la station spatiale."),
                            (3400 + shift, "Le chat dort sur le canapé.")],
                     "en": [(6400 + shift, "Please pay the invoice before Friday.")]}


def test_a_webvtt_track_in_a_webm_is_read_too(tmp_path):
    """A browser-made WebM with captions: WebVTT cue markup (<b>, <c.class>) removed."""
    (tmp_path / "en.vtt").write_text("WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n"
                                     "Hello <b>bold</b> <c.yellow>world</c>\n", encoding="utf-8")
    path = tmp_path / "captions.webm"
    with av.open(str(tmp_path / "en.vtt")) as vtt, av.open(str(path), "w") as out:
        video = out.add_stream("libvpx-vp9", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        captions = out.add_stream_from_template(vtt.streams[0])
        captions.metadata["language"] = "eng"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for packet in vtt.demux():
            if packet.size:
                packet.stream = captions
                out.mux(packet)
    (track,) = subtitle_tracks(path)
    assert (track.source, track.language, track.cues) == (
        "track 1 (WebVTT)", "eng", [(500, 1500, "Hello bold world")])
