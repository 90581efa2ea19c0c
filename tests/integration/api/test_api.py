"""Every endpoint through HTTP against real PostgreSQL, happy and error paths."""

from __future__ import annotations

import os
import uuid

import pytest
from eioku.api.schemas import FindOut

from tests.factories import payload_for
from tests.media import LOOPBACK, tiny_mp4


def _video(client, media_root, name="a.mp4", content=b"fake video bytes"):
    path = media_root / name
    path.write_bytes(content)
    r = client.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


def _external_run(client, video_id, artifact_type, items, profile="fast", complete=True):
    r = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": artifact_type, "producer": "my-analyzer", "producer_version": "2.1",
        "model_profile": profile, "config": {"threshold": 0.5}})
    assert r.status_code == 201, r.text
    run_id = r.json()["run_id"]
    assert r.json()["status"] == "running"
    r = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": s, "span_end_ms": e, "payload": p} for s, e, p in items]})
    assert r.status_code == 201, r.text
    assert r.json() == {"count": len(items)}
    if complete:
        assert client.post(f"/v1/runs/{run_id}/complete").json()["status"] == "completed"
    return run_id


def test_health(client):
    health = client.get("/healthz").json()
    assert {k: health[k] for k in ("status", "database")} == {"status": "ok", "database": "ok"}
    assert health["semantic_search"] in ("hnsw", "exact")


def test_register_list_get_delete(client, media_root):
    video_id = _video(client, media_root)
    again = client.post("/v1/videos", json={"path": str(media_root / "a.mp4")})
    assert again.status_code == 202 and again.json()["video_id"] == video_id
    assert again.json()["created"] is False
    (media_root / "copy.mp4").write_bytes(b"fake video bytes")  # same content, other name
    assert client.post("/v1/videos", json={"path": str(media_root / "copy.mp4")}).json()[
        "video_id"] == video_id
    page = client.get("/v1/videos", params={"limit": 10}).json()
    assert page["total"] == 1 and page["videos"][0]["video_id"] == video_id
    assert client.get(f"/v1/videos/{video_id}").json()["filename"] == "a.mp4"
    assert client.delete(f"/v1/videos/{video_id}").status_code == 204
    assert client.get(f"/v1/videos/{video_id}").status_code == 404
    assert (media_root / "a.mp4").exists()  # the user's file is never touched


@pytest.mark.parametrize(("make_path", "status"), [
    (lambda root, tmp: str(tmp / "outside.mp4"), 403),
    (lambda root, tmp: str(root / ".." / "outside.mp4"), 403),
    (lambda root, tmp: str(root / "missing.mp4"), 404),
    (lambda root, tmp: "relative/video.mp4", 400),
    (lambda root, tmp: str(root / "empty.mp4"), 400),
    (lambda root, tmp: str(root / "link.mp4"), 403),
    (lambda root, tmp: "/etc/passwd\x00.mp4", 400),
    (lambda root, tmp: str(root), 404),  # a directory, not a file
    (lambda root, tmp: str(root / "loop.mp4"), 400),  # a symlink loop
    (lambda root, tmp: str(root / ("x" * 300)), 400),  # a name longer than the file system takes
])
def test_register_rejects_bad_paths(client, media_root, tmp_path, make_path, status):
    (tmp_path / "outside.mp4").write_bytes(b"x")
    (media_root / "empty.mp4").write_bytes(b"")
    os.symlink(tmp_path / "outside.mp4", media_root / "link.mp4")  # points out of the root
    os.symlink(media_root / "loop.mp4", media_root / "loop.mp4")
    r = client.post("/v1/videos", json={"path": make_path(media_root, tmp_path)})
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert client.get("/v1/videos").json()["total"] == 0


def test_upload_and_size_limit(client, settings, tmp_path):
    clip = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
    r = client.post("/v1/videos/upload", files={"file": ("clip.mp4", clip, "video/mp4")})
    assert r.status_code == 202, r.text
    assert client.get(f"/v1/videos/{r.json()['video_id']}").json()["filename"] == "clip.mp4"
    too_big = client.post("/v1/videos/upload",
                          files={"file": ("big.mp4", b"x" * 20_000, "video/mp4")})
    assert too_big.status_code == 413
    assert len(list(settings.upload_dir.iterdir())) == 1  # the refused upload left nothing


