"""Speakers wherever speech shows: talk time per speaker, jumps between a
speaker's turns, a timeline row per speaker, subtitles that say who speaks
(and a setting to leave it out), export.json's transcript with its speakers,
and "said by" in search — over HTTP and the CLI, on a video whose transcript
and speakers runs are stored as the analyzers store them."""

from __future__ import annotations

import json
import uuid

import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import add_video, payload_for, store_run

# (start, end, words): Speaker 1 talks, Speaker 2 answers inside the same segment, 1 again
SEGMENTS = [
    (0, 4000, [("We", 0, 400), ("need", 500, 900), ("the", 1000, 1300), ("budget", 1400, 2000),
               ("Yes,", 2600, 3000), ("budget", 3100, 3900)]),
    (5000, 8000, [("Friday", 5000, 6000), ("then.", 6100, 8000)]),
    (9000, 12000, [("Agreed", 9000, 10000), ("budget", 10100, 12000)]),
]
TURNS = [(0, 2300, "Speaker 1"), (2300, 4500, "Speaker 2"), (4500, 8500, "Speaker 1"),
         (8800, 12500, "Speaker 2")]


def _segment(i: int, start: int, end: int, words: list[tuple[str, int, int]]) -> dict:
    return payload_for("transcript.segment", i, text=" ".join(w for w, _, _ in words),
                       words=[{"word": w, "start_ms": s, "end_ms": e, "confidence": 0.9}
                              for w, s, e in words])


@pytest.fixture
def video(session_factory) -> uuid.UUID:
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow, duration_ms=13_000).video_id
        store_run(uow, video_id, "transcript.segment", [(s, e) for s, e, _ in SEGMENTS],
                  payloads=[_segment(i, *seg) for i, seg in enumerate(SEGMENTS)])
        store_run(uow, video_id, "speaker.turn", [(s, e) for s, e, _ in TURNS],
                  payloads=[payload_for("speaker.turn", i, speaker=who)
                            for i, (_, _, who) in enumerate(TURNS)])
        uow.commit()
    return video_id


def test_talk_time_and_turns_per_speaker(client, video):
    body = client.get(f"/v1/videos/{video}/speakers").json()
    assert body["run_id"] is not None
    assert [(s["speaker"], s["talk_ms"], s["turns"], s["first_ms"]) for s in body["speakers"]] == [
        ("Speaker 1", 2300 + 4000, 2, 0), ("Speaker 2", 2200 + 3700, 2, 2300)]
    assert body["speakers"][0]["name"] == "Speaker 1" and body["speakers"][0]["voice_id"] is None
    assert abs(sum(s["share"] for s in body["speakers"]) - 1) < 1e-3
    assert client.get(f"/v1/videos/{uuid.uuid4()}/speakers").status_code == 404


def test_no_speakers_run_means_no_speakers_and_plain_subtitles(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow).video_id
        store_run(uow, video_id, "transcript.segment", [(0, 1000)])
        uow.commit()
    assert client.get(f"/v1/videos/{video_id}/speakers").json() == {
        "video_id": str(video_id), "run_id": None, "speakers": []}
    vtt = client.get(f"/v1/videos/{video_id}/subtitles.vtt").text
    assert "<v " not in vtt and "hello world 0" in vtt
    assert '"transcript": [' not in client.get(f"/v1/videos/{video_id}/export.json").text


def test_jump_walks_one_speakers_turns(client, video):
    def jump(**params):
        return client.get(f"/v1/videos/{video}/jump", params={"kind": "speaker", **params})

    hit = jump(label="Speaker 2").json()
    assert (hit["jump_to"]["start_ms"], hit["jump_to"]["end_ms"]) == (2300, 4500)
    assert hit["labels"] == ["Speaker 2"]
    assert jump(label="speaker 2", from_ms=2300).json()["jump_to"]["start_ms"] == 8800  # any case
    assert jump(label="Speaker 2", from_ms=8800).status_code == 404
    assert jump(label="Speaker 1", direction="prev", from_ms=8000).json()["jump_to"]["start_ms"] == 4500
    assert jump(from_ms=0).json()["jump_to"]["start_ms"] == 2300  # any speaker's next turn
    assert jump(label="Nobody").status_code == 404
    # across the library: the first video with a turn of theirs
    hit = client.get("/v1/jump/global", params={"kind": "speaker", "label": "Speaker 2"}).json()
    assert (hit["video_id"], hit["jump_to"]["start_ms"]) == (str(video), 2300)


def test_timeline_has_a_row_per_speaker(client, video):
    rows = [r for r in client.get(f"/v1/videos/{video}/timeline").json()["rows"]
            if r["kind"] == "speaker"]
    assert [(r["key"], r["title"], [i["start_ms"] for i in r["items"]]) for r in rows] == [
        ("Speaker 1", "Speaker 1", [0, 4500]), ("Speaker 2", "Speaker 2", [2300, 8800])]


