"""The player's run selector pins a scene run (PUT /selection/scene): "next dog"
and the timeline answer at the new cuts at once (issue 25, item 8)."""

from __future__ import annotations

from tests.factories import payload_for


def _video(client, media_root):
    path = media_root / "a.mp4"
    path.write_bytes(b"fake video bytes")
    r = client.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


def _run(client, video_id, artifact_type, items, profile):
    r = client.post(f"/v1/videos/{video_id}/runs", json={
        "artifact_type": artifact_type, "producer": "my-analyzer", "producer_version": "1",
        "model_profile": profile, "config": {}})
    assert r.status_code == 201, r.text
    run_id = r.json()["run_id"]
    r = client.post(f"/v1/runs/{run_id}/artifacts", json={"artifacts": [
        {"span_start_ms": s, "span_end_ms": e, "payload": p} for s, e, p in items]})
    assert r.status_code == 201, r.text
    assert client.post(f"/v1/runs/{run_id}/complete").json()["status"] == "completed"
    return run_id


def test_pinning_a_scene_run_re_merges_appearances_at_its_cuts(client, media_root):
    video = _video(client, media_root)
    base = f"/v1/videos/{video}"
    _run(client, video, "object.detection", [
        (2000, 2500, payload_for("object.detection", label="dog")),
        (3500, 4000, payload_for("object.detection", label="dog"))], "fast")
    _run(client, video, "face.detection", [
        (2000, 2500, payload_for("face.detection", cluster_id="person-x")),
        (3500, 4000, payload_for("face.detection", cluster_id="person-x"))], "fast")
    cut_at_3s = _run(client, video, "scene", [(0, 3000, payload_for("scene", 0)),
                                               (3000, 9000, payload_for("scene", 1))], "fast")
    _run(client, video, "scene", [(0, 9000, payload_for("scene", 0))], "balanced")  # newest: shown

    def dogs():
        items = client.get(f"{base}/appearances", params={"kind": "object"}).json()["appearances"]
        return [(a["start_ms"], a["end_ms"]) for a in items]

    def next_after(kind, label, from_ms):
        r = client.get(f"{base}/jump", params={"kind": kind, "label": label, "from_ms": from_ms})
        return r.json()["jump_to"]["start_ms"] if r.status_code == 200 else r.status_code

    assert dogs() == [(2000, 4000)]  # one shot: one appearance
    assert next_after("object", "dog", 2000) == 404
    r = client.put(f"{base}/selection/scene", json={"mode": "pinned", "pinned_run_id": cut_at_3s})
    assert r.status_code == 200 and r.json()["selected_run_id"] == cut_at_3s
    assert dogs() == [(2000, 2500), (3500, 4000)]  # the cut at 3 s splits it
    assert next_after("object", "dog", 2000) == 3500
    assert next_after("face", "person-x", 2000) == 3500
    # a per-request selection picks the detection run; the cuts stay the stored scene run's
    over = client.get(f"{base}/appearances", params={"kind": "object", "selection": "latest"}).json()
    assert [(a["start_ms"], a["end_ms"]) for a in over["appearances"]] == [(2000, 2500), (3500, 4000)]
    assert client.put(f"{base}/selection/scene", json={"mode": "default"}).status_code == 200
    assert dogs() == [(2000, 4000)]
    assert next_after("object", "dog", 2000) == 404
