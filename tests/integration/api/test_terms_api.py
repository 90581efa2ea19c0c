"""Names and terms over HTTP and the CLI: the library-wide list with counts
(type, q, paging), a video's terms and languages, "next mention of Siemens"
as a jump, and bad input answered with a 4xx — on videos whose entities and
languages runs are stored as the analyzers store them."""

from __future__ import annotations

import json
import uuid

import pytest
from eioku.cli import app as cli
from eioku.config import get_settings
from eioku.store.uow import UnitOfWork
from typer.testing import CliRunner

from tests.factories import add_video, payload_for, store_run


def _mention(name, type_, text=None, source="transcript"):
    text = text or name
    return payload_for("entity.mention", name=name, type=type_, text=text, source=source,
                       start=0, end=len(text))


@pytest.fixture
def library(session_factory):
    """Two videos: the first says Siemens three times (once as SIEMENS on screen),
    Munich once and shows a German line; the second says Siemens once and Angela
    Merkel twice."""
    with UnitOfWork(session_factory) as uow:
        one = add_video(uow, duration_ms=60_000).video_id
        two = add_video(uow, duration_ms=60_000).video_id
        store_run(uow, one, "entity.mention", [(1000, 1500), (9000, 9400), (20000, 20500), (30000, 30300)],
                  payloads=[_mention("Siemens", "org"), _mention("Siemens", "org", "SIEMENS", "ocr"),
                            _mention("Munich", "place"), _mention("Siemens", "org", "Siemens's")])
        store_run(uow, two, "entity.mention", [(500, 900), (4000, 4800), (7000, 7300)],
                  payloads=[_mention("Angela Merkel", "person"), _mention("Siemens", "org"),
                            _mention("Angela Merkel", "person", "Merkel")])
        store_run(uow, one, "text.language", [(0, 4000), (9000, 12000), (12000, 15000)],
                  payloads=[payload_for("text.language", language="en", source="transcript", spoken="en"),
                            payload_for("text.language", language="de", source="ocr"),
                            payload_for("text.language", language="und", source="ocr")])
        store_run(uow, one, "transcript.segment", [(0, 4000)])
        store_run(uow, two, "transcript.segment", [(0, 3000)], payloads=[payload_for(
            "transcript.segment", text="Guten Morgen, hallo aus München", language="de")])
        store_run(uow, two, "text.language", [(0, 3000)], payloads=[payload_for(
            "text.language", language="de", source="transcript", spoken="de")])
        uow.commit()
    return one, two


def test_the_library_lists_names_and_terms_with_counts(client, library):
    body = client.get("/v1/terms").json()
    rows = [(t["name"], t["type"], t["mentions"], t["videos"]) for t in body["terms"]]
    assert rows == [("Siemens", "org", 4, 2), ("Angela Merkel", "person", 2, 1), ("Munich", "place", 1, 1)]
    assert body["total"] == 3 and body["terms"][0]["label"] == "siemens"
    assert [t["name"] for t in client.get("/v1/terms", params={"type": "person"}).json()["terms"]] == [
        "Angela Merkel"]
    assert [t["name"] for t in client.get("/v1/terms", params={"q": "MUN"}).json()["terms"]] == ["Munich"]
    assert client.get("/v1/terms", params={"q": "%"}).json()["terms"] == []  # no wildcard
    page = client.get("/v1/terms", params={"limit": 1, "offset": 1}).json()
    assert [t["name"] for t in page["terms"]] == ["Angela Merkel"] and page["total"] == 3
    assert client.get("/v1/terms", params={"offset": 10}).json() == {
        "terms": [], "total": 3, "limit": 50, "offset": 10}


def test_next_mention_of_a_name_is_a_jump(client, library):
    one, _ = library

    def jump(**params):
        return client.get(f"/v1/videos/{one}/jump", params={"kind": "entity", **params})

    hit = jump(label="Siemens").json()
    assert (hit["jump_to"]["start_ms"], hit["jump_to"]["end_ms"]) == (1000, 1500)
    assert jump(label="SIEMENS", from_ms=1000).json()["jump_to"]["start_ms"] == 9000  # any case
    assert jump(label="siemens", from_ms=9000).json()["jump_to"]["start_ms"] == 30000
    assert jump(label="siemens", from_ms=30000).status_code == 404
    assert jump(label="siemens", direction="prev", from_ms=30000).json()["jump_to"]["start_ms"] == 9000
    assert jump(label="Munich").json()["jump_to"]["start_ms"] == 20000
    # the next German line on screen
    lang = client.get(f"/v1/videos/{one}/jump", params={"kind": "language", "label": "de"}).json()
    assert lang["jump_to"]["start_ms"] == 9000


