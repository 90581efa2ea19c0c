"""Voices across the library over HTTP and the CLI: speakers of two videos
matched into voices by their embeddings, renamed, merged and unmerged like
people; a voice linked to the face on screen while it speaks (and not to a
face shown only in silence), one name for both, links made and undone by hand."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from sqlalchemy import text
from typer.testing import CliRunner

from tests.factories import add_run, add_video, payload_for, store_run

RNG = np.random.default_rng(29)


def _unit(v: np.ndarray) -> list[float]:
    return [round(float(x), 4) for x in v / np.linalg.norm(v)]


A, B, C = (RNG.normal(size=192) for _ in range(3))  # three voices


def _near(v: np.ndarray) -> list[float]:  # the same voice in another recording
    return _unit(v + 0.3 * np.linalg.norm(v) / np.sqrt(192) * RNG.normal(size=192))


def _speakers(uow: UnitOfWork, video_id: uuid.UUID, turns: list[tuple[int, int, str, list[float]]]):
    return store_run(uow, video_id, "speaker.turn", [(s, e) for s, e, _, _ in turns],
                     payloads=[payload_for("speaker.turn", i, speaker=who, embedding=emb)
                               for i, (_, _, who, emb) in enumerate(turns)], version="2")


def _faces(uow: UnitOfWork, video_id: uuid.UUID, shown: dict[str, list[tuple[int, int]]]) -> dict[str, str]:
    """Faces runs as the worker writes them: local clusters joined to identities."""
    run = add_run(uow, video_id, "face.detection")
    faces = {c: np.eye(128)[i] for i, c in enumerate(shown)}
    mapping = uow.faces.assign("test-faces", {c: [list(v)] for c, v in faces.items()}, 0.5, run.run_id)
    items = [{"span_start_ms": t, "span_end_ms": t + 500,
              "payload": payload_for("face.detection", 0, cluster_id=mapping[c], frame_number=t // 40)}
             for c, spans in shown.items() for s, e in spans for t in range(s, e, 500)]
    uow.artifacts.batch_create(run, items)
    uow.runs.complete(run.run_id)
    return mapping


@pytest.fixture
def library(session_factory) -> dict[str, object]:
    with UnitOfWork(session_factory) as uow:
        one = add_video(uow, duration_ms=60_000).video_id
        two = add_video(uow, duration_ms=60_000).video_id
        # video one: A (Speaker 1) in four turns, B (Speaker 2) in three
        _speakers(uow, one, [(0, 5000, "Speaker 1", _near(A)), (5000, 9000, "Speaker 2", _near(B)),
                             (9000, 15000, "Speaker 1", _near(A)), (15000, 20000, "Speaker 2", _near(B)),
                             (20000, 26000, "Speaker 1", _near(A)), (26000, 30000, "Speaker 2", _near(B)),
                             (30000, 36000, "Speaker 1", _near(A))])
        store_run(uow, one, "transcript.segment", [(0, 5000), (5000, 9000)],
                  payloads=[payload_for("transcript.segment", 0, text="the budget is late"),
                            payload_for("transcript.segment", 1, text="the budget again")])
        # A's face while A speaks; a second face only in the silence after everyone
        people = _faces(uow, one, {"a": [(0, 5000), (9000, 15000), (20000, 26000), (30000, 36000)],
                                   "quiet": [(40_000, 50_000)]})
        # video two: B first (Speaker 1 here), then a new voice C; no faces
        _speakers(uow, two, [(0, 8000, "Speaker 1", _near(B)), (8000, 16000, "Speaker 2", _near(C))])
        store_run(uow, two, "transcript.segment", [(1000, 7000), (9000, 15000)],
                  payloads=[payload_for("transcript.segment", 0, text="budget from B"),
                            payload_for("transcript.segment", 1, text="budget from C")])
        uow.commit()
    return {"one": one, "two": two, "a": people["a"], "quiet": people["quiet"]}


def _voices(client) -> dict[str, dict]:
    r = client.get("/v1/voices")
    assert r.status_code == 200, r.text
    return {v["voice_id"]: v for v in r.json()["voices"]}


def _voice_of(client, video, speaker) -> str:
    speakers = client.get(f"/v1/videos/{video}/speakers").json()["speakers"]
    return next(s["voice_id"] for s in speakers if s["speaker"] == speaker)


def test_speakers_are_matched_across_videos(client, library):
    voices = _voices(client)
    assert len(voices) == 3
    b = _voice_of(client, library["one"], "Speaker 2")
    assert _voice_of(client, library["two"], "Speaker 1") == b  # the same voice in both videos
    assert voices[b]["videos"] == 2 and voices[b]["talk_ms"] == 4000 + 5000 + 4000 + 8000
    a, c = _voice_of(client, library["one"], "Speaker 1"), _voice_of(client, library["two"], "Speaker 2")
    assert len({a, b, c}) == 3 and voices[c]["videos"] == 1


def test_rename_merge_unmerge_like_people(client, library):
    _voices(client)
    b = _voice_of(client, library["two"], "Speaker 1")
    c = _voice_of(client, library["two"], "Speaker 2")
    assert client.patch(f"/v1/voices/{b}", json={"name": "Bob"}).json()["shown_as"] == "Bob"
    assert client.patch(f"/v1/voices/{c}", json={"name": "bob"}).status_code == 409
    # the name works wherever a speaker is asked for, in every video
    for video, start in ((library["one"], 5000), (library["two"], 0)):
        hit = client.get(f"/v1/videos/{video}/jump", params={"kind": "speaker", "label": "bob"}).json()
        assert hit["jump_to"]["start_ms"] == start
    said = client.get("/v1/search", params={"q": "budget", "mode": "keyword", "speaker": "Bob"}).json()
    assert sorted((h["start_ms"], h["label"]) for h in said["hits"]) == [(1000, "Bob"), (5000, "Bob")]
    rows = client.get(f"/v1/videos/{library['two']}/timeline").json()["rows"]
    assert [r["title"] for r in rows if r["kind"] == "speaker"] == ["Bob", c]
    # C merged into Bob: C's speech is Bob's; undone, it is C's again
    merged = client.post(f"/v1/voices/{c}/merge", json={"into": "Bob"}).json()
    assert merged["voice_id"] == b and merged["merged_voices"] == [c]
    assert client.get(f"/v1/voices/{c}").json()["voice_id"] == b  # a merged-away id: the survivor
    said = client.get("/v1/search", params={"q": "budget", "mode": "keyword", "speaker": "Bob"}).json()
    assert sorted(h["start_ms"] for h in said["hits"]) == [1000, 5000, 9000]
    assert c not in _voices(client) and _voices(client)[b]["merged_voices"] == [c]
    assert client.post(f"/v1/voices/{c}/unmerge").json()["merged_into"] is None
    said = client.get("/v1/search", params={"q": "budget", "mode": "keyword", "speaker": "Bob"}).json()
    assert sorted(h["start_ms"] for h in said["hits"]) == [1000, 5000]
    assert client.post(f"/v1/voices/{c}/unmerge").status_code == 409
    assert client.get("/v1/voices/nobody").status_code == 404


def test_the_face_on_screen_while_a_voice_speaks_is_its_person(client, library):
    voices = _voices(client)
    a = _voice_of(client, library["one"], "Speaker 1")
    assert (voices[a]["person_id"], voices[a]["link"]) == (library["a"], "auto")
    # the face shown only in silence, and the voices never heard with a face, stay apart
    assert [v for v in voices.values() if v["person_id"] is not None] == [voices[a]]
    # one name for both: the person renamed names the voice; "Alice" finds her speech
    assert client.patch(f"/v1/people/{library['a']}", json={"name": "Alice"}).status_code == 200
    assert client.get(f"/v1/voices/{a}").json()["shown_as"] == "Alice"
    hit = client.get(f"/v1/videos/{library['one']}/jump",
                     params={"kind": "speaker", "label": "Alice", "from_ms": 0}).json()
    assert hit["jump_to"]["start_ms"] == 9000
    said = client.get("/v1/search", params={"q": "budget", "mode": "keyword", "speaker": "alice"}).json()
    assert [(h["start_ms"], h["label"]) for h in said["hits"]] == [(0, "Alice")]
    # the voice renamed names the person
    assert client.patch(f"/v1/voices/{a}", json={"name": "Alicia"}).json()["shown_as"] == "Alicia"
    assert client.get(f"/v1/people/{library['a']}").json()["name"] == "Alicia"
    # undone by hand, the link stays undone; made by hand, it is kept
    assert client.post(f"/v1/voices/{a}/unlink").json()["person_id"] is None
    assert _voices(client)[a]["person_id"] is None
    assert client.post(f"/v1/voices/{a}/unlink").status_code == 409
    linked = client.post(f"/v1/voices/{a}/link", json={"person": library["quiet"]}).json()
    assert (linked["person_id"], linked["link"]) == (library["quiet"], "user")
    assert _voices(client)[a]["person_id"] == library["quiet"]


def test_cli_voices(client, library, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(cli, ["voices", "list", "--json"])
        assert out.exit_code == 0, out.output
        listed = json.loads(out.output)["voices"]
        assert len(listed) == 3 and listed[0]["talk_ms"] >= listed[-1]["talk_ms"]
        c = _voice_of(client, library["two"], "Speaker 2")
        out = runner.invoke(cli, ["voices", "rename", c, "Carol", "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["shown_as"] == "Carol"
        b = _voice_of(client, library["two"], "Speaker 1")
        out = runner.invoke(cli, ["voices", "merge", "Carol", b])
        assert out.exit_code == 0 and b in out.output
        out = runner.invoke(cli, ["voices", "unmerge", c, "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["merged_into"] is None
        out = runner.invoke(cli, ["voices", "link", "Carol", library["quiet"], "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["link"] == "user"
        out = runner.invoke(cli, ["voices", "unlink", "Carol", "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["person_id"] is None
    finally:
        get_settings.cache_clear()


def test_a_voices_turns_across_the_library(client, library):
    _voices(client)
    b = _voice_of(client, library["one"], "Speaker 2")
    out = client.get(f"/v1/voices/{b}/turns").json()
    assert (out["voice_id"], out["total"], out["videos"]) == (b, 4, 2)
    by_video = [(t["video_id"], t["speaker"], t["start_ms"], t["end_ms"]) for t in out["turns"]]
    assert sorted(by_video) == sorted([(str(library["one"]), "Speaker 2", s, e)
                                       for s, e in ((5000, 9000), (15000, 20000), (26000, 30000))]
                                      + [(str(library["two"]), "Speaker 1", 0, 8000)])
    order = [(t["video_id"], t["start_ms"]) for t in out["turns"]]  # grouped by video, then in time
    assert sum(a[0] != b[0] for a, b in zip(order, order[1:], strict=False)) == 1
    assert all(a[1] < b[1] for a, b in zip(order, order[1:], strict=False) if a[0] == b[0])
    assert client.get(f"/v1/voices/{b}").json()["turns"] == 4
    page = client.get(f"/v1/voices/{b}/turns", params={"limit": 1, "offset": 3}).json()
    assert page["total"] == 4 and len(page["turns"]) == 1
    # a merged voice's turns are the survivor's; by name too
    c = _voice_of(client, library["two"], "Speaker 2")
    client.patch(f"/v1/voices/{b}", json={"name": "Bob"})
    client.post(f"/v1/voices/{c}/merge", json={"into": b})
    assert client.get("/v1/voices/bob/turns").json()["total"] == 5
    assert client.get("/v1/voices/nobody/turns").status_code == 404
    assert client.get(f"/v1/voices/{b}/turns", params={"limit": 0}).status_code == 422


def test_a_named_voice_linked_by_hand_gives_the_person_its_name(client, library):
    _voices(client)
    c = _voice_of(client, library["two"], "Speaker 2")
    assert client.patch(f"/v1/voices/{c}", json={"name": "Carol"}).status_code == 200
    linked = client.post(f"/v1/voices/{c}/link", json={"person": library["quiet"]}).json()
    assert (linked["name"], linked["shown_as"], linked["person_name"]) == (None, "Carol", "Carol")
    assert client.get(f"/v1/people/{library['quiet']}").json()["name"] == "Carol"
    # the person renamed: the voice follows
    client.patch(f"/v1/people/{library['quiet']}", json={"name": "Caroline"})
    assert client.get(f"/v1/voices/{c}").json()["shown_as"] == "Caroline"
    # a person who has a name keeps it: the voice linked by hand takes the person's
    b = _voice_of(client, library["two"], "Speaker 1")
    client.patch(f"/v1/voices/{b}", json={"name": "Bobby"})
    linked = client.post(f"/v1/voices/{b}/link", json={"person": "Caroline"}).json()
    assert (linked["name"], linked["shown_as"]) == (None, "Caroline")


def _external_speakers(client, video, turns):
    run = client.post(f"/v1/videos/{video}/runs", json={
        "artifact_type": "speaker.turn", "producer": "my-diarizer", "producer_version": "1",
        "model_profile": "fast", "config": {}}).json()["run_id"]
    r = client.post(f"/v1/runs/{run}/artifacts", json={"artifacts": [
        {"span_start_ms": s, "span_end_ms": e, "schema_version": 1,
         "payload": {"speaker": who, "confidence": 0.9, "embedding": emb}} for s, e, who, emb in turns]})
    assert r.status_code == 201, r.text
    return client.post(f"/v1/runs/{run}/complete")


def test_an_external_speakers_run_joins_voices_as_it_completes(client, library, session_factory):
    _voices(client)
    before = set(_voices(client))
    # an external diarizer with the same kind of embeddings: its speaker joins voice B at completion
    done = _external_speakers(client, library["two"], [(20_000, 25_000, "spk-b", _near(B))])
    assert done.status_code == 200, done.text
    with UnitOfWork(session_factory) as uow:
        joined = uow.session.execute(text("SELECT voice_id FROM voice_members m JOIN runs r USING (run_id) "
                                          "WHERE r.producer = 'my-diarizer'")).scalar_one()
    assert joined == _voice_of(client, library["one"], "Speaker 2")
    # embeddings of another size (another model): never compared with the library's, no error;
    # turns of one speaker in two sizes keep the first size
    done = _external_speakers(client, library["two"], [(30_000, 32_000, "x", [1.0, 0.0, 0.5]),
                                                       (32_000, 33_000, "x", [0.2] * 7)])
    assert done.status_code == 200, done.text
    voices = _voices(client)
    assert len(set(voices) - before) == 1