def test_external_producer_flow_and_provenance(client, media_root):
    video_id = _video(client, media_root)
    run_id = _external_run(client, video_id, "object.detection", [
        (0, 500, payload_for("object.detection", label="dog")),
        (2000, 2500, payload_for("object.detection", label="cat"))], complete=False)
    # not visible before complete
    assert client.get(f"/v1/videos/{video_id}/artifacts", params={"type": "object.detection"}
                      ).json()["artifacts"] == []
    assert client.get(f"/v1/videos/{video_id}/jump",
                      params={"kind": "object", "label": "dog"}).status_code == 404
    client.post(f"/v1/runs/{run_id}/complete")
    arts = client.get(f"/v1/videos/{video_id}/artifacts",
                      params={"type": "object.detection"}).json()["artifacts"]
    assert [a["payload"]["label"] for a in arts] == ["dog", "cat"]
    full = client.get(f"/v1/artifacts/{arts[0]['artifact_id']}").json()
    assert full["producer"] == "my-analyzer" and full["run"]["config"] == {"threshold": 0.5}
    assert full["run"]["run_id"] == run_id and full["input_hash"].startswith("sha256:")
    runs = client.get(f"/v1/videos/{video_id}/runs").json()["runs"]
    assert [r["status"] for r in runs] == ["completed"]
    assert client.get(f"/v1/runs/{run_id}").json()["progress"] == 1
    # a completed run takes no more artifacts and cannot fail any more
    late = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": 0, "span_end_ms": 1, "payload": payload_for("object.detection")}]})
    assert late.status_code == 409
    assert client.post(f"/v1/runs/{run_id}/fail", json={"error": "x"}).status_code == 409


def test_invalid_batch_names_item_and_field_and_writes_nothing(client, media_root):
    video_id = _video(client, media_root)
    run_id = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": "scene", "producer": "p", "producer_version": "1"}).json()["run_id"]
    good = {"span_start_ms": 0, "span_end_ms": 10, "payload": payload_for("scene")}
    bad = {"span_start_ms": 20, "span_end_ms": 30, "payload": {**payload_for("scene"),
                                                                 "scene_index": "three"}}
    r = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [good, good, bad]})
    assert r.status_code == 422
    assert r.json()["item"] == 2 and r.json()["field"] == "payload.scene_index"
    reversed_span = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": 50, "span_end_ms": 10, "payload": payload_for("scene")}]})
    assert reversed_span.status_code == 422
    client.post(f"/v1/runs/{run_id}/complete")
    assert client.get(f"/v1/videos/{video_id}/artifacts").json()["artifacts"] == []
    fail = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": "no.such.type", "producer": "p", "producer_version": "1"})
    assert fail.status_code == 422


def test_failed_run_is_never_shown(client, media_root):
    video_id = _video(client, media_root)
    run_id = _external_run(client, video_id, "scene", [(0, 10, payload_for("scene"))],
                           complete=False)
    r = client.post(f"/v1/runs/{run_id}/fail", json={"error": "model crashed"})
    assert r.json()["status"] == "failed" and r.json()["error"] == "model crashed"
    assert client.get(f"/v1/videos/{video_id}/artifacts").json()["artifacts"] == []


def test_jump_and_find(client, media_root):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "scene", [
        (0, 1000, payload_for("scene", 0)), (1000, 3000, payload_for("scene", 1)),
        (3000, 4000, payload_for("scene", 2))])
    _external_run(client, video_id, "transcript.segment", [
        (500, 1500, payload_for("transcript.segment", text="please pay the invoice")),
        (2500, 2900, payload_for("transcript.segment", text="the weather is fine"))])
    _external_run(client, video_id, "ocr.text", [
        (1200, 2200, payload_for("ocr.text", text="INVOICE 2024"))])
    jump = client.get(f"/v1/videos/{video_id}/jump",
                      params={"kind": "scene", "from_ms": 1000}).json()
    assert jump["jump_to"] == {"start_ms": 3000, "end_ms": 4000} and jump["kind"] == "scene"
    prev = client.get(f"/v1/videos/{video_id}/jump",
                      params={"kind": "scene", "from_ms": 1000, "direction": "prev"}).json()
    assert prev["jump_to"]["start_ms"] == 0
    nothing = client.get(f"/v1/videos/{video_id}/jump", params={"kind": "scene", "from_ms": 3000})
    assert nothing.status_code == 404 and "no scene after 3000 ms" in nothing.json()["detail"]
    said = client.get(f"/v1/videos/{video_id}/jump",
                      params={"kind": "transcript", "text": "weather"}).json()
    assert said["jump_to"]["start_ms"] == 2500
    response = client.get(f"/v1/videos/{video_id}/find", params={"q": "invoice"})
    # the route writes its body as plain data: exactly what its documented model gives
    assert FindOut.model_validate_json(response.content).model_dump_json().encode() == response.content
    found = response.json()["matches"]
    assert [(m["source"], m["jump_to"]["start_ms"]) for m in found] == [
        ("transcript", 500), ("ocr", 1200)]
    assert "<mark>invoice</mark>" in found[0]["snippet"].lower()
    only_ocr = client.get(f"/v1/videos/{video_id}/find",
                          params={"q": "invoice", "source": "ocr"}).json()["matches"]
    assert [m["source"] for m in only_ocr] == ["ocr"]
    backwards = client.get(f"/v1/videos/{video_id}/find",
                           params={"q": "invoice", "direction": "prev", "from_ms": 5000}).json()
    assert [m["jump_to"]["start_ms"] for m in backwards["matches"]] == [1200, 500]


