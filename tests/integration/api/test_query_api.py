"""POST /v1/query and `eioku query`: the same moments for the text and JSON
forms, from the API and the CLI; bad input is a 4xx saying where."""

from __future__ import annotations

import json
import uuid

import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import add_video, payload_for, store_run


@pytest.fixture
def library(session_factory):
    """Two videos: a dog on a beach while 'budget' is said in one, a dog in a park in the other."""
    with UnitOfWork(session_factory) as uow:
        one = add_video(uow, duration_ms=30_000).video_id
        two = add_video(uow, duration_ms=30_000).video_id
        for v, place in ((one, "beach"), (two, "park")):
            store_run(uow, v, "object.detection", [(2_000, 6_000), (20_000, 21_000)],
                      payloads=[payload_for("object.detection", i, label="dog") for i in range(2)])
            store_run(uow, v, "place.classification", [(0, 10_000)],
                      payloads=[payload_for("place.classification", label=place)])
        store_run(uow, one, "transcript.segment", [(5_000, 8_000), (25_000, 26_000)],
                  payloads=[payload_for("transcript.segment", text=t) for t in ("the budget", "welcome")])
        uow.commit()
    return {"one": str(one), "two": str(two)}


def _moments(body):
    return [(m["video_id"], m["start_ms"], m["end_ms"]) for m in body["moments"]]


def test_text_and_json_give_the_same_moments(client, library):
    text = client.post("/v1/query", json={"q": "object:dog AND place:beach"})
    assert text.status_code == 200, text.text
    body = text.json()
    assert _moments(body) == [(library["one"], 2_000, 6_000)]
    assert body["query"] == "object:dog AND place:beach"
    assert body["parts"] == [{"text": "object:dog", "words": "Object: dog"},
                             {"text": "place:beach", "words": "Place: beach"}]
    as_json = client.post("/v1/query", json={"query": body["tree"]}).json()
    assert as_json == body
    # WITHIN joins; NOT subtracts; one video; order by time
    within = client.post("/v1/query", json={"q": 'object:dog AND said:"budget" WITHIN 15s', "order": "time"})
    # pairs: dog 2-6 s with budget 5-8 s (overlapping), dog 20-21 s 12 s after it: joined, they touch
    assert _moments(within.json()) == [(library["one"], 2_000, 21_000)]
    within = client.post("/v1/query", json={"q": 'object:dog AND said:"budget" WITHIN 10s'})
    assert _moments(within.json()) == [(library["one"], 2_000, 8_000)]
    alone = client.post("/v1/query", json={"q": 'said:* AND NOT object:*', "video_id": library["one"]})
    assert _moments(alone.json()) == [(library["one"], 6_000, 8_000), (library["one"], 25_000, 26_000)]
    library_wide = client.post("/v1/query", json={"q": "object:dog", "limit": 1}).json()
    assert library_wide["total"] == 4 and len(library_wide["moments"]) == 1
    assert library_wide["moments"][0]["end_ms"] - library_wide["moments"][0]["start_ms"] == 4_000


def test_the_cli_answers_as_the_api(client, library, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        for q in ("object:dog AND place:beach", "object:dog OR said:*", 'said:welcome AFTER object:dog'):
            api = client.post("/v1/query", json={"q": q}).json()
            out = runner.invoke(cli, ["query", q, "--json"])
            assert out.exit_code == 0, out.output
            assert json.loads(out.output) == api
        tree = tmp_path / "q.json"
        tree.write_text(json.dumps({"and": [{"kind": "object", "value": "dog"},
                                            {"kind": "place", "value": "park"}]}))
        out = runner.invoke(cli, ["query", "--tree", str(tree), "--video", library["two"], "--json"])
        assert out.exit_code == 0 and _moments(json.loads(out.output)) == [(library["two"], 2_000, 6_000)]
        table = runner.invoke(cli, ["query", "object:dog AND place:beach"])
        assert table.exit_code == 0 and "0:02.000" in table.output and "1 moment" in table.output
        bad = runner.invoke(cli, ["query", "object:dog AND"])
        assert bad.exit_code == 2 and "ends too soon" in bad.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"q": "person:Alice AND budget"}, 422, "kind:value"),
    ({"q": "colour:red"}, 422, "unknown kind"),
    ({"q": "said:x", "query": {"kind": "said"}}, 422, "one of them"),
    ({}, 422, "one of them"),
    ({"q": "x" * 1001}, 422, "at most 1000"),
    ({"q": "said:x", "limit": 0}, 422, "limit"),
    ({"q": "said:x", "video_id": "nope"}, 422, "video_id"),
    ({"q": "said:x", "video_id": str(uuid.UUID(int=7))}, 404, "no video"),
    ({"q": 'said:"!!!"'}, 422, "nothing to search"),
    ({"query": {"not": {"not": {"kind": 3}}}}, 422, "query.not.not.kind"),
    ({"q": "said:x", "surprise": 1}, 422, "surprise"),
    ({"q": "said:\u0000"}, 422, "NUL"),
])
def test_bad_queries_are_4xx_saying_what(client, library, body, status, says):
    response = client.post("/v1/query", json=body)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_a_parse_error_says_where(client, library):
    body = client.post("/v1/query", json={"q": "object:dog AND budget"}).json()
    assert body["position"] == 15 and body["field"] == "q"


def test_hostile_bodies(client, library):
    deep = '{"query": ' + '{"not": ' * 100_000 + '{"kind": "said"}' + "}" * 100_001
    response = client.post("/v1/query", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code in (413, 422)
    nested = '{"query": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.post("/v1/query", content=nested, headers={"Content-Type": "application/json"})
    assert response.status_code == 422  # not a 500 from the JSON decoder's recursion
    response = client.post("/v1/query", content=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    response = client.post("/v1/query", content="x" * 5_000_000, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_kinds_are_listed(client):
    kinds = {k["name"]: k for k in client.get("/v1/query/kinds").json()}
    assert {"person", "said", "screen", "object", "place", "scene", "speaker"} <= set(kinds)
    assert "face" in kinds["person"]["aliases"] and kinds["said"]["takes"] == "words"