def test_a_videos_terms_and_languages(client, library):
    one, two = library
    body = client.get(f"/v1/videos/{one}/terms").json()
    assert body["run_id"] is not None
    assert [(t["name"], t["mentions"], t["first_ms"]) for t in body["terms"]] == [
        ("Siemens", 3, 1000), ("Munich", 1, 20000)]
    assert [t["name"] for t in client.get(f"/v1/videos/{two}/terms", params={"type": "person"}).json()[
        "terms"]] == ["Angela Merkel"]
    langs = client.get(f"/v1/videos/{one}/languages").json()
    assert langs["spoken"] == "en"
    assert {(x["source"], x["language"], x["items"]) for x in langs["languages"]} == {
        ("transcript", "en", 1), ("ocr", "de", 1), ("ocr", "und", 1)}
    assert [x["language"] for x in client.get(f"/v1/videos/{two}/languages").json()["languages"]] == ["de"]


@pytest.mark.parametrize(("path", "params"), [
    ("/v1/terms", {"type": "planet"}), ("/v1/terms", {"limit": 0}), ("/v1/terms", {"limit": 10_000}),
    ("/v1/terms", {"q": "x" * 201}), ("/v1/terms", {"q": "a\x00b"}), ("/v1/terms", {"offset": -1}),
])
def test_bad_input_is_a_422(client, library, path, params):
    assert client.get(path, params=params).status_code == 422


def test_unknown_video_is_a_404(client, library):
    assert client.get(f"/v1/videos/{uuid.uuid4()}/terms").status_code == 404
    assert client.get(f"/v1/videos/{uuid.uuid4()}/languages").status_code == 404


def test_cli_terms(library, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    out = runner.invoke(cli, ["terms", "--json"])
    assert out.exit_code == 0, out.output
    assert [t["name"] for t in json.loads(out.output)["terms"]] == ["Siemens", "Angela Merkel", "Munich"]
    out = runner.invoke(cli, ["terms", "--type", "place"])
    assert out.exit_code == 0 and "Munich" in out.output and "Siemens" not in out.output
    one, _ = library
    out = runner.invoke(cli, ["terms", "--video", str(one), "--json"])
    assert [t["name"] for t in json.loads(out.output)["terms"]] == ["Siemens", "Munich"]
    assert runner.invoke(cli, ["terms", "--type", "planet"]).exit_code != 0
    out = runner.invoke(cli, ["search", "hello", "--mode", "keyword", "--entity", "Siemens", "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert [h["start_ms"] for h in body["hits"]] == [0] and body["facets"][0]["label"] == "siemens"
    out = runner.invoke(cli, ["search", "hello", "--mode", "keyword", "--entity", "munich", "--json"])
    assert json.loads(out.output)["hits"] == []
    out = runner.invoke(cli, ["search", "München", "--mode", "keyword"])
    assert out.exit_code == 0 and "German (de)" in out.output


def test_cli_languages_answers_as_the_api(client, library, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    one, _ = library
    out = runner.invoke(cli, ["languages", str(one), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == client.get(f"/v1/videos/{one}/languages").json()
    out = runner.invoke(cli, ["languages", str(one)])
    assert out.exit_code == 0 and "Spoken: en" in out.output and "ocr" in out.output
    assert runner.invoke(cli, ["languages", str(uuid.uuid4())]).exit_code != 0
    assert runner.invoke(cli, ["languages", "not-a-video"]).exit_code != 0


def test_search_facets_filter_by_a_name_and_languages_of_hits(client, library):
    one, two = library

    def search(**params):
        return client.get("/v1/search", params={"mode": "keyword", **params}).json()

    body = search(q="hello")
    assert [(h["video_id"], h["start_ms"], h["language"]) for h in body["hits"]] == [(str(one), 0, "en")]
    assert [(f["name"], f["type"], f["hits"]) for f in body["facets"]] == [("Siemens", "org", 1)]
    assert body["notes"] == [] and body["query_language"] is None
    assert [h["start_ms"] for h in search(q="hello", entity="SIEMENS")["hits"]] == [0]
    assert search(q="hello", entity="munich")["hits"] == []  # said at 20 s, outside the line
    german = search(q="München")
    assert [(h["video_id"], h["language"]) for h in german["hits"]] == [(str(two), "de")]
    assert any("de" in note and "English" in note for note in german["notes"])
    asked = search(q="wo ist der Bahnhof bitte")
    assert asked["query_language"] == "de" and any("not English" in n for n in asked["notes"])
    assert client.get("/v1/search", params={"q": "hello", "entity": "a\x00"}).status_code == 422
    assert client.get("/v1/search", params={"q": "hello", "entity": "x" * 201}).status_code == 422


@pytest.mark.parametrize("q", ["\\", "%_", "\\%", "'; DROP TABLE entity_mentions; --", "東京", "🙂" * 50,
                               "a" * 200, " ", "siemens\\"])
def test_hostile_text_is_answered_never_a_server_error(client, library, q):
    one, _ = library
    assert client.get("/v1/terms", params={"q": q}).status_code == 200
    assert client.get("/v1/search", params={"q": "hello", "entity": q}).status_code in (200, 422)
    assert client.get(f"/v1/videos/{one}/jump", params={"kind": "entity", "label": q}).status_code in (
        200, 404, 422)