def test_subtitles_say_who_speaks_unless_asked_not_to(client, video):
    vtt = client.get(f"/v1/videos/{video}/subtitles.vtt").text
    cues = vtt.rstrip("\n").split("\n\n")[1:]
    assert cues[0].endswith("<v Speaker 1>We need the budget")
    assert cues[1].endswith("<v Speaker 2>Yes, budget")  # the segment split where the speaker changes
    assert cues[1].startswith("00:00:02.600 --> 00:00:03.900")
    assert cues[2].endswith("<v Speaker 1>Friday then.") and cues[3].endswith("<v Speaker 2>Agreed budget")
    srt = client.get(f"/v1/videos/{video}/subtitles.srt").text
    assert "SPEAKER 1: We need the budget" in srt and "SPEAKER 2: Yes, budget" in srt
    assert "SPEAKER 2: Agreed budget" in srt
    plain = client.get(f"/v1/videos/{video}/subtitles.srt", params={"speakers": "false"}).text
    assert "SPEAKER" not in plain and "We need the budget Yes, budget" in plain
    assert "<v " not in client.get(f"/v1/videos/{video}/subtitles.vtt",
                                   params={"speakers": "false"}).text


def test_export_json_carries_the_transcript_with_its_speakers(client, video):
    document = json.loads(client.get(f"/v1/videos/{video}/export.json").content)
    assert "speaker.turn" in document["types"]
    assert [(s["speaker"], s["text"]) for s in document["transcript"]] == [
        ("Speaker 1", "We need the budget"), ("Speaker 2", "Yes, budget"),
        ("Speaker 1", "Friday then."), ("Speaker 2", "Agreed budget")]
    segment_ids = {a["artifact_id"] for a in document["types"]["transcript.segment"]["artifacts"]}
    assert {s["artifact_id"] for s in document["transcript"]} == segment_ids


def test_search_said_by(client, video):
    def said(speaker: str) -> list[tuple[int, str]]:
        hits = client.get("/v1/search", params={"q": "budget", "mode": "keyword",
                                                "speaker": speaker}).json()["hits"]
        return [(h["start_ms"], h["label"]) for h in hits]

    everyone = client.get("/v1/search", params={"q": "budget", "mode": "keyword"}).json()["hits"]
    assert sorted(h["start_ms"] for h in everyone) == [0, 9000]
    assert said("Speaker 2") == [(9000, "Speaker 2")]
    # the first segment is mostly Speaker 1's, who says "budget" in it
    assert said("Speaker 1") == [(0, "Speaker 1")]
    assert said("Nobody") == []


def test_cli_search_by_speaker_jump_and_subtitles(video, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    out = runner.invoke(cli, ["search", "budget", "--mode", "keyword", "--speaker", "Speaker 2", "--json"])
    assert out.exit_code == 0, out.output
    assert [h["start_ms"] for h in json.loads(out.output)["hits"]] == [9000]
    out = runner.invoke(cli, ["jump", str(video), "--kind", "speaker", "--label", "Speaker 1",
                              "--from-ms", "0", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["jump_to"]["start_ms"] == 4500
    out = runner.invoke(cli, ["export", "subtitles", str(video), "--format", "srt"])
    assert out.exit_code == 0 and "SPEAKER 2: Yes, budget" in out.output
    out = runner.invoke(cli, ["export", "subtitles", str(video), "--no-speakers"])
    assert out.exit_code == 0 and "<v " not in out.output and "We need" in out.output
    get_settings.cache_clear()


def test_translated_subtitles_and_lines(client, session_factory, db_url, monkeypatch):
    """A transcript run with EIOKU_TRANSLATE: German segments carry their English."""
    spoken = [(0, 3000, "Wir brauchen das Budget", "We need the budget"),
              (4000, 6000, "Okay, Freitag", None),  # no translation: its words stay
              (7000, 9000, "Bis dann", "See you then")]
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow, filename="meeting.mp4", duration_ms=10_000).video_id
        payloads = [payload_for("transcript.segment", i, text=said, language="de",
                                **({"translation": english} if english else {}))
                    for i, (_, _, said, english) in enumerate(spoken)]
        store_run(uow, video_id, "transcript.segment", [(s, e) for s, e, *_ in spoken], payloads=payloads)
        store_run(uow, video_id, "speaker.turn", [(0, 3500), (3500, 10_000)],
                  payloads=[payload_for("speaker.turn", i, speaker=f"Speaker {i + 1}") for i in range(2)])
        uow.commit()
    lines = client.get(f"/v1/videos/{video_id}/corrections/lines").json()["lines"]
    assert [(line["text"], line["translation"]) for line in lines] == [(s, e) for _, _, s, e in spoken]
    answer = client.get(f"/v1/videos/{video_id}/subtitles.vtt", params={"translation": "true"})
    assert answer.status_code == 200 and 'filename="meeting.en.vtt"' in answer.headers["content-disposition"]
    cues = answer.text.rstrip("\n").split("\n\n")[1:]
    assert [c.split("\n", 1)[1] for c in cues] == [
        "<v Speaker 1>We need the budget", "<v Speaker 2>Okay, Freitag", "<v Speaker 2>See you then"]
    assert cues[2].startswith("00:00:07.000 --> 00:00:09.000")  # a segment whole, at its own time
    srt = client.get(f"/v1/videos/{video_id}/subtitles.srt",
                     params={"translation": "true", "speakers": "false"}).text
    assert "We need the budget" in srt and "See you then" in srt and "SPEAKER" not in srt
    assert "Wir brauchen" in client.get(f"/v1/videos/{video_id}/subtitles.vtt").text  # as spoken by default
    # the CLI: eioku export subtitles --translation
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    done = CliRunner().invoke(cli, ["export", "subtitles", str(video_id), "--translation", "--no-speakers"])
    get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert "We need the budget" in done.output and "Wir brauchen" not in done.output
