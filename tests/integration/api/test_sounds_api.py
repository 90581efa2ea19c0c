"""Sounds and typed segments over HTTP and the CLI, on a video whose
transcript, sounds and segments runs are stored as the analyzers store them:
the listings, jumps through one kind of sound or segment, the timeline's rows,
search filtered to what is heard or to a segment, and bad parameters as 422s."""

from __future__ import annotations

import json
import uuid

import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import add_video, payload_for, store_run

# (start, end, label, loudness)
EVENTS = [(0, 20_000, "music", -18.0), (20_000, 30_000, "speech", -23.5),
          (30_000, 33_000, "silence", None), (33_000, 50_000, "speech", -22.0),
          (40_000, 50_000, "music", -30.0)]
SEGMENTS = [(0, 20_000, "intro", 3), (30_000, 33_000, "silence", None),
            (52_000, 60_000, "credits", None)]
LINES = [(1000, 3000, "the theme plays"), (21_000, 24_000, "welcome to the budget meeting"),
         (41_000, 44_000, "the budget is final"), (53_000, 55_000, "budget by Ada Lovelace")]


@pytest.fixture
def video(session_factory) -> uuid.UUID:
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow, duration_ms=60_000).video_id
        store_run(uow, video_id, "transcript.segment", [(s, e) for s, e, _ in LINES],
                  payloads=[payload_for("transcript.segment", i, text=t)
                            for i, (_, _, t) in enumerate(LINES)])
        programme = payload_for("audio.event", label="programme", confidence=1.0,
                                loudness_lufs=-21.3, loudness_range_lu=7.5, max_momentary_lufs=-12.0)
        store_run(uow, video_id, "audio.event", [(0, 60_000)] + [(s, e) for s, e, _, _ in EVENTS],
                  payloads=[programme] + [payload_for("audio.event", label=label, loudness_lufs=lufs)
                                          for _, _, label, lufs in EVENTS])
        store_run(uow, video_id, "segment", [(s, e) for s, e, _, _ in SEGMENTS],
                  payloads=[payload_for("segment", type=kind, shared_with=shared,
                                        evidence=f"why {kind}") for _, _, kind, shared in SEGMENTS])
        uow.commit()
    return video_id


def test_sounds_listing_with_time_heard_and_programme_loudness(client, video):
    body = client.get(f"/v1/videos/{video}/sounds").json()
    assert body["run_id"] is not None
    assert body["programme"] == {"loudness_lufs": -21.3, "loudness_range_lu": 7.5,
                                 "max_momentary_lufs": -12.0}
    assert body["heard_ms"] == {"speech": 27_000, "music": 30_000, "singing": 0, "silence": 3000}
    assert body["share"]["music"] == 0.5
    assert [(e["start_ms"], e["label"]) for e in body["events"]] == [
        (0, "music"), (20_000, "speech"), (30_000, "silence"), (33_000, "speech"), (40_000, "music")]
    music = client.get(f"/v1/videos/{video}/sounds", params={"label": "MUSIC"}).json()["events"]
    assert [(e["start_ms"], e["loudness_lufs"]) for e in music] == [(0, -18.0), (40_000, -30.0)]
    assert client.get(f"/v1/videos/{video}/sounds", params={"label": "applause"}).status_code == 422
    assert client.get(f"/v1/videos/{video}/sounds", params={"label": "x" * 51}).status_code == 422
    assert client.get(f"/v1/videos/{uuid.uuid4()}/sounds").status_code == 404


def test_segments_listing(client, video):
    body = client.get(f"/v1/videos/{video}/segments").json()
    assert [(s["start_ms"], s["end_ms"], s["type"], s["shared_with"]) for s in body["segments"]] == [
        (0, 20_000, "intro", 3), (30_000, 33_000, "silence", None), (52_000, 60_000, "credits", None)]
    assert body["segments"][0]["evidence"] == "why intro"
    only = client.get(f"/v1/videos/{video}/segments", params={"type": "credits"}).json()["segments"]
    assert [s["type"] for s in only] == ["credits"]
    assert client.get(f"/v1/videos/{video}/segments", params={"type": "ads"}).status_code == 422
    assert client.get(f"/v1/videos/{uuid.uuid4()}/segments").status_code == 404


