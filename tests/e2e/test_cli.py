"""The CLI against a real database: --json prints what the API returns."""

from __future__ import annotations

import json

import pytest
from eioku.cli import app
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import payload_for, store_run


@pytest.fixture
def cli(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EIOKU_MEDIA_ROOTS", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(app, [str(a) for a in args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield run
    get_settings.cache_clear()


def test_add_list_and_navigate(cli, tmp_path, session_factory):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"some bytes")
    added = json.loads(cli("add", clip, "--json").stdout)
    video_id = added[0]["video_id"]
    assert added[0]["created"] is True
    assert json.loads(cli("add", clip, "--json").stdout)[0]["created"] is False
    listing = json.loads(cli("videos", "--json").stdout)
    assert [v["video_id"] for v in listing["videos"]] == [video_id]
    assert "clip.mp4" in cli("videos").stdout

    import uuid
    with UnitOfWork(session_factory) as uow:
        vid = uuid.UUID(video_id)
        store_run(uow, vid, "scene", [(0, 1000), (1000, 2000)])
        store_run(uow, vid, "transcript.segment", [(300, 900)],
                  payloads=[payload_for("transcript.segment", text="send the invoice today")])
        uow.commit()

    jumped = json.loads(cli("jump", video_id, "--kind", "scene", "--from-ms", 0, "--json").stdout)
    assert jumped["jump_to"] == {"start_ms": 1000, "end_ms": 2000}
    assert "0:00:01.000" in cli("jump", video_id, "--kind", "scene", "--from-ms", 0).stdout
    found = json.loads(cli("find", video_id, "invoice", "--json").stdout)
    assert [m["jump_to"]["start_ms"] for m in found["matches"]] == [300]
    arts = json.loads(cli("artifacts", video_id, "--type", "scene", "--json").stdout)
    assert [a["span_start_ms"] for a in arts["artifacts"]] == [0, 1000]
    rebuilt = json.loads(cli("projections", "rebuild", "--json").stdout)
    assert rebuilt["scene_ranges"] == 2 and rebuilt["transcript_fts"] == 1


def test_errors_are_one_line_and_non_zero(cli, tmp_path):
    missing = cli("add", tmp_path / "nope.mp4", ok=False)
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert "Traceback" not in missing.output
    bad_id = cli("jump", "not-an-id", "--kind", "scene", ok=False)
    assert bad_id.exit_code == 2 and "not a video id" in bad_id.output
    unknown = cli("jump", "00000000-0000-0000-0000-000000000000", "--kind", "scene", ok=False)
    assert unknown.exit_code == 2 and "no video with id" in unknown.output
    bad_kind = cli("jump", "00000000-0000-0000-0000-000000000000", "--kind", "dream", ok=False)
    assert bad_kind.exit_code == 2 and "must be one of" in bad_kind.output


def test_models_lists_packaged_and_user_files(cli, tmp_path, monkeypatch):
    weights = tmp_path / "resnet18_places365.pth.tar"
    weights.write_bytes(b"checkpoint")  # present only once its categories file is beside it
    monkeypatch.setenv("EIOKU_YOLO_WEIGHTS", str(tmp_path / "missing.pt"))
    monkeypatch.setenv("EIOKU_PLACES365_WEIGHTS", str(weights))
    monkeypatch.delenv("EIOKU_WHISPER_MODEL_DIR", raising=False)
    get_settings.cache_clear()
    rows = {r["name"]: r for r in json.loads(cli("models", "--json").stdout)}
    assert rows["ssd-mobilenet-v2-coco"]["present"] is True
    assert rows["easyocr-craft"]["extra"] == "torch"
    assert rows["yolo (your weights)"]["present"] is False
    assert rows["places365 (your weights)"]["present"] is False
    assert rows["whisper (your model)"]["present"] is None  # not set
    (tmp_path / "categories_places365.txt").write_text("/a/airfield 0\n")
    assert json.loads(cli("models", "--json").stdout)[
        [r["name"] for r in rows.values()].index("places365 (your weights)")]["present"] is True
    table = cli("models").stdout
    assert "missing" in table and "not set" in table


