"""Collections through HTTP against real PostgreSQL: create, rename, add moments
and bookmarks across videos, remove, reorder, delete; a saved query is kept;
bad input is a clear 4xx."""

from __future__ import annotations

import uuid

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video


def _new(client, name="Reel", **body):
    r = client.post("/v1/collections", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()


def _spans(detail):
    return [(i["video_id"], i["start_ms"], i["end_ms"]) for i in detail["items"]]


def test_collection_lifecycle_across_videos(client, media_root):
    one, two = _video(client, media_root, "a.mp4", b"one"), _video(client, media_root, "b.mp4", b"two")
    c = _new(client, "  Best   takes ")
    assert c["name"] == "Best takes" and c["items"] == [] and c["query"] is None
    cid = c["collection_id"]
    r = client.post(f"/v1/collections/{cid}/items", json={"moments": [
        {"video_id": one, "start_ms": 1000, "end_ms": 3000, "note": "wave"},
        {"video_id": two, "start_ms": 500, "end_ms": 1500}]})
    assert r.status_code == 201, r.text
    mark = client.post(f"/v1/videos/{two}/bookmarks", json={"start_ms": 7000, "end_ms": 8000,
                                                            "note": "the dog"}).json()
    r = client.post(f"/v1/collections/{cid}/items",
                    json={"bookmark_ids": [mark["bookmark_id"]], "position": 0})
    detail = r.json()
    assert _spans(detail) == [(two, 7000, 8000), (one, 1000, 3000), (two, 500, 1500)]
    assert [i["position"] for i in detail["items"]] == [0, 1, 2]
    assert detail["items"][0]["note"] == "the dog" and detail["items"][0]["bookmark_id"]
    assert detail["item_count"] == 3 and detail["duration_ms"] == 1000 + 2000 + 1000
    assert [i["filename"] for i in detail["items"]] == ["b.mp4", "a.mp4", "b.mp4"]

    ids = [i["item_id"] for i in detail["items"]]
    r = client.put(f"/v1/collections/{cid}/order", json={"item_ids": [ids[2], ids[0], ids[1]]})
    assert r.status_code == 200, r.text
    assert _spans(r.json()) == [(two, 500, 1500), (two, 7000, 8000), (one, 1000, 3000)]

    r = client.delete(f"/v1/collections/{cid}/items/{ids[0]}")
    assert _spans(r.json()) == [(two, 500, 1500), (one, 1000, 3000)]
    assert [i["position"] for i in r.json()["items"]] == [0, 1]
    assert client.patch(f"/v1/collections/{cid}", json={"name": "Reel"}).json()["name"] == "Reel"
    assert [c["name"] for c in client.get("/v1/collections").json()["collections"]] == ["Reel"]
    assert client.delete(f"/v1/videos/{one}").status_code in (200, 204)
    assert _spans(client.get(f"/v1/collections/{cid}").json()) == [(two, 500, 1500)]
    assert client.delete(f"/v1/collections/{cid}").status_code == 204
    assert client.get(f"/v1/collections/{cid}").status_code == 404
    assert client.get(f"/v1/bookmarks/{mark['bookmark_id']}").status_code == 200


def _said(client, video, lines):
    _external_run(client, video, "transcript.segment",
                  [(s, e, payload_for("transcript.segment", text=t)) for s, e, t in lines])


def test_a_collection_saved_from_a_query_refreshes_as_new_videos_match(client, media_root):
    one = _video(client, media_root, "a.mp4", b"one")
    _said(client, one, [(0, 2000, "time for a walk"), (2000, 4000, "nothing here")])
    c = _new(client, "Walks", query='said:"walk"')
    assert c["query"] == 'said:"walk"' and c["refreshed_at"] is not None
    assert [(i["video_id"], i["start_ms"], i["from_query"]) for i in c["items"]] == [(one, 0, True)]
    cid = c["collection_id"]
    by_hand = client.post(f"/v1/collections/{cid}/items", json={"moments": [
        {"video_id": one, "start_ms": 3000, "end_ms": 3500}]}).json()
    assert len(by_hand["items"]) == 2

    two = _video(client, media_root, "b.mp4", b"two")
    _said(client, two, [(5000, 6000, "a long walk home")])
    r = client.post(f"/v1/collections/{cid}/refresh")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted((i["video_id"], i["start_ms"], i["from_query"]) for i in items) == sorted([
        (one, 0, True), (two, 5000, True), (one, 3000, False)])
    assert items[0]["from_query"] is False  # what a person added stays first
    again = client.post(f"/v1/collections/{cid}/refresh").json()["items"]
    assert len(again) == 3  # a refresh replaces what the query found, never adds it twice

    assert client.post("/v1/collections", json={"name": "bad", "query": "said:("}).status_code == 422
    plain = _new(client, "Plain")
    assert client.post(f"/v1/collections/{plain['collection_id']}/refresh").status_code == 409


def test_bad_collection_requests_are_clear_4xx(client, media_root):
    video = _video(client, media_root)
    cid = _new(client)["collection_id"]
    items = f"/v1/collections/{cid}/items"
    assert client.post("/v1/collections", json={"name": "   "}).status_code == 422
    assert client.post("/v1/collections", json={"name": "x" * 201}).status_code == 422
    assert client.post("/v1/collections", json={"name": "q", "query": " "}).status_code == 422
    assert client.post(items, json={}).status_code == 422
    assert client.post(items, json={"moments": [{"video_id": str(uuid.uuid4()), "start_ms": 0}]}
                       ).status_code == 404
    assert client.post(items, json={"moments": [{"video_id": video, "start_ms": 9, "end_ms": 1}]}
                       ).status_code == 422
    assert client.post(items, json={"bookmark_ids": [str(uuid.uuid4())]}).status_code == 404
    r = client.post(items, json={"moments": [{"video_id": video, "start_ms": 0}] * 2}).json()
    one = r["items"][0]["item_id"]
    assert client.put(f"/v1/collections/{cid}/order", json={"item_ids": [one]}).status_code == 422
    assert client.put(f"/v1/collections/{cid}/order", json={"item_ids": [one, one]}).status_code == 422
    assert client.delete(f"/v1/collections/{cid}/items/{uuid.uuid4()}").status_code == 404
    assert client.post(f"/v1/collections/{uuid.uuid4()}/items",
                       json={"moments": [{"video_id": video, "start_ms": 0}]}).status_code == 404
    assert client.post(items, json={"moments": [{"video_id": video, "start_ms": 0}] * 1001}
                       ).status_code == 422


def test_cli_bookmarks_and_collections(client, media_root, db_url, monkeypatch):
    import json

    from eioku.cli import app as cli
    from eioku.config import get_settings
    from typer.testing import CliRunner

    one, two = _video(client, media_root, "a.mp4", b"one"), _video(client, media_root, "b.mp4", b"two")
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()

        def run(*args):
            out = runner.invoke(cli, list(args))
            assert out.exit_code == 0, out.output
            return json.loads(out.output) if "--json" in args else out.output

        mark = run("bookmarks", "add", one, "2.5", "--to", "4", "-n", "the wave", "-t", "Best", "--json")
        assert (mark["start_ms"], mark["end_ms"], mark["tags"]) == (2500, 4000, ["best"])
        assert [b["bookmark_id"] for b in run("bookmarks", "list", "--tag", "best", "--json")["bookmarks"]] \
            == [mark["bookmark_id"]]
        made = run("collections", "create", "Reel", "--json")
        cid = made["collection_id"]
        run("collections", "add", cid, "--bookmark", mark["bookmark_id"])
        shown = run("collections", "add", cid, "--video", two, "--from", "1", "--to", "2", "--json")
        assert _spans(shown) == [(one, 2500, 4000), (two, 1000, 2000)]
        moved = run("collections", "move", cid, shown["items"][1]["item_id"], "1", "--json")
        assert _spans(moved) == [(two, 1000, 2000), (one, 2500, 4000)]
        assert run("collections", "rename", cid, "Final", "--json")["name"] == "Final"
        exported = json.loads(run("collections", "export", cid, "--format", "json"))
        assert [m["video_id"] for m in exported["moments"]] == [two, one]
        removed = run("collections", "remove", cid, moved["items"][0]["item_id"], "--json")
        assert _spans(removed) == [(one, 2500, 4000)]
        assert [c["name"] for c in run("collections", "list", "--json")["collections"]] == ["Final"]
        run("collections", "delete", cid)
        run("bookmarks", "delete", mark["bookmark_id"])
        assert run("bookmarks", "list", "--json")["bookmarks"] == []
        bad = runner.invoke(cli, ["collections", "show", str(uuid.uuid4())])
        assert bad.exit_code != 0 and "no collection" in bad.output
    finally:
        get_settings.cache_clear()