@pytest.mark.parametrize("q", ['"unbalanced', "a & | ! b", "-", "invoice)(*&^%$#@!", "ø∂ƒ©˙∆",
                               "' OR 1=1; DROP TABLE artifacts; --", "<script>", "🙂 invoice"])
def test_hostile_query_text_never_500(client, media_root, q):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "transcript.segment", [
        (0, 10, payload_for("transcript.segment", text="invoice"))])
    r = client.get(f"/v1/videos/{video_id}/find", params={"q": q})
    assert r.status_code in (200, 422), r.text
    r = client.get(f"/v1/videos/{video_id}/jump", params={"kind": "transcript", "text": q})
    assert r.status_code in (200, 404, 422), r.text
    assert client.get(f"/v1/videos/{video_id}/artifacts").json()["artifacts"]  # nothing lost


@pytest.mark.parametrize(("path", "params", "status"), [
    ("find", {"q": ""}, 422),
    ("find", {"q": "!!!"}, 422),
    ("find", {"q": "x" * 501}, 422),
    ("find", {"q": "a", "limit": 0}, 422),
    ("find", {"q": "a", "limit": 10**9}, 422),
    ("find", {"q": "a", "source": "radio"}, 422),
    ("jump", {"kind": "dream"}, 422),
    ("jump", {"kind": "scene", "from_ms": -5}, 422),
    ("jump", {"kind": "scene", "from_ms": 10**15}, 422),
    ("jump", {"kind": "scene", "label": "dog"}, 422),
    ("jump", {"kind": "object", "min_confidence": 2}, 422),
    ("jump", {"kind": "object", "label": "a\x00b"}, 422),
    ("artifacts", {"type": "nonsense"}, 422),
    ("artifacts", {"cursor": "garbage"}, 422),
    ("jump", {"kind": "scene", "selection": "profile"}, 422),
])
def test_absurd_parameters_are_4xx(client, media_root, path, params, status):
    video_id = _video(client, media_root)
    r = client.get(f"/v1/videos/{video_id}/{path}", params=params)
    assert r.status_code == status, r.text


def test_unknown_ids_are_404(client):
    missing = uuid.uuid4()
    for url in (f"/v1/videos/{missing}", f"/v1/runs/{missing}", f"/v1/artifacts/{missing}",
                f"/v1/videos/{missing}/runs", f"/v1/videos/{missing}/artifacts",
                f"/v1/videos/{missing}/find?q=a", f"/v1/videos/{missing}/jump?kind=scene",
                f"/v1/videos/{missing}/profiles", f"/v1/videos/{missing}/selection/scene"):
        assert client.get(url).status_code == 404, url
    assert client.get("/v1/videos/not-a-uuid").status_code == 422