def test_appearances_timeline(cli, tmp_path, session_factory):
    import uuid

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"bytes")
    video_id = json.loads(cli("add", clip, "--json").stdout)[0]["video_id"]
    with UnitOfWork(session_factory) as uow:
        store_run(uow, uuid.UUID(video_id), "object.detection", [(0, 500), (500, 1000), (8000, 8500)],
                  payloads=[payload_for("object.detection", label="dog")] * 3)
        uow.commit()
    out = json.loads(cli("appearances", video_id, "--kind", "object", "--json").stdout)
    assert [(a["start_ms"], a["end_ms"], a["detections"]) for a in out["appearances"]] == [
        (0, 1000, 2), (8000, 8500, 1)]
    assert "0:00:08.000" in cli("appearances", video_id).stdout
    bad = cli("appearances", video_id, "--kind", "scene", ok=False)
    assert bad.exit_code != 0 and "no appearances" in bad.output


def test_library_commands_people_search_and_exports(cli, tmp_path, session_factory):
    import shutil
    import uuid

    import av

    from tests.media import SAMPLE

    clip = tmp_path / "sample.mp4"
    shutil.copyfile(SAMPLE, clip)
    video_id = json.loads(cli("add", clip, "--json").stdout)[0]["video_id"]
    with UnitOfWork(session_factory) as uow:
        person = next(iter(uow.faces.assign("m", {"c": [[1.0, 2.0]]}, 0.5).values()))
        other = next(iter(uow.faces.assign("m", {"c": [[9.0, 9.0]]}, 0.5).values()))
        vid = uuid.UUID(video_id)
        store_run(uow, vid, "face.detection", [(0, 500), (3000, 3500)],
                  payloads=[payload_for("face.detection", cluster_id=person),
                            payload_for("face.detection", cluster_id=other)])
        store_run(uow, vid, "transcript.segment", [(1000, 2500)],
                  payloads=[payload_for("transcript.segment", text="pay the invoice & go")])
        uow.commit()
    assert "is now Alice" in cli("people", "rename", person, "Alice").stdout
    listed = json.loads(cli("people", "list", "--json").stdout)["people"]
    assert {p["name"] for p in listed} == {"Alice", None}
    jumped = json.loads(cli("jump", video_id, "--kind", "face", "--label", "alice", "--json").stdout)
    assert jumped["labels"] == [person]
    merged = json.loads(cli("people", "merge", other, "Alice", "--json").stdout)
    assert merged["target_id"] == person
    assert [p["cluster_id"] for p in json.loads(cli("faces", "--json").stdout)["people"]] == [person]
    assert "separate" in cli("people", "unmerge", other).stdout
    assert cli("people", "merge", person, person, ok=False).exit_code == 2
    hits = json.loads(cli("search", "invoice", "--json").stdout)["hits"]
    assert [(h["source"], h["start_ms"]) for h in hits] == [("transcript", 1000)]
    assert "invoice" in cli("search", "invoice").stdout
    assert cli("search", "-invoice", ok=False).exit_code == 2
    vtt = cli("export", "subtitles", video_id).stdout
    assert vtt.startswith("WEBVTT") and "00:00:01.000 --> 00:00:02.500" in vtt and "&amp;" in vtt
    out = tmp_path / "subs.srt"
    cli("export", "subtitles", video_id, "--format", "srt", "--out", out)
    assert out.read_text().startswith("1\n00:00:01,000 --> 00:00:02,500\n")
    exported = json.loads(cli("export", "json", video_id).stdout)
    assert set(exported["types"]) == {"face.detection", "transcript.segment"}
    mp4 = tmp_path / "clip.mp4"
    assert "copy" in cli("export", "clip", video_id, "--from-ms", 3000, "--to-ms", 6000, "--out", mp4).stdout
    with av.open(str(mp4)) as c:
        assert abs(c.duration / av.time_base - 3.0) < 0.25
    assert cli("export", "clip", video_id, "--from-ms", 0, "--to-ms", 10**9, "--out", mp4,
               ok=False).exit_code == 2


@pytest.mark.models
def test_analyze_a_registered_video_by_id(cli, tmp_path):
    import shutil

    from tests.media import SAMPLE

    clip = tmp_path / "sample.mp4"
    shutil.copyfile(SAMPLE, clip)
    video_id = json.loads(cli("add", clip, "--json").stdout)[0]["video_id"]
    (summary,) = json.loads(cli("analyze", video_id, "--analyzers", "metadata", "--json").stdout)
    assert summary["video_id"] == video_id
    assert [(r["analyzer"], r["status"]) for r in summary["runs"]] == [("metadata", "completed")]
    missing = cli("analyze", "00000000-0000-0000-0000-000000000000", ok=False)
    assert missing.exit_code == 2 and "no video with id" in missing.output
