"""Exports of a collection through HTTP: the OTIO, CMX 3600 EDL, Final Cut Pro 7
XML and FCPXML timelines read back with OpenTimelineIO's own readers, every clip's
source file and range matching its moment; CSV and JSON; one MP4 compilation made
by the worker's job, lasting the sum of its moments within one GOP each."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid

import av
import opentimelineio as otio
import pytest
from eioku_ml.worker.compilation import execute_compilation

from tests.media import SAMPLE

MOMENTS = [(1000, 2500), (4000, 7000), (9500, 11000)]
FPS = 25


@pytest.fixture
def sample_video(client, media_root):
    path = media_root / "sample clip.mp4"
    shutil.copy(SAMPLE, path)
    r = client.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"], path


@pytest.fixture
def collection(client, sample_video):
    video, _ = sample_video
    cid = client.post("/v1/collections", json={"name": "My reel"}).json()["collection_id"]
    r = client.post(f"/v1/collections/{cid}/items", json={"moments": [
        {"video_id": video, "start_ms": s, "end_ms": e, "note": f"take {n}"}
        for n, (s, e) in enumerate(MOMENTS, 1)]})
    assert r.status_code == 201, r.text
    return cid


@pytest.mark.parametrize(("fmt", "adapter", "read_args"), [
    ("otio", "otio_json", {}), ("edl", "cmx_3600", {"rate": FPS}),
    ("xml", "fcp_xml", {}), ("fcpxml", "fcpx_xml", {})])
def test_timelines_read_back_with_their_clips_on_the_original_file(
        client, sample_video, collection, fmt, adapter, read_args):
    _, path = sample_video
    r = client.get(f"/v1/collections/{collection}/export.{fmt}")
    assert r.status_code == 200, r.text
    assert f"My reel.{fmt}" in r.headers["content-disposition"]
    timeline = otio.adapters.read_from_string(r.text, adapter_name=adapter, **read_args)
    video_clips = [c for t in timeline.video_tracks() for c in t.find_clips()]
    assert len(video_clips) == len(MOMENTS)
    for clip, (start, end) in zip(video_clips, MOMENTS, strict=True):
        assert clip.media_reference.target_url == path.resolve().as_uri()
        source = clip.source_range
        assert abs(source.start_time.to_seconds() - start / 1000) <= 1 / FPS
        assert abs(source.end_time_exclusive().to_seconds() - end / 1000) <= 1 / FPS
    if fmt != "edl":  # the sound too, on its own track
        assert len([c for t in timeline.audio_tracks() for c in t.find_clips()]) == len(MOMENTS)


def test_csv_and_json_of_the_moments(client, sample_video, collection):
    video, path = sample_video
    rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/collections/{collection}/export.csv").text)))
    assert [(r["video_id"], int(r["start_ms"]), int(r["end_ms"]), r["note"]) for r in rows] == [
        (video, s, e, f"take {n}") for n, (s, e) in enumerate(MOMENTS, 1)]
    data = json.loads(client.get(f"/v1/collections/{collection}/export.json").content)
    assert data["title"] == "My reel" and data["count"] == 3
    assert data["length_ms"] == sum(e - s for s, e in MOMENTS)
    assert data["moments"][0]["path"] == str(path) and data["moments"][0]["fps"] == FPS


def test_moments_given_one_by_one_and_a_hostile_note_in_csv(client, sample_video):
    video, _ = sample_video
    r = client.post("/v1/moments/export", json={"format": "csv", "moments": [
        {"video_id": video, "start_ms": 0, "end_ms": 500, "note": "=HYPERLINK(\"x\")"}]})
    assert r.status_code == 200, r.text
    assert list(csv.DictReader(io.StringIO(r.text)))[0]["note"] == "'=HYPERLINK(\"x\")"
    point = client.post("/v1/moments/export", json={"format": "json", "moments": [
        {"video_id": video, "start_ms": 3000}]}).json()
    assert (point["moments"][0]["start_ms"], point["moments"][0]["end_ms"]) == (3000, 4000)


def test_a_compilation_is_made_by_the_worker_and_lasts_its_moments(
        client, collection, settings, session_factory, tmp_path):
    r = client.post("/v1/compilations", json={"collection_id": collection, "title": "Reel"})
    assert r.status_code == 202, r.text
    made = r.json()
    assert made["state"] == "queued" and made["moments"] == 3 and made["file_url"] is None
    cid = made["compilation_id"]
    assert client.get(f"/v1/compilations/{cid}/file").status_code == 404  # not made yet
    assert execute_compilation(session_factory, uuid.UUID(cid), settings) == "ready"
    state = client.get(f"/v1/compilations/{cid}").json()
    assert state["state"] == "ready" and state["progress"] == 1 and state["copied"] == 3
    mp4 = client.get(state["file_url"])
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    out = tmp_path / "reel.mp4"
    out.write_bytes(mp4.content)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        times = sorted(float(p.pts * p.time_base) for p in c.demux(v) if p.pts is not None)
    duration = times[-1] + 1 / FPS - times[0]
    asked = sum(e - s for s, e in MOMENTS) / 1000
    gop = 3.0  # tests/data/sample.mp4: a keyframe every 3 s
    assert asked - 0.05 <= duration <= asked + len(MOMENTS) * gop, (duration, asked)
    assert client.delete(f"/v1/compilations/{cid}").status_code == 204
    assert client.get(f"/v1/compilations/{cid}").status_code == 404
    assert not list((settings.data_dir / "compilations").glob("*.mp4"))
    assert client.delete(f"/v1/compilations/{cid}").status_code == 404


def test_bad_exports_are_clear_4xx(client, sample_video, collection):
    video, _ = sample_video
    assert client.get(f"/v1/collections/{collection}/export.mov").status_code == 422
    assert client.get(f"/v1/collections/{uuid.uuid4()}/export.otio").status_code == 404
    empty = client.post("/v1/collections", json={"name": "empty"}).json()["collection_id"]
    assert client.get(f"/v1/collections/{empty}/export.otio").status_code == 422
    assert client.post("/v1/moments/export", json={"format": "otio"}).status_code == 422
    assert client.post("/v1/moments/export", json={"format": "otio", "collection_id": collection,
                                                   "moments": []}).status_code == 422
    assert client.post("/v1/moments/export", json={"format": "csv", "moments": [
        {"video_id": str(uuid.uuid4()), "start_ms": 0}]}).status_code == 404
    assert client.post("/v1/compilations", json={"moments": [
        {"video_id": video, "start_ms": 0, "end_ms": 5_000_000}]}).status_code == 422
    hour = client.post("/v1/compilations", json={"moments": [  # 301 x 12 s: over the hour
        {"video_id": video, "start_ms": 0, "end_ms": 12_000}] * 301})
    assert hour.status_code == 422 and "at most 60 minutes" in hour.text
    assert client.get(f"/v1/compilations/{uuid.uuid4()}").status_code == 404


def test_a_querys_results_export_and_compile(client, sample_video):
    from tests.factories import payload_for
    from tests.integration.api.test_api import _external_run

    video, path = sample_video
    _external_run(client, video, "transcript.segment", [
        (1000, 2000, payload_for("transcript.segment", text="the budget is late")),
        (5000, 6500, payload_for("transcript.segment", text="no budget today")),
        (8000, 9000, payload_for("transcript.segment", text="goodbye"))])
    r = client.post("/v1/moments/export", json={"format": "fcpxml", "query": 'said:"budget"',
                                                "title": "Budget"})
    assert r.status_code == 200, r.text
    timeline = otio.adapters.read_from_string(r.text, adapter_name="fcpx_xml")
    clips = [c for t in timeline.video_tracks() for c in t.find_clips()]
    assert all(c.media_reference.target_url == path.resolve().as_uri() for c in clips)
    spans = sorted((c.source_range.start_time.to_seconds(), c.source_range.end_time_exclusive().to_seconds())
                   for c in clips)
    assert len(spans) == 2
    for (start, end), (want_start, want_end) in zip(spans, [(1.0, 2.0), (5.0, 6.5)], strict=True):
        assert abs(start - want_start) <= 1 / FPS and abs(end - want_end) <= 1 / FPS
    made = client.post("/v1/compilations", json={"query": 'said:"budget"'})
    assert made.status_code == 202 and made.json()["moments"] == 2
    bad = client.post("/v1/moments/export", json={"format": "csv", "query": "said:("})
    assert bad.status_code == 422
