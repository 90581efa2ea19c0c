"""Corrections through HTTP against real PostgreSQL: an edited line is what find,
keyword search, jump, the timeline, subtitles and export.json show; it stays
over a new analysis of another profile; undo brings back the machine's text;
a removed label leaves the timeline and jump and comes back on undo; bad input
is a clear 4xx; the state-changing routes are guarded like the others."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import webvtt
from eioku.api.app import create_app
from eioku.config import Settings
from fastapi.testclient import TestClient

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video
from tests.media import LOOPBACK

LINES = [(0, 2000, "the invoice is due"), (2000, 4000, "see you on fryday"),
         (4000, 6000, "bring the contract")]


def _transcript(client, video, lines=LINES, profile="fast"):
    return _external_run(client, video, "transcript.segment", [
        (s, e, payload_for("transcript.segment", text=t)) for s, e, t in lines], profile=profile)


def _lines(client, video):
    r = client.get(f"/v1/videos/{video}/corrections/lines")
    assert r.status_code == 200, r.text
    return r.json()["lines"]


def _find(client, video, q):
    r = client.get(f"/v1/videos/{video}/find", params={"q": q, "source": "transcript"})
    assert r.status_code in (200, 404), r.text
    matches = r.json().get("matches", []) if r.status_code == 200 else []
    return [m["snippet"].replace("<mark>", "").replace("</mark>", "") for m in matches]


def _cues(client, video):
    vtt = client.get(f"/v1/videos/{video}/subtitles.vtt").text
    return [c.text for c in webvtt.from_buffer(io.StringIO(vtt))]


def _export_texts(client, video):
    data = json.loads(client.get(f"/v1/videos/{video}/export.json").content)
    return [a["payload"]["text"] for a in data["types"]["transcript.segment"]["artifacts"]]


def _edit(client, video, artifact_id, **body):
    return client.post(f"/v1/videos/{video}/corrections/lines",
                       json={"artifact_id": artifact_id, **body})


def test_an_edited_line_is_what_every_read_shows_and_undo_brings_the_machine_back(client, media_root):
    video = _video(client, media_root)
    _transcript(client, video)
    line = _lines(client, video)[1]
    assert line["text"] == "see you on fryday" and line["correction_id"] is None
    r = _edit(client, video, line["artifact_id"], text="  see you on   Friday ")
    assert r.status_code == 201, r.text
    correction = r.json()["correction"]
    assert correction["kind"] == "segment" and correction["author"] == "local user"
    assert correction["value"]["text"] == "see you on Friday"
    assert correction["origin"]["text"] == "see you on fryday" and correction["in_force"]

    shown = _lines(client, video)
    assert [x["text"] for x in shown] == ["the invoice is due", "see you on Friday", "bring the contract"]
    assert shown[1]["correction_id"] == correction["correction_id"]
    assert shown[1]["machine_text"] == "see you on fryday"
    assert _find(client, video, "friday") == ["see you on Friday"]
    assert _find(client, video, "fryday") == []
    assert "see you on Friday" in _cues(client, video)
    assert "see you on fryday" not in _cues(client, video)
    assert "see you on Friday" in _export_texts(client, video)
    exported = json.loads(client.get(f"/v1/videos/{video}/export.json").content)["types"]
    assert exported["transcript.segment"]["run"]["producer"] == "user"  # provenance: who changed it
    assert exported["transcript.segment"]["run"]["config"]["authors"] == ["local user"]
    hits = client.get("/v1/search", params={"q": "friday", "mode": "keyword"}).json()
    assert [h["snippet"] for h in hits["hits"]] == ["see you on <mark>Friday</mark>"], hits
    runs = client.get(f"/v1/videos/{video}/runs").json()
    user = [r for r in runs["runs"] if r["producer"] == "user"]
    assert len(user) == 1 and user[0]["run_id"] == r.json()["run_id"]
    timeline = client.get(f"/v1/videos/{video}/timeline").json()
    speech = next(row for row in timeline["rows"] if row["kind"] == "transcript")
    assert [i["text"] for i in speech["items"]][1] == "see you on Friday"

    # a correction of the corrected line, then undo one at a time
    again = _edit(client, video, shown[1]["artifact_id"], text="See you on Friday!", end_ms=3900)
    assert again.status_code == 201, again.text
    assert again.json()["correction"]["origin"]["text"] == "see you on fryday"
    assert [(x["text"], x["end_ms"]) for x in _lines(client, video)][1] == ("See you on Friday!", 3900)
    undo = client.post(f"/v1/videos/{video}/corrections/{again.json()['correction']['correction_id']}/undo")
    assert undo.status_code == 200, undo.text
    assert _lines(client, video)[1]["text"] == "see you on Friday"
    undo = client.post(f"/v1/videos/{video}/corrections/{correction['correction_id']}/undo")
    assert undo.status_code == 200 and undo.json()["run_id"] is None
    assert [x["text"] for x in _lines(client, video)] == [t for _, _, t in LINES]
    assert _find(client, video, "fryday") == ["see you on fryday"]
    assert "see you on fryday" in _cues(client, video)
    listed = client.get(f"/v1/videos/{video}/corrections").json()["corrections"]
    assert [c["undone_by"] for c in listed] == ["local user", "local user"]
    assert not any(c["in_force"] for c in listed)
    again_undo = client.post(f"/v1/videos/{video}/corrections/{correction['correction_id']}/undo")
    assert again_undo.status_code == 409


def test_a_correction_stays_over_a_new_analysis_of_another_profile(client, media_root):
    video = _video(client, media_root)
    _transcript(client, video)
    line = _lines(client, video)[1]
    _edit(client, video, line["artifact_id"], text="see you on Friday", start_ms=2100)
    # another profile cuts the speech differently: the corrected line's middle still decides
    other = [(0, 1900, "the invoice is dew"), (1900, 4100, "see you on fry day"),
             (4100, 6000, "bring the contract")]
    new_run = _transcript(client, video, other, profile="balanced")
    shown = _lines(client, video)
    assert [x["text"] for x in shown] == ["the invoice is dew", "see you on Friday", "bring the contract"]
    assert shown[1]["start_ms"] == 2100
    assert _find(client, video, "friday") == ["see you on Friday"]
    assert "see you on Friday" in _cues(client, video)
    user_run = client.get(f"/v1/videos/{video}/selection/transcript.segment").json()["selected_run_id"]
    assert client.get(f"/v1/runs/{user_run}").json()["config"]["base_run_id"] == new_run
    # the policy picks the fast run again: the correction is applied to it
    client.put(f"/v1/videos/{video}/selection/transcript.segment",
               json={"mode": "profile", "preferred_profile": "fast"})
    assert [x["text"] for x in _lines(client, video)][0] == "the invoice is due"
    assert _find(client, video, "friday") == ["see you on Friday"]


def test_a_removed_label_leaves_the_timeline_and_jump_and_comes_back_on_undo(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "object.detection", [
        (1000, 2000, payload_for("object.detection", 1, label="toilet")),
        (5000, 6000, payload_for("object.detection", 5, label="dog")),
        (8000, 9000, payload_for("object.detection", 8, label="Toilet"))])

    def rows():
        timeline = client.get(f"/v1/videos/{video}/timeline").json()
        return {row["key"] for row in timeline["rows"] if row["kind"] == "object"}

    def jump(label):
        return client.get(f"/v1/videos/{video}/jump",
                          params={"kind": "object", "label": label, "from_ms": 0}).status_code

    assert rows() == {"toilet", "dog"} and jump("toilet") == 200
    r = client.post(f"/v1/videos/{video}/corrections/labels",
                    json={"artifact_type": "object.detection", "label": "Toilet", "action": "remove"})
    assert r.status_code == 201, r.text
    assert rows() == {"dog"} and jump("toilet") == 404 and jump("dog") == 200
    # a new analysis finds the toilet again: it stays removed
    _external_run(client, video, "object.detection", [
        (1000, 2000, payload_for("object.detection", 1, label="toilet")),
        (3000, 4000, payload_for("object.detection", 3, label="bench"))], profile="balanced")
    assert rows() == {"bench"} and jump("toilet") == 404
    rename = client.post(f"/v1/videos/{video}/corrections/labels",
                         json={"artifact_type": "object.detection", "label": "bench",
                               "action": "rename", "to": "Bollard"})
    assert rename.status_code == 201, rename.text
    assert rows() == {"bollard"} and jump("bollard") == 200 and jump("bench") == 404
    hits = client.get("/v1/search", params={"q": "bollard", "mode": "keyword"}).json()["hits"]
    assert [(h["source"], h["label"]) for h in hits] == [("object", "bollard")]
    assert client.get("/v1/search", params={"q": "bench", "mode": "keyword"}).json()["hits"] == []
    client.post(f"/v1/videos/{video}/corrections/{r.json()['correction']['correction_id']}/undo")
    assert rows() == {"toilet", "bollard"} and jump("toilet") == 200
    client.post(f"/v1/videos/{video}/corrections/{rename.json()['correction']['correction_id']}/undo")
    assert rows() == {"toilet", "bench"}


def test_bad_corrections_are_clear_4xx(client, media_root):
    video = _video(client, media_root)
    other = _video(client, media_root, name="b.mp4", content=b"other bytes")
    _transcript(client, video)
    _transcript(client, other)
    objects = _external_run(client, video, "object.detection",
                            [(0, 1000, payload_for("object.detection", label="dog"))])
    line = _lines(client, video)[0]["artifact_id"]
    their_line = _lines(client, other)[0]["artifact_id"]
    detection = client.get(f"/v1/videos/{video}/artifacts",
                           params={"type": "object.detection"}).json()["artifacts"][0]
    assert detection["run_id"] == objects
    cases = [
        ({"artifact_id": line, "text": "   "}, 422, "empty"),
        ({"artifact_id": line, "text": "x" * 6000}, 422, "at most 5000"),
        ({"artifact_id": line, "text": "x" * 30_000}, 422, None),
        ({"artifact_id": line, "start_ms": 5000, "end_ms": 1000}, 422, "not after"),
        ({"artifact_id": line, "start_ms": -5}, 422, None),
        ({"artifact_id": line, "start_ms": 0, "end_ms": 11 * 60_000}, 422, "too long"),
        ({"artifact_id": line, "text": "the invoice is due"}, 422, "nothing to change"),
        ({"artifact_id": line}, 422, "give text"),
        ({"artifact_id": str(uuid.uuid4()), "text": "hi"}, 404, "no transcript line"),
        ({"artifact_id": their_line, "text": "hi"}, 422, "another video"),
        ({"artifact_id": line, "text": "hi", "speaker": "x"}, 422, None),
        ({"artifact_id": "not-a-uuid", "text": "hi"}, 422, None),
    ]
    cases.append(({"artifact_id": detection["artifact_id"], "text": "hi"}, 422, "not a transcript line"))
    for body, status, words in cases:
        r = client.post(f"/v1/videos/{video}/corrections/lines", json=body)
        assert r.status_code == status, (body, r.text)
        if words:
            assert words in r.text, (body, r.text)
    labels = [
        ({"artifact_type": "object.detection", "label": "unicorn", "action": "remove"}, 404),
        ({"artifact_type": "scene", "label": "dog", "action": "remove"}, 422),
        ({"artifact_type": "object.detection", "label": "dog", "action": "rename"}, 422),
        ({"artifact_type": "object.detection", "label": "dog", "action": "rename", "to": " DOG "}, 422),
        ({"artifact_type": "object.detection", "label": "dog", "action": "remove", "to": "x"}, 422),
        ({"artifact_type": "object.detection", "label": "  ", "action": "remove"}, 422),
    ]
    for body, status in labels:
        r = client.post(f"/v1/videos/{video}/corrections/labels", json=body)
        assert r.status_code == status, (body, r.text)
    assert client.post(f"/v1/videos/{uuid.uuid4()}/corrections/lines",
                       json={"artifact_id": line, "text": "hi"}).status_code == 404
    assert client.post(f"/v1/videos/{video}/corrections/{uuid.uuid4()}/undo").status_code == 404
    assert client.get(f"/v1/videos/{video}/corrections").json()["corrections"] == []


def test_corrections_need_the_token_and_a_same_origin_browser(tmp_path, media_root, session_factory):
    settings = Settings(data_dir=tmp_path / "data", media_roots=[media_root], database_url=None,
                        api_token="s3cret")
    with TestClient(create_app(settings, session_factory), base_url=LOOPBACK) as c:
        auth = {"Authorization": "Bearer s3cret"}
        path = media_root / "t.mp4"
        path.write_bytes(b"token video")
        video = c.post("/v1/videos", json={"path": str(path)}, headers=auth).json()["video_id"]
        run = c.post(f"/v1/videos/{video}/runs", headers=auth, json={
            "artifact_type": "transcript.segment", "producer": "p", "producer_version": "1",
            "model_profile": "fast"}).json()["run_id"]
        c.post(f"/v1/runs/{run}/artifacts", headers=auth, json={"artifacts": [
            {"span_start_ms": 0, "span_end_ms": 900, "payload": payload_for("transcript.segment")}]})
        c.post(f"/v1/runs/{run}/complete", headers=auth)
        line = c.get(f"/v1/videos/{video}/corrections/lines", headers=auth).json()["lines"][0]
        body = {"artifact_id": line["artifact_id"], "text": "hello there"}
        assert c.post(f"/v1/videos/{video}/corrections/lines", json=body).status_code == 401
        assert c.get(f"/v1/videos/{video}/corrections").status_code == 401
        foreign = c.post(f"/v1/videos/{video}/corrections/lines", json=body,
                         headers={**auth, "Sec-Fetch-Site": "cross-site"})
        assert foreign.status_code == 403
        ok = c.post(f"/v1/videos/{video}/corrections/lines", json=body, headers=auth)
        assert ok.status_code == 201 and ok.json()["correction"]["author"] == "token holder"


@pytest.mark.parametrize("producer", ["user", "USER"])
def test_nobody_else_writes_runs_of_producer_user(client, media_root, producer):
    video = _video(client, media_root)
    r = client.post(f"/v1/videos/{video}/runs", json={
        "artifact_type": "transcript.segment", "producer": producer, "producer_version": "1",
        "model_profile": "fast"})
    assert r.status_code == 422 and "corrections" in r.text


def test_a_pinned_machine_run_is_shown_corrected_and_its_own_words_stay_readable(client, media_root):
    video = _video(client, media_root)
    first = _transcript(client, video)
    line = _lines(client, video)[2]
    _edit(client, video, line["artifact_id"], text="bring the signed contract")
    _transcript(client, video, [(0, 6000, "one long line")], profile="balanced")
    # the long line's middle (3 s) is outside the corrected line (4-6 s): both are shown
    assert [x["text"] for x in _lines(client, video)] == ["one long line", "bring the signed contract"]
    r = client.put(f"/v1/videos/{video}/selection/transcript.segment",
                   json={"mode": "pinned", "pinned_run_id": first})
    assert r.status_code == 200, r.text
    selected = r.json()["selected_run_id"]
    assert client.get(f"/v1/runs/{selected}").json()["config"]["base_run_id"] == first
    assert [x["text"] for x in _lines(client, video)][2] == "bring the signed contract"
    machine = client.get(f"/v1/artifacts/{line['artifact_id']}").json()
    assert machine["payload"]["text"] == "bring the contract" and machine["run_id"] == first


@pytest.mark.models
def test_search_by_meaning_finds_the_corrected_line_and_undo_brings_the_machine_vector_back(
        client, media_root):
    from eioku.services import search

    video = _video(client, media_root)
    machine = [(0, 3000, "welcome to the tour of the station"),
               (3000, 6000, "see you on fryday at the harbour"),
               (6000, 9000, "the motorcycle stands in the garage")]
    _transcript(client, video, machine)
    shown = _lines(client, video)
    _external_run(client, video, "text.embedding", [
        (x["start_ms"], x["end_ms"], {"source": "transcript", "text": x["text"], "model": "all-MiniLM-L6-v2",
                                      "vector": search.embed_query(x["text"]),
                                      "source_artifact_id": x["artifact_id"]}) for x in shown])

    def by_meaning(q):
        r = client.get("/v1/search", params={"q": q, "mode": "semantic", "scope": "video",
                                             "video_id": video, "weak": "true"})
        assert r.status_code == 200, r.text
        return [h["snippet"] for h in r.json()["hits"]]

    query = "paying the invoice before the deadline"
    assert not any("invoice" in s for s in by_meaning(query))
    r = _edit(client, video, shown[1]["artifact_id"], text="Please pay the invoice before Friday noon")
    assert r.status_code == 201 and "vector" not in r.json()["correction"]["value"]
    hits = by_meaning(query)
    assert hits and hits[0] == "Please pay the invoice before Friday noon", hits
    assert not any("fryday" in s for s in by_meaning("see you on fryday at the harbour"))
    client.post(f"/v1/videos/{video}/corrections/{r.json()['correction']['correction_id']}/undo")
    assert not any("invoice" in s for s in by_meaning(query))
    assert "see you on fryday at the harbour" in by_meaning("see you on fryday at the harbour")