def test_selection_changes_every_read_path(client, media_root):
    video_id = _video(client, media_root)
    fast = _external_run(client, video_id, "transcript.segment", [
        (100, 200, payload_for("transcript.segment", text="fast words"))], profile="fast")
    hq = _external_run(client, video_id, "transcript.segment", [
        (300, 400, payload_for("transcript.segment", text="careful words"))],
        profile="high_quality")
    newest = _external_run(client, video_id, "transcript.segment", [
        (500, 600, payload_for("transcript.segment", text="balanced words"))], profile="balanced")
    base = f"/v1/videos/{video_id}"

    def starts():
        arts = client.get(f"{base}/artifacts", params={"type": "transcript.segment"}).json()
        jump = client.get(f"{base}/jump", params={"kind": "transcript"}).json()
        find = client.get(f"{base}/find", params={"q": "words"}).json()["matches"]
        return ([a["span_start_ms"] for a in arts["artifacts"]], jump["jump_to"]["start_ms"],
                [m["jump_to"]["start_ms"] for m in find])

    assert starts() == ([500], 500, [500])  # default: newest completed run
    sel = client.get(f"{base}/selection/transcript.segment").json()
    assert sel["mode"] == "default" and sel["selected_run_id"] == newest
    for body, expected, run in (
        ({"mode": "best_quality"}, 300, hq),
        ({"mode": "profile", "preferred_profile": "fast"}, 100, fast),
        ({"mode": "pinned", "pinned_run_id": hq}, 300, hq),
        ({"mode": "latest"}, 500, newest),
    ):
        r = client.put(f"{base}/selection/transcript.segment", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["selected_run_id"] == run
        assert starts() == ([expected], expected, [expected])
    # a per-request override beats the stored policy
    over = client.get(f"{base}/jump", params={"kind": "transcript", "profile": "fast"}).json()
    assert over["jump_to"]["start_ms"] == 100
    profiles = client.get(f"{base}/profiles", params={"type": "transcript.segment"}).json()
    assert sorted(p["model_profile"] for p in profiles["profiles"]) == [
        "balanced", "fast", "high_quality"]


def test_pinning_a_foreign_run_is_422(client, media_root):
    a = _video(client, media_root, "a.mp4", b"aaa")
    b = _video(client, media_root, "b.mp4", b"bbb")
    run_b = _external_run(client, b, "scene", [(0, 1, payload_for("scene"))])
    run_a_ocr = _external_run(client, a, "ocr.text", [(0, 1, payload_for("ocr.text"))])
    for run in (run_b, run_a_ocr, str(uuid.uuid4())):
        r = client.put(f"/v1/videos/{a}/selection/scene",
                       json={"mode": "pinned", "pinned_run_id": run})
        assert r.status_code == 422, r.text
    assert client.put(f"/v1/videos/{a}/selection/scene", json={"mode": "profile"}).status_code == 422


def test_artifact_pagination(client, media_root):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "scene", [(i * 10, i * 10 + 5, payload_for("scene", i))
                                              for i in range(25)])
    seen, cursor = [], None
    while True:
        params = {"type": "scene", "limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/videos/{video_id}/artifacts", params=params).json()
        seen += [a["span_start_ms"] for a in page["artifacts"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i * 10 for i in range(25)]
    window = client.get(f"/v1/videos/{video_id}/artifacts",
                        params={"type": "scene", "from_ms": 52, "to_ms": 80}).json()
    assert [a["span_start_ms"] for a in window["artifacts"]] == [50, 60, 70]


def test_global_jump_walks_the_library_in_recording_order(client, media_root):
    first = _video(client, media_root, "1.mp4", b"one")
    second = _video(client, media_root, "2.mp4", b"two")
    for vid in (first, second):
        _external_run(client, vid, "object.detection", [
            (1000, 1500, payload_for("object.detection", label="dog")),
            (4000, 4500, payload_for("object.detection", label="cat"))])
    steps = []
    params = {"kind": "object", "label": "dog"}
    while True:
        r = client.get("/v1/jump/global", params=params)
        if r.status_code == 404:
            break
        hit = r.json()
        steps.append((hit["video_id"], hit["jump_to"]["start_ms"]))
        params = {**params, "from_video": hit["video_id"], "from_ms": hit["jump_to"]["start_ms"]}
    assert steps == [(first, 1000), (second, 1000)]
    back = client.get("/v1/jump/global", params={"kind": "object", "direction": "prev",
                                                  "from_video": second, "from_ms": 0}).json()
    assert (back["video_id"], back["jump_to"]["start_ms"]) == (first, 4000)


def test_next_dog_is_the_next_appearance_not_the_next_frame(client, media_root):
    """Sampled detections every 500 ms merge into appearances (default gap 2 s);
    jumping walks appearances, and the artifacts keep every frame."""
    video_id = _video(client, media_root)
    frames = [(t, t + 500, payload_for("object.detection", label="dog", frame_number=t // 40))
              for t in (1000, 1500, 2000, 2500, 4000, 9000, 9500)]  # 3000 missed: a 1.5 s gap
    frames.append((1500, 2000, payload_for("object.detection", label="cat")))
    _external_run(client, video_id, "object.detection", frames)
    base = f"/v1/videos/{video_id}"
    walk, params = [], {"kind": "object", "label": "dog"}
    while (r := client.get(f"{base}/jump", params=params)).status_code == 200:
        hit = r.json()
        walk.append((hit["jump_to"]["start_ms"], hit["jump_to"]["end_ms"], len(hit["artifact_ids"])))
        assert hit["labels"] == ["dog"]
        params["from_ms"] = hit["jump_to"]["start_ms"]
    assert r.status_code == 404
    assert walk == [(1000, 4500, 1), (9000, 10000, 1)]
    anything = client.get(f"{base}/jump", params={"kind": "object", "from_ms": 1000}).json()
    assert anything["labels"] == ["cat"] and anything["jump_to"] == {"start_ms": 1500, "end_ms": 2000}
    back = client.get(f"{base}/jump", params={"kind": "object", "direction": "prev",
                                              "from_ms": 9000}).json()
    assert back["jump_to"]["start_ms"] == 1500
    frame = client.get(f"{base}/jump", params={"kind": "object", "label": "dog", "from_ms": 1000,
                                               "granularity": "detection"}).json()
    assert frame["jump_to"] == {"start_ms": 1500, "end_ms": 2000}  # the next sampled detection
    assert client.get(f"{base}/jump", params={"kind": "object", "granularity": "frame"}
                      ).status_code == 422
    arts = client.get(f"{base}/artifacts", params={"type": "object.detection"}).json()["artifacts"]
    assert len(arts) == len(frames)  # frame-level detail is kept
    timeline = client.get(f"{base}/appearances", params={"kind": "object"}).json()
    assert [(a["label"], a["start_ms"], a["end_ms"], a["detections"])
            for a in timeline["appearances"]] == [
        ("dog", 1000, 4500, 5), ("cat", 1500, 2000, 1), ("dog", 9000, 10000, 2)]
    assert client.get(f"{base}/appearances", params={"kind": "scene"}).status_code == 422
    assert client.get(f"{base}/appearances", params={"kind": "object", "limit": 0}).status_code == 422


def test_people_across_the_library(client, media_root):
    first = _video(client, media_root, "1.mp4", b"one")
    second = _video(client, media_root, "2.mp4", b"two")
    face = lambda who: payload_for("face.detection", cluster_id=who)  # noqa: E731
    _external_run(client, first, "face.detection", [
        (1000, 2000, face("person-1")), (2000, 3000, face("person-1")), (9000, 9500, face("person-1")),
        (500, 900, face("person-2"))])
    _external_run(client, second, "face.detection", [(4000, 5000, face("person-1"))])
    people = client.get("/v1/faces").json()["people"]
    assert [(p["cluster_id"], p["videos"], p["appearances"], p["detections"]) for p in people] == [
        ("person-1", 2, 3, 4), ("person-2", 1, 1, 1)]
    assert (people[0]["first_video_id"], people[0]["first_seen_ms"]) == (first, 1000)
    walk = client.get("/v1/jump/global", params={"kind": "face", "face_cluster_id": "person-1",
                                                 "from_video": first, "from_ms": 1000}).json()
    assert (walk["video_id"], walk["jump_to"]["start_ms"]) == (first, 9000)
    assert client.get("/v1/faces", params={"limit": 1, "offset": 1}).json()["people"][0][
        "cluster_id"] == "person-2"
    assert client.get("/v1/faces", params={"limit": 0}).status_code == 422


def test_nul_characters_are_422_not_500(client, media_root):
    video_id = _video(client, media_root)
    run_id = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": "transcript.segment", "producer": "p", "producer_version": "1"}).json()[
        "run_id"]
    bad_text = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": 0, "span_end_ms": 1,
         "payload": payload_for("transcript.segment", text="a\x00b")}]})
    assert bad_text.status_code == 422
    # the six characters \u0000 (a backslash, then "u0000") are text, not a NUL: stored
    literal = "\\u0000 and \\\\u0000"
    ok = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": 0, "span_end_ms": 1, "payload": payload_for("transcript.segment",
                                                                       text=literal)}]})
    assert ok.status_code == 201, ok.text
    bad_producer = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": "scene", "producer": "p\x00", "producer_version": "1"})
    assert bad_producer.status_code == 422
    failed = client.post(f"/v1/runs/{run_id}/fail", json={"error": "\x00"})
    assert failed.status_code == 200 and failed.json()["error"] == "\\0"
    assert client.get("/healthz").status_code == 200


