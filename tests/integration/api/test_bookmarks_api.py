"""Bookmarks through HTTP against real PostgreSQL: a marked point or range is a
run of producer user that the timeline, find and jump show at once; a new
analysis leaves it as it is; edits and deletes rebuild it; bad input is 4xx."""

from __future__ import annotations

import uuid

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video


def _mark(client, video, **body):
    return client.post(f"/v1/videos/{video}/bookmarks", json=body)


def _row(client, video):
    rows = client.get(f"/v1/videos/{video}/timeline").json()["rows"]
    return [r for r in rows if r["kind"] == "bookmark"]


def test_a_bookmark_is_a_user_run_shown_by_timeline_find_and_jump(client, media_root):
    video = _video(client, media_root)
    point = _mark(client, video, start_ms=1500, note="The dog jumps", tags=["Dog", " dog ", "#Best"])
    assert point.status_code == 201, point.text
    assert point.json()["end_ms"] == 1500 and point.json()["tags"] == ["dog", "best"]
    span = _mark(client, video, start_ms=4000, end_ms=9000, note="budget talk")
    assert span.status_code == 201

    runs = client.get(f"/v1/videos/{video}/runs").json()["runs"]
    user = [r for r in runs if r["artifact_type"] == "bookmark"]
    assert len(user) == 1 and user[0]["producer"] == "user" and user[0]["status"] == "completed"

    row = _row(client, video)
    assert len(row) == 1 and row[0]["title"] == "Bookmarks"
    assert [(i["start_ms"], i["end_ms"], i["text"]) for i in row[0]["items"]] == [
        (1500, 1500, "The dog jumps"), (4000, 9000, "budget talk")]

    found = client.get(f"/v1/videos/{video}/find", params={"q": "budget", "source": "bookmark"})
    assert found.status_code == 200, found.text
    assert [(m["jump_to"]["start_ms"], m["source"]) for m in found.json()["matches"]] == [(4000, "bookmark")]
    by_tag = client.get(f"/v1/videos/{video}/find", params={"q": "best"}).json()["matches"]
    assert [m["jump_to"]["start_ms"] for m in by_tag] == [1500]

    jump = client.get(f"/v1/videos/{video}/jump", params={"kind": "bookmark", "from_ms": 2000})
    assert jump.status_code == 200, jump.text
    assert jump.json()["jump_to"]["start_ms"] == 4000


def test_re_analysis_leaves_bookmarks_and_edits_rebuild_them(client, media_root):
    video = _video(client, media_root)
    b = _mark(client, video, start_ms=100, end_ms=200, note="first").json()
    _external_run(client, video, "transcript.segment",
                  [(0, 1000, payload_for("transcript.segment", text="hello there"))])
    _external_run(client, video, "transcript.segment",
                  [(0, 1000, payload_for("transcript.segment", text="hello again"))], profile="balanced")
    assert [i["text"] for i in _row(client, video)[0]["items"]] == ["first"]

    edited = client.patch(f"/v1/bookmarks/{b['bookmark_id']}", json={"note": "renamed", "end_ms": 900})
    assert edited.status_code == 200 and edited.json()["end_ms"] == 900
    assert [(i["end_ms"], i["text"]) for i in _row(client, video)[0]["items"]] == [(900, "renamed")]
    assert client.get(f"/v1/videos/{video}/bookmarks").json()["bookmarks"][0]["note"] == "renamed"

    assert client.delete(f"/v1/bookmarks/{b['bookmark_id']}").status_code == 204
    assert _row(client, video) == []
    assert client.get(f"/v1/bookmarks/{b['bookmark_id']}").status_code == 404
    assert not [r for r in client.get(f"/v1/videos/{video}/runs").json()["runs"]
                if r["artifact_type"] == "bookmark"]


def test_library_bookmarks_by_tag(client, media_root):
    one, two = _video(client, media_root, "a.mp4", b"one"), _video(client, media_root, "b.mp4", b"two")
    _mark(client, one, start_ms=0, tags=["reel"])
    _mark(client, two, start_ms=5, tags=["reel", "dog"])
    _mark(client, two, start_ms=9)
    assert len(client.get("/v1/bookmarks").json()["bookmarks"]) == 3
    reel = client.get("/v1/bookmarks", params={"tag": "REEL"}).json()["bookmarks"]
    assert sorted(b["video_id"] for b in reel) == sorted([one, two])


def test_bad_bookmarks_are_clear_4xx(client, media_root):
    video = _video(client, media_root)
    assert _mark(client, str(uuid.uuid4()), start_ms=0).status_code == 404
    assert _mark(client, video, start_ms=500, end_ms=100).status_code == 422
    assert _mark(client, video, start_ms=-1).status_code == 422
    assert _mark(client, video, start_ms=0, end_ms=7 * 3_600_000).status_code == 422
    assert _mark(client, video, start_ms=0, note="x" * 2001).status_code == 422
    assert _mark(client, video, start_ms=0, note="a\x00b").status_code == 422
    assert _mark(client, video, start_ms=0, tags=[f"t{i}" for i in range(21)]).status_code == 422
    assert _mark(client, video, start_ms=0, tags=["x" * 51]).status_code == 422
    assert _mark(client, video, start_ms=0, color="red").status_code == 422
    assert client.patch(f"/v1/bookmarks/{uuid.uuid4()}", json={"note": "x"}).status_code == 404
    assert client.delete(f"/v1/bookmarks/{uuid.uuid4()}").status_code == 404
    assert client.get("/v1/bookmarks", params={"limit": 0}).status_code == 422


def test_a_bookmarked_video_is_still_not_analysed_in_the_library(client, media_root):
    video = _video(client, media_root)
    _mark(client, video, start_ms=0, note="before any analysis")
    card = client.get("/v1/library", params={"status": "not_analysed"}).json()["cards"]
    assert [c["video"]["video_id"] for c in card] == [video]
    assert card[0]["runs"] == 0 and card[0]["completed"] == 0
    assert client.get("/v1/library", params={"status": "analysed"}).json()["cards"] == []


def test_bookmarks_are_a_kind_of_the_combined_query_language(client, media_root):
    one, two = _video(client, media_root, "a.mp4", b"one"), _video(client, media_root, "b.mp4", b"two")
    _mark(client, one, start_ms=1000, end_ms=3000, note="the budget meeting")
    _mark(client, two, start_ms=0, end_ms=500, tags=["budget"])
    _mark(client, two, start_ms=4000, end_ms=6000, note="lunch")
    r = client.post("/v1/query", json={"q": "bookmark:budget", "order": "time"})
    assert r.status_code == 200, r.text
    found = sorted((m["video_id"], m["start_ms"], m["end_ms"]) for m in r.json()["moments"])
    assert found == sorted([(one, 1000, 3000), (two, 0, 500)])
