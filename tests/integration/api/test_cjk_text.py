"""Chinese, Japanese and Korean words are found inside a line (find, jump,
keyword and hybrid search), in speech and on screen, and the snippet reads
as the text does, with the words marked (``store.projections``, migration 0015)."""

from __future__ import annotations

import psycopg
import pytest
from eioku.db import migrate
from eioku.store.projections import fts_query, unspaced

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video

SAID = [(0, 2000, "我们明天去北京开会"),              # we go to Beijing tomorrow for a meeting
        (3000, 5000, "東京タワーに行きました"),        # I went to Tokyo Tower
        (6000, 8000, "서울에서 친구를 만났어요"),       # I met a friend in Seoul
        (9000, 11000, "京都 is lovely in autumn")]
SHOWN = [(4000, 6000, "大阪駅 3番線"), (7000, 9000, "営業時間 10:00-18:00")]


@pytest.fixture
def video(client, media_root):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "transcript.segment", [
        (s, e, payload_for("transcript.segment", text=t)) for s, e, t in SAID])
    _external_run(client, video_id, "ocr.text", [
        (s, e, payload_for("ocr.text", text=t)) for s, e, t in SHOWN])
    return video_id


def _find(client, video, q, **params):
    r = client.get(f"/v1/videos/{video}/find", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [(m["source"], m["jump_to"]["start_ms"], m["snippet"]) for m in r.json()["matches"]]


@pytest.mark.parametrize(("q", "hits"), [
    ("北京", [("transcript", 0)]),                 # a word inside a Chinese line
    ("会议", []),                                   # 会 and 议 are not next to each other
    ("東京", [("transcript", 3000)]),
    ("タワー", [("transcript", 3000)]),
    ("行き", [("transcript", 3000)]),
    ("서울", [("transcript", 6000)]),               # a Korean noun with its particle attached
    ("大阪駅", [("ocr", 4000)]),                    # on screen
    ("営業時間", [("ocr", 7000)]),
    ("京", [("transcript", 0), ("transcript", 3000), ("transcript", 9000)]),
    ("京都 autumn", [("transcript", 9000)]),
    ("京 -東京", [("transcript", 0), ("transcript", 9000)]),  # negation of a run
    ('"タワーに"', [("transcript", 3000)]),          # a quoted phrase
    ("東京 OR 北京", [("transcript", 0), ("transcript", 3000)]),
])
def test_find_matches_words_inside_a_line(client, video, q, hits):
    assert [(s, t) for s, t, _ in _find(client, video, q)] == hits


def test_snippets_read_as_the_text_with_the_words_marked(client, video):
    [(_, _, snippet)] = _find(client, video, "タワー")
    assert snippet == "東京<mark>タワー</mark>に行きました"
    [(_, _, snippet)] = _find(client, video, "autumn 京都")
    assert snippet == "<mark>京都</mark> is lovely in <mark>autumn</mark>"
    [(_, _, snippet)] = _find(client, video, "時間", source="ocr")
    assert snippet == "営業<mark>時間</mark> 10:00-18:00"


def test_jump_and_library_search(client, video):
    jump = client.get(f"/v1/videos/{video}/jump", params={"kind": "transcript", "text": "北京"})
    assert jump.status_code == 200 and jump.json()["jump_to"]["start_ms"] == 0
    ocr = client.get(f"/v1/videos/{video}/jump", params={"kind": "ocr", "text": "3番線"})
    assert ocr.json()["jump_to"]["start_ms"] == 4000
    found = client.get("/v1/search", params={"q": "東京", "mode": "keyword"}).json()["hits"]
    assert [(h["start_ms"], h["snippet"]) for h in found] == [(3000, "<mark>東京</mark>タワーに行きました")]
    hybrid = client.get("/v1/search", params={"q": "大阪駅"}).json()["hits"]
    assert (4000, "ocr") in [(h["start_ms"], h["source"]) for h in hybrid]


@pytest.mark.parametrize(("q", "read_as"), [
    ("invoice", "invoice"),
    ("東京", ' "東 京" '),
    ("-東京 tower", ' -"東 京"  tower'),
    ("a-東京", 'a- "東 京" '),  # a dash inside a word negates nothing
    ('"東京 タワー"', '" 東  京   タ  ワ  ー "'),
])
def test_the_query_as_the_parser_reads_it(q, read_as):
    assert fts_query(q) == read_as


def test_unspaced_undoes_exactly_the_spaces_added():
    assert unspaced(" <mark>東</mark>  <mark>京</mark>   タ  ワ  ー ") == "<mark>東京</mark> タワー"
    assert unspaced("no cjk  here") == "no cjk  here"


def test_0015_reindexes_text_stored_before_it(pg_cluster):
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url, "0014")
    asset, run = "00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000001"
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) "
                     "VALUES (%s, '/v.mp4', 'v.mp4', 'h', 1)", (asset,))
        conn.execute("INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, "
                     "producer, producer_version, config_hash, input_hash, status) VALUES "
                     "(%s, %s, 'transcript', 'transcript.segment', 'fast', 'p', '1', 'c', 'i', "
                     "'completed')", (run, asset))
        for text in ("東京タワーに行きました", "plain words"):
            conn.execute("INSERT INTO transcript_fts VALUES (gen_random_uuid(), %s, %s, 0, 10, %s, "
                         "to_tsvector('simple', %s))", (asset, run, text, text))
    query = ("SELECT text FROM transcript_fts WHERE tsv @@ websearch_to_tsquery('simple', %s) "
             "ORDER BY text")
    with psycopg.connect(url) as conn:
        assert conn.execute(query, (fts_query("タワー"),)).fetchall() == []
    migrate.upgrade(url)
    with psycopg.connect(url) as conn:
        assert conn.execute(query, (fts_query("タワー"),)).fetchall() == [("東京タワーに行きました",)]
        assert conn.execute(query, ("words",)).fetchall() == [("plain words",)]
    migrate.downgrade(url, "0014")
    with psycopg.connect(url) as conn:
        assert conn.execute(query, (fts_query("タワー"),)).fetchall() == []