def test_an_oversized_upload_is_refused_while_it_streams(client, settings):
    """The limit holds without trusting Content-Length: a chunked body is cut off
    once it passes the limit, and nothing of it stays on disk."""
    sent = []

    def body():
        boundary = b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\r\n"
        yield boundary
        for _ in range(1000):  # 1,000 chunks of 10 KB: far past the 10 KB limit
            sent.append(1)
            yield b"x" * 10_000
        yield b"\r\n--xyz--\r\n"

    r = client.post("/v1/videos/upload", content=body(),
                    headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert r.status_code == 413, r.text
    assert "EIOKU_UPLOAD_MAX_BYTES" in r.json()["detail"]
    assert not settings.upload_dir.exists() or not list(settings.upload_dir.iterdir())
    declared = client.post("/v1/videos/upload", content=b"x",
                           headers={"content-type": "multipart/form-data; boundary=xyz",
                                    "content-length": str(10**9)})
    assert declared.status_code == 413
    missing = client.post("/v1/videos/upload", files={"other": ("a.mp4", b"abc", "video/mp4")})
    assert missing.status_code == 422 and "'file'" in missing.json()["detail"]


def test_reads_answer_the_same_without_the_apps_lifespan(settings, session_factory, media_root):
    """Driven without its lifespan (no read pool), the app's async reads connect
    per call and answer exactly as with the pool."""
    from eioku.api.app import create_app
    from fastapi.testclient import TestClient

    app = create_app(settings, session_factory)
    with TestClient(app, base_url=LOOPBACK) as pooled:
        video_id = _video(pooled, media_root)
        _external_run(pooled, video_id, "scene", [
            (0, 1000, payload_for("scene", 0)), (1000, 3000, payload_for("scene", 1))])
        with_pool = pooled.get(f"/v1/videos/{video_id}/jump", params={"kind": "scene", "from_ms": 0})
        assert app.state.reads.pool is not None
    # no `with`: the lifespan never runs
    bare = TestClient(create_app(settings, session_factory), base_url=LOOPBACK)
    without = bare.get(f"/v1/videos/{video_id}/jump", params={"kind": "scene", "from_ms": 0})
    assert with_pool.status_code == without.status_code == 200
    assert with_pool.json() == without.json()
    assert without.json()["jump_to"] == {"start_ms": 1000, "end_ms": 3000}
    missing = bare.get(f"/v1/videos/{uuid.uuid4()}/jump", params={"kind": "scene"})
    assert missing.status_code == 404


def test_query_models_keep_fastapis_contract(client, media_root):
    """Hot routes read their query with one model (api/query.py): the errors, the
    documentation and the handling of repeated or unknown parameters stay FastAPI's."""
    video_id = _video(client, media_root)
    bad = client.get(f"/v1/videos/{video_id}/jump", params={"kind": "dream", "from_ms": "x"})
    assert bad.status_code == 422
    locs = sorted(tuple(d["loc"]) for d in bad.json()["detail"])
    assert locs == [("query", "from_ms"), ("query", "kind")]
    missing = client.get(f"/v1/videos/{video_id}/find").json()["detail"]
    assert [(d["loc"], d["type"]) for d in missing] == [(["query", "q"], "missing")]
    # repeated: the last value wins; unknown parameters are ignored
    r = client.get(f"/v1/videos/{video_id}/jump?kind=dream&kind=scene&cache_buster=1")
    assert r.status_code in (200, 404), r.text
    operations = client.get("/openapi.json").json()["paths"]
    for path, expected in [
        ("/v1/videos/{video_id}/jump", {"video_id", "kind", "direction", "from_ms", "label",
                                        "face_cluster_id", "text", "min_confidence",
                                        "granularity", "selection", "profile"}),
        ("/v1/videos/{video_id}/find", {"video_id", "q", "source", "direction", "from_ms",
                                        "limit", "selection", "profile"}),
        ("/v1/jump/global", {"kind", "direction", "label", "q", "from_video", "from_ms",
                             "min_confidence"}),
    ]:
        parameters = operations[path]["get"]["parameters"]
        assert {p["name"] for p in parameters} == expected, path
        assert len(parameters) == len(expected), path  # each once
        for p in parameters:
            assert "$ref" not in str(p["schema"]), p  # enums inlined: each documents itself
    kind = next(p for p in operations["/v1/videos/{video_id}/jump"]["get"]["parameters"]
                if p["name"] == "kind")
    assert kind["required"] and "object" in kind["schema"]["enum"]
