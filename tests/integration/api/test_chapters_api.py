"""Chapters wherever a video's parts show, and the summary card: the chapters
list, jump?kind=chapter, the timeline's chapter row, chapters.vtt (titles; the
scenes where no chapters run exists), `eioku chapters`, and
GET /v1/videos/{id}/summary with each section filled only by what was stored
— over HTTP and the CLI, on runs stored as the analyzers store them."""

from __future__ import annotations

import json
import uuid

import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import add_video, payload_for, store_run

CHAPTERS = [(0, 40_000, "Honey bees, pollen", ["honey bees", "pollen"], "speech"),
            (40_000, 75_000, "Volcanoes, lava", ["volcanoes", "lava"], "speech"),
            (75_000, 90_000, "A dog, in a park", [], "shots")]


@pytest.fixture
def video(session_factory) -> uuid.UUID:
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow, duration_ms=90_000).video_id
        store_run(uow, video_id, "scene", [(0, 30_000), (30_000, 90_000)])
        store_run(uow, video_id, "chapter", [(s, e) for s, e, *_ in CHAPTERS], payloads=[
            payload_for("chapter", i, title=t, key_phrases=k, title_source=src)
            for i, (_, _, t, k, src) in enumerate(CHAPTERS)])
        uow.commit()
    return video_id


def test_chapters_in_order_with_titles(client, video):
    body = client.get(f"/v1/videos/{video}/chapters").json()
    assert [(c["start_ms"], c["end_ms"], c["title"], c["title_source"]) for c in body["chapters"]] == [
        (s, e, t, src) for s, e, t, _, src in CHAPTERS]
    assert body["chapters"][0]["key_phrases"] == ["honey bees", "pollen"]
    assert client.get(f"/v1/videos/{uuid.uuid4()}/chapters").status_code == 404
    assert client.get("/v1/videos/not-a-uuid/chapters").status_code == 422


def test_jump_from_chapter_to_chapter(client, video):
    def jump(**params):
        return client.get(f"/v1/videos/{video}/jump", params={"kind": "chapter", **params})

    assert jump(from_ms=0).json()["jump_to"]["start_ms"] == 40_000  # never the current one
    assert jump(from_ms=40_000).json()["jump_to"]["start_ms"] == 75_000
    assert jump(from_ms=75_000).status_code == 404
    assert jump(direction="prev", from_ms=50_000).json()["jump_to"]["start_ms"] == 40_000


def test_timeline_row_and_chapters_track(client, video):
    rows = [r for r in client.get(f"/v1/videos/{video}/timeline").json()["rows"]
            if r["kind"] == "chapter"]
    assert [(r["title"], [(i["start_ms"], i["text"]) for i in r["items"]]) for r in rows] == [
        ("Chapters", [(s, t) for s, _, t, *_ in CHAPTERS])]
    vtt = client.get(f"/v1/videos/{video}/chapters.vtt").text
    assert vtt.startswith("WEBVTT")
    assert "00:00:40.000 --> 00:01:15.000\nVolcanoes, lava" in vtt
    assert "Scene" not in vtt


def test_without_chapters_the_track_has_the_scenes_and_the_summary_is_empty(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video_id = add_video(uow, duration_ms=20_000).video_id
        store_run(uow, video_id, "scene", [(0, 10_000), (10_000, 20_000)])
        uow.commit()
    assert "Scene 2 (00:00:10)" in client.get(f"/v1/videos/{video_id}/chapters.vtt").text
    body = client.get(f"/v1/videos/{video_id}/summary").json()
    assert body["duration_ms"] == 20_000
    for section in ("chapters", "people", "speakers", "names", "terms", "sounds", "segments",
                    "languages"):
        assert body[section] == [], section
    assert body["loudness_lufs"] is None


def test_summary_reads_every_stored_type(client, session_factory, video):
    with UnitOfWork(session_factory) as uow:
        store_run(uow, video, "speaker.turn", [(0, 10_000), (10_000, 14_000), (20_000, 30_000)],
                  payloads=[payload_for("speaker.turn", 0, speaker="Speaker 1"),
                            payload_for("speaker.turn", 1, speaker="Speaker 2"),
                            payload_for("speaker.turn", 2, speaker="Speaker 1")])
        names = [("Siemens", "org"), ("Siemens", "org"), ("Berlin", "place"), ("solar panels", "term")]
        store_run(uow, video, "entity.mention", [(1000 * i, 1000 * i + 500) for i in range(len(names))],
                  payloads=[payload_for("entity.mention", i, name=n, type=t, text=n)
                            for i, (n, t) in enumerate(names)])
        store_run(uow, video, "text.language", [(0, 4000), (5000, 6000)],
                  payloads=[payload_for("text.language", 0, language="de"),
                            payload_for("text.language", 1, language="und")])
        uow.commit()
    body = client.get(f"/v1/videos/{video}/summary").json()
    assert [c["title"] for c in body["chapters"]] == [t for _, _, t, *_ in CHAPTERS]
    assert [(s["speaker"], s["talk_ms"], s["turns"]) for s in body["speakers"]] == [
        ("Speaker 1", 20_000, 2), ("Speaker 2", 4_000, 1)]
    turns = client.get(f"/v1/videos/{video}/artifacts?type=speaker.turn").json()["artifacts"]
    assert [s["first_ms"] for s in body["speakers"]] == [
        min(t["span_start_ms"] for t in turns if t["payload"]["speaker"] == s["speaker"])
        for s in body["speakers"]]
    assert [(n["name"], n["type"], n["mentions"]) for n in body["names"]] == [
        ("Siemens", "org", 2), ("Berlin", "place", 1)]
    assert [(t["name"], t["mentions"]) for t in body["terms"]] == [("solar panels", 1)]
    assert [(lang["language"], lang["lines"]) for lang in body["languages"]] == [("de", 1)]  # "und" left out
    assert body["sounds"] == [] and body["segments"] == []
    assert client.get(f"/v1/videos/{uuid.uuid4()}/summary").status_code == 404


def test_eioku_chapters(video, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    out = CliRunner().invoke(cli, ["chapters", str(video), "--json"])
    assert out.exit_code == 0, out.output
    assert [c["title"] for c in json.loads(out.output)["chapters"]] == [t for _, _, t, *_ in CHAPTERS]
    table = CliRunner().invoke(cli, ["chapters", str(video)])
    assert table.exit_code == 0 and "Volcanoes, lava" in table.output and "0:40" in table.output
    missing = CliRunner().invoke(cli, ["chapters", str(uuid.uuid4())])
    assert missing.exit_code != 0