def test_nothing_analysed_means_empty_listings(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow).video_id
        uow.commit()
    assert client.get(f"/v1/videos/{video_id}/sounds").json()["events"] == []
    assert client.get(f"/v1/videos/{video_id}/segments").json() == {
        "video_id": str(video_id), "run_id": None, "segments": []}


def test_jump_through_a_sound_and_a_segment(client, video):
    def jump(**params):
        return client.get(f"/v1/videos/{video}/jump", params=params)

    hit = jump(kind="sound", label="music", from_ms=1000).json()
    assert (hit["jump_to"]["start_ms"], hit["jump_to"]["end_ms"]) == (40_000, 50_000)
    assert jump(kind="sound", label="music", from_ms=40_000).status_code == 404
    assert jump(kind="sound", label="silence").json()["jump_to"]["start_ms"] == 30_000
    assert jump(kind="segment", label="credits").json()["jump_to"]["start_ms"] == 52_000
    back = jump(kind="segment", label="intro", from_ms=30_000, direction="prev").json()
    assert back["jump_to"]["start_ms"] == 0
    hit = client.get("/v1/jump/global", params={"kind": "segment", "label": "credits"}).json()
    assert (hit["video_id"], hit["jump_to"]["start_ms"]) == (str(video), 52_000)


def test_timeline_has_a_sounds_and_a_segments_row(client, video):
    rows = {r["kind"]: r for r in client.get(f"/v1/videos/{video}/timeline").json()["rows"]
            if r["kind"] in ("sound", "segment")}
    assert rows["sound"]["title"] == "Sounds"
    assert [(i["start_ms"], i["text"]) for i in rows["sound"]["items"]] == [
        (0, "music"), (20_000, "speech"), (30_000, "silence"), (33_000, "speech"), (40_000, "music")]
    assert [(i["start_ms"], i["text"]) for i in rows["segment"]["items"]] == [
        (0, "intro"), (30_000, "silence"), (52_000, "credits")]


def test_search_while_a_sound_is_heard_or_inside_a_segment(client, video):
    def starts(**params):
        hits = client.get("/v1/search", params={"q": "budget", "mode": "keyword", **params}).json()
        return sorted(h["start_ms"] for h in hits["hits"])

    assert starts() == [21_000, 41_000, 53_000]
    assert starts(sound="music") == [41_000]
    assert starts(sound="speech") == [21_000, 41_000]
    assert starts(segment="credits") == [53_000]
    assert starts(sound="music", segment="credits") == []
    for bad in ({"sound": "dog"}, {"segment": "ads"}, {"sound": "a" * 51}):
        assert client.get("/v1/search", params={"q": "budget", **bad}).status_code == 422


def test_cli_sounds_segments_search_and_jump(video, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    out = runner.invoke(cli, ["sounds", str(video), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["programme"]["loudness_lufs"] == -21.3
    out = runner.invoke(cli, ["sounds", str(video)])
    assert out.exit_code == 0 and "-21.3 LUFS" in out.output and "music" in out.output
    out = runner.invoke(cli, ["segments", str(video), "--type", "intro", "--json"])
    assert out.exit_code == 0, out.output
    assert [s["type"] for s in json.loads(out.output)["segments"]] == ["intro"]
    out = runner.invoke(cli, ["segments", str(video), "--type", "ads"])
    assert out.exit_code != 0 and "intro" in out.output
    out = runner.invoke(cli, ["search", "budget", "--mode", "keyword", "--sound", "music", "--json"])
    assert out.exit_code == 0, out.output
    assert [h["start_ms"] for h in json.loads(out.output)["hits"]] == [41_000]
    out = runner.invoke(cli, ["jump", str(video), "--kind", "segment", "--label", "credits", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["jump_to"]["start_ms"] == 52_000
    get_settings.cache_clear()
