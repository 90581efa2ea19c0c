"""The endpoints behind the web player, through HTTP against real PostgreSQL:
analysis of a registered video, Range streaming, thumbnails and scrub previews,
subtitles (parsed back with independent parsers), the JSON export, clips (read
back with PyAV), the timeline, boxes, library cards, search, the library event
stream, and deletion of uploads and cached files."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import threading
import uuid

import av
import pytest
import srt
import webvtt
from PIL import Image

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video
from tests.integration.api.test_events import _events
from tests.media import SAMPLE

SAMPLE_BYTES = SAMPLE.read_bytes()


@pytest.fixture
def sample(client, media_root):
    path = media_root / "sample.mp4"
    shutil.copyfile(SAMPLE, path)
    r = client.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


def test_analyze_queues_runs_and_never_duplicates_pending_ones(client, sample):
    r = client.post(f"/v1/videos/{sample}/analyze", json={"profile": "fast",
                                                           "analyzers": ["metadata", "scenes"]})
    assert r.status_code == 202, r.text
    run_ids = r.json()["run_ids"]
    runs = {x["run_id"]: x for x in client.get(f"/v1/videos/{sample}/runs").json()["runs"]}
    assert sorted(runs[i]["analyzer"] for i in run_ids) == ["metadata", "scenes"]
    assert all(runs[i]["status"] == "queued" for i in run_ids)
    again = client.post(f"/v1/videos/{sample}/analyze", json={"analyzers": ["scenes", "metadata"]})
    assert sorted(again.json()["run_ids"]) == sorted(run_ids)
    assert client.post(f"/v1/videos/{sample}/analyze", json={"analyzers": ["nope"]}).status_code == 422
    assert client.post(f"/v1/videos/{sample}/analyze", json={"profile": "ultra"}).status_code == 422
    assert client.post(f"/v1/videos/{uuid.uuid4()}/analyze", json={}).status_code == 404


def test_stream_serves_byte_ranges(client, sample):
    whole = client.get(f"/v1/videos/{sample}/stream")
    assert whole.status_code == 200 and whole.content == SAMPLE_BYTES
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(f"/v1/videos/{sample}/stream", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == SAMPLE_BYTES[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(SAMPLE_BYTES)}"
    tail = client.get(f"/v1/videos/{sample}/stream", headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == SAMPLE_BYTES[-100:]
    beyond = client.get(f"/v1/videos/{sample}/stream",
                        headers={"Range": f"bytes={len(SAMPLE_BYTES) + 10}-"})
    assert beyond.status_code == 416


def test_stream_rechecks_the_file_when_it_is_read(client, sample, media_root, tmp_path):
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"not yours")
    (media_root / "sample.mp4").unlink()
    assert client.get(f"/v1/videos/{sample}/stream").status_code == 404
    (media_root / "sample.mp4").symlink_to(outside)  # swapped for a link out of the roots
    r = client.get(f"/v1/videos/{sample}/stream")
    assert r.status_code == 403 and b"not yours" not in r.content
    assert client.get(f"/v1/videos/{sample}/thumbnail").status_code == 403


def _jpeg(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    return image


def _frame_at(t_s: float, size: tuple[int, int]) -> Image.Image:
    """Oracle: decode from the start and keep the last frame shown at t_s."""
    with av.open(str(SAMPLE)) as container:
        shown = None
        for frame in container.decode(video=0):
            if frame.time > t_s + 1e-6:
                break
            shown = frame
    assert shown is not None
    return shown.to_image().resize(size)


def _difference(a: Image.Image, b: Image.Image) -> float:
    pa, pb = list(a.convert("L").getdata()), list(b.convert("L").getdata())
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


def test_thumbnail_is_the_frame_at_that_time_and_cached(client, sample, settings):
    cat = _jpeg(client.get(f"/v1/videos/{sample}/thumbnail", params={"t_ms": 4500}).content)
    astronaut = _jpeg(client.get(f"/v1/videos/{sample}/thumbnail",
                                 params={"t_ms": 1500, "width": 160}).content)
    assert cat.size == (320, 180) and astronaut.size == (160, 90)
    assert _difference(cat, _frame_at(4.5, cat.size)) < 8
    assert _difference(astronaut, _frame_at(1.5, astronaut.size)) < 8
    assert _difference(cat, _frame_at(1.5, cat.size)) > 30  # another shot looks nothing like it
    assert len(list((settings.cache_dir / sample).glob("thumb-*.jpg"))) == 2
    assert client.get(f"/v1/videos/{sample}/thumbnail", params={"width": 5000}).status_code == 422
    assert client.get(f"/v1/videos/{sample}/thumbnail", params={"t_ms": -1}).status_code == 422


def test_scrub_previews_cover_the_video_and_point_into_sheets(client, sample):
    r = client.get(f"/v1/videos/{sample}/thumbnails.vtt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/vtt")
    cues = webvtt.from_buffer(io.StringIO(r.text))
    assert cues[0].start_in_seconds == 0
    assert cues[-1].end_in_seconds == pytest.approx(12.0, abs=0.05)
    sheets: dict[str, Image.Image] = {}
    for previous, cue in zip(cues, cues[1:], strict=False):
        assert cue.start_in_seconds == pytest.approx(previous.end_in_seconds)  # no gap, no overlap
    for cue in cues:
        match = re.fullmatch(r"(thumbnails/\d+\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)", cue.text)
        assert match, cue.text
        name = match.group(1)
        if name not in sheets:
            sheets[name] = _jpeg(client.get(f"/v1/videos/{sample}/{name}").content)
        x, y, w, h = map(int, match.groups()[1:])
        assert x + w <= sheets[name].width and y + h <= sheets[name].height
    assert client.get(f"/v1/videos/{sample}/thumbnails/99.jpg").status_code == 404


def test_subtitles_parse_back_with_independent_parsers(client, media_root):
    video = _video(client, media_root)
    long_text = ("This sentence is deliberately much longer than two subtitle lines can hold, "
                 "so it must be split into several cues that share its time span in order.")
    texts = ["Pay <b>now</b> & then --> later", "Ünïcödé façade 日本語", long_text]
    _external_run(client, video, "transcript.segment", [
        (1000, 2500, payload_for("transcript.segment", text=texts[0])),
        (3000, 4000, payload_for("transcript.segment", text=texts[1])),
        (3_600_000 + 5000, 3_600_000 + 20000, payload_for("transcript.segment", text=texts[2]))])
    vtt = client.get(f"/v1/videos/{video}/subtitles.vtt")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
    cues = webvtt.from_buffer(io.StringIO(vtt.text))
    assert "01:00:05.000 --> " in vtt.text  # hours written out
    assert "&lt;b&gt;now&lt;/b&gt; &amp; then --&gt; later" in vtt.text  # escaped, no tag, no arrow
    srt_text = client.get(f"/v1/videos/{video}/subtitles.srt").text
    assert "<b>" not in srt_text  # SRT has no escapes: a zero-width space after "<" (and "{")
    srt_cues = list(srt.parse(srt_text.replace("\u200b", "")))
    for parsed in ([html.unescape(c.text) for c in cues], [c.content for c in srt_cues]):
        assert " ".join(" ".join(parsed).split()) == " ".join(" ".join(texts).split())
    assert all(len(line) <= 42 for c in srt_cues for line in c.content.splitlines())
    assert all(len(c.content.splitlines()) <= 2 for c in srt_cues)
    long_cues = [c for c in srt_cues if c.start.total_seconds() >= 3600]
    assert len(long_cues) >= 2
    assert long_cues[0].start.total_seconds() == 3605 and long_cues[-1].end.total_seconds() == 3620
    assert all(a.end <= b.start for a, b in zip(long_cues, long_cues[1:], strict=False))
    assert [c.index for c in srt_cues] == list(range(1, len(srt_cues) + 1))
    assert client.get(f"/v1/videos/{uuid.uuid4()}/subtitles.vtt").status_code == 404


def test_webvtt_text_keeps_html_as_text(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "transcript.segment",
                  [(0, 1000, payload_for("transcript.segment", text="a < b & c > d"))])
    (cue,) = webvtt.from_buffer(io.StringIO(client.get(f"/v1/videos/{video}/subtitles.vtt").text))
    assert cue.raw_text == "a &lt; b &amp; c &gt; d"


def test_chapters_follow_the_selected_scenes(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "scene", [(0, 4000, payload_for("scene", 0)),
                                           (4000, 9000, payload_for("scene", 1))])
    cues = webvtt.from_buffer(io.StringIO(client.get(f"/v1/videos/{video}/chapters.vtt").text))
    assert [(c.start_in_seconds, c.end_in_seconds) for c in cues] == [(0, 4), (4, 9)]


def test_export_json_holds_every_selected_artifact_with_its_run(client, media_root):
    video = _video(client, media_root)
    old = _external_run(client, video, "scene", [(0, 1000, payload_for("scene", 0))])
    new = _external_run(client, video, "scene", [(0, 500, payload_for("scene", 0)),
                                                 (500, 1000, payload_for("scene", 1))])
    _external_run(client, video, "object.detection", [(100, 200, payload_for("object.detection"))])
    _external_run(client, video, "ocr.text", [(0, 10, payload_for("ocr.text"))], complete=False)
    r = client.get(f"/v1/videos/{video}/export.json")
    assert r.status_code == 200
    data = json.loads(r.content)
    assert data["video"]["video_id"] == video
    assert set(data["types"]) == {"scene", "object.detection"}  # the running OCR run is not shown
    scenes = data["types"]["scene"]
    assert scenes["run"]["run_id"] == new and scenes["run"]["producer"] == "my-analyzer"
    assert [a["span_start_ms"] for a in scenes["artifacts"]] == [0, 500]
    assert all(a["run_id"] == new and a["producer_version"] == "2.1" for a in scenes["artifacts"])
    client.put(f"/v1/videos/{video}/selection/scene", json={"mode": "pinned", "pinned_run_id": old})
    pinned = json.loads(client.get(f"/v1/videos/{video}/export.json").content)["types"]["scene"]
    assert pinned["selection"]["mode"] == "pinned" and pinned["run"]["run_id"] == old
    assert len(pinned["artifacts"]) == 1


@pytest.mark.parametrize(("from_ms", "to_ms", "method"), [(3000, 6000, "copy"), (1500, 4500, "reencode"),
                                                          (10_000, 12_000, "reencode")])
def test_clip_is_that_range_of_the_video(client, sample, settings, from_ms, to_ms, method):
    r = client.get(f"/v1/videos/{sample}/clip", params={"from_ms": from_ms, "to_ms": to_ms})
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as clip:
        duration = clip.duration / av.time_base
        assert {s.type for s in clip.streams} == {"video", "audio"}
        frames = list(clip.decode(video=0))
    assert abs(duration - (to_ms - from_ms) / 1000) <= 0.25  # within a GOP (the sample cuts are keyframes)
    assert len(frames) == pytest.approx((to_ms - from_ms) / 40, abs=3)  # 25 fps
    cached = list((settings.cache_dir / sample).glob("clip-*.mp4"))
    assert len(cached) == 1
    from eioku.media.clips import make_clip

    assert make_clip(SAMPLE, settings.cache_dir / "check.mp4", from_ms, to_ms) == method


def test_clip_refuses_bad_ranges(client, sample, settings):
    assert client.get(f"/v1/videos/{sample}/clip", params={"from_ms": 5000, "to_ms": 5000}).status_code == 422
    too_long = client.get(f"/v1/videos/{sample}/clip",
                          params={"from_ms": 0, "to_ms": settings.clip_max_s * 1000 + 1})
    assert too_long.status_code == 422 and "EIOKU_CLIP_MAX_S" in too_long.json()["detail"]
    assert client.get(f"/v1/videos/{sample}/clip", params={"from_ms": 0}).status_code == 422


def test_corrupt_file_gets_a_clear_error(client, media_root):
    video = _video(client, media_root, "broken.mp4", b"\x00\x00\x00\x18ftypisom" + b"junk" * 100)
    for path in ("thumbnail", "thumbnails.vtt", "clip?from_ms=0&to_ms=1000"):
        r = client.get(f"/v1/videos/{video}/{path}")
        assert r.status_code == 422, (path, r.text)
        assert "broken.mp4" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_timeline_and_boxes_come_from_the_selected_runs(client, sample):
    bbox = {"x": 64.0, "y": 36.0, "w": 320.0, "h": 180.0}  # in a 640x360 analysed frame
    _external_run(client, sample, "scene", [(0, 3000, payload_for("scene", 0)),
                                            (3000, 12000, payload_for("scene", 1))])
    _external_run(client, sample, "object.detection", [
        (s, s + 1000, payload_for("object.detection", label=label, confidence=c, bbox=bbox))
        for s, label, c in ((0, "dog", 0.9), (1000, "dog", 0.7), (8000, "dog", 0.6), (4000, "cat", 0.8))])
    _external_run(client, sample, "transcript.segment",
                  [(500, 2000, payload_for("transcript.segment", text="hello there"))])
    data = client.get(f"/v1/videos/{sample}/timeline").json()
    assert data["fps"] == 25.0
    rows = {(r["kind"], r["key"]): r for r in data["rows"]}
    scenes = rows[("scene", None)]["items"]
    assert [(i["start_ms"], i["end_ms"]) for i in scenes] == [(0, 3000), (3000, 12000)]
    dog = rows[("object", "dog")]["items"]
    assert [(i["start_ms"], i["end_ms"], i["confidence"]) for i in dog] == [(0, 2000, 0.9), (8000, 9000, 0.6)]
    assert list(rows)[1] == ("object", "dog")  # the longest on screen comes first
    assert rows[("transcript", None)]["items"][0]["text"] == "hello there"
    boxes = client.get(f"/v1/videos/{sample}/boxes", params={"t_ms": 1500}).json()["boxes"]
    assert [(b["label"], b["x"], b["y"], b["w"], b["h"]) for b in boxes] == [("dog", 0.1, 0.1, 0.5, 0.5)]
    assert client.get(f"/v1/videos/{sample}/boxes", params={"t_ms": 2500}).json()["boxes"] == []


def test_library_cards_count_what_was_found(client, media_root, sample):
    other = _video(client, media_root, "b.mp4", b"other bytes")
    _external_run(client, sample, "scene", [(0, 3000, payload_for("scene", 0)),
                                            (3000, 12000, payload_for("scene", 1))])
    _external_run(client, sample, "object.detection", [
        (0, 1000, payload_for("object.detection", label="dog")),
        (5000, 6000, payload_for("object.detection", label="cat"))])
    client.post(f"/v1/videos/{other}/analyze", json={"analyzers": ["metadata"]})
    cards = {c["video"]["video_id"]: c for c in client.get("/v1/library").json()["cards"]}
    assert (cards[sample]["scenes"], cards[sample]["objects"], cards[sample]["people"]) == (2, 2, 0)
    assert cards[sample]["poster_ms"] == 1500  # the middle of the first scene
    assert (cards[sample]["completed"], cards[sample]["active"]) == (2, 0)
    assert (cards[other]["runs"], cards[other]["active"], cards[other]["completed"]) == (1, 1, 0)


def test_search_finds_words_labels_and_names_across_the_library(client, media_root, session_factory):
    a = _video(client, media_root, "a.mp4", b"a")
    b = _video(client, media_root, "b.mp4", b"b")
    _external_run(client, a, "transcript.segment",
                  [(1000, 2000, payload_for("transcript.segment", text="please pay the invoice"))])
    _external_run(client, b, "ocr.text", [(500, 900, payload_for("ocr.text", text="INVOICE 7"))])
    _external_run(client, b, "object.detection", [(0, 1000, payload_for("object.detection", label="Dog"))])
    hits = client.get("/v1/search", params={"q": "invoice"}).json()["hits"]
    assert {(h["video_id"], h["source"], h["start_ms"]) for h in hits} == {
        (a, "transcript", 1000), (b, "ocr", 500)}
    assert all("<mark>" in h["snippet"].lower() for h in hits)
    dogs = client.get("/v1/search", params={"q": "dog"}).json()["hits"]
    assert [(h["source"], h["label"]) for h in dogs] == [("object", "dog")]
    only_a = client.get("/v1/search", params={"q": "invoice", "video_id": a}).json()["hits"]
    assert [h["video_id"] for h in only_a] == [a]
    for hostile in ("'; DROP TABLE videos; --", "a & | ! (", "\"unterminated", "日本語", "<script>"):
        assert client.get("/v1/search", params={"q": hostile}).status_code in (200, 422), hostile
    for nothing in ("-invoice", "!!!", " "):
        assert client.get("/v1/search", params={"q": nothing}).status_code == 422, nothing
    assert client.get("/v1/videos").json()["total"] == 2


def test_library_events_stream_runs_of_every_video(client, media_root, session_factory):
    from eioku.store.uow import UnitOfWork

    a = _video(client, media_root, "a.mp4", b"a")
    b = _video(client, media_root, "b.mp4", b"b")
    run_a = client.post(f"/v1/videos/{a}/analyze", json={"analyzers": ["metadata"]}).json()["run_ids"][0]
    connected = threading.Event()

    def work():
        connected.wait(30)
        run_b = client.post(f"/v1/videos/{b}/analyze", json={"analyzers": ["metadata"]}).json()["run_ids"][0]
        with UnitOfWork(session_factory) as uow:
            uow.runs.start(uuid.UUID(run_b))
            uow.runs.set_progress(uuid.UUID(run_b), 0.25)
            uow.commit()

    threading.Thread(target=work, daemon=True).start()
    seen = []
    with client.stream("GET", "/v1/events", params={"timeout_s": 20}) as stream:
        lines = stream.iter_lines()
        for event, data in _events(lines):
            assert event == "run"
            seen.append((data["asset_id"], data["status"], data["progress"]))
            if data["run_id"] == run_a:
                connected.set()
            if (b, "running", 0.25) in seen:
                break
    assert (a, "queued", 0.0) in seen and (b, "running", 0.25) in seen


def test_deleting_a_video_removes_its_upload_and_cache_but_never_a_users_file(client, settings, sample,
                                                                              media_root):
    assert client.get(f"/v1/videos/{sample}/thumbnail").status_code == 200
    assert (settings.cache_dir / sample).is_dir()
    assert client.delete(f"/v1/videos/{sample}").status_code == 204
    assert not (settings.cache_dir / sample).exists()
    assert (media_root / "sample.mp4").is_file()  # registered by path: the user's own file
    settings.upload_max_bytes = 10_000_000
    up = client.post("/v1/videos/upload", files={"file": ("up.mp4", SAMPLE_BYTES, "video/mp4")}).json()
    (stored,) = list(settings.upload_dir.iterdir())
    assert client.delete(f"/v1/videos/{up['video_id']}").status_code == 204
    assert not stored.exists()


def test_status_shows_waiting_jobs_per_queue_and_no_worker(client, sample):
    client.post(f"/v1/videos/{sample}/analyze", json={"analyzers": ["metadata", "scenes", "quality"]})
    out = client.get("/v1/status").json()
    queues = {q["queue"]: q for q in out["queues"]}
    assert queues["analysis.metadata"]["waiting"] == 1
    assert queues["analysis.frames"]["waiting"] == 1  # scenes and quality: one frame pass
    assert queues["analysis.frames"]["oldest_waiting_s"] >= 0
    assert out["runs"]["queued"] == 3 and out["workers"]["alive"] == 0
    assert "no worker is alive" in out["hint"]
