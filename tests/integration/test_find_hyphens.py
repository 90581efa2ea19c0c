# ruff: noqa: F811 - the API tests' fixtures (client, media_root, settings), imported
"""Find matches a hyphenated word written either way: "ill-disposed" finds
"ill disposed" and the split form Whisper used to write ("ill -disposed"),
and "ill disposed" finds "ill-disposed" (``store.projections.fts_query``)."""

from __future__ import annotations

import pytest

from tests.factories import payload_for
from tests.integration.api.conftest import client, media_root, settings  # noqa: F401 - fixtures
from tests.integration.api.test_api import _external_run, _video

SAID = [(0, 3000, "He was not an ill-disposed young man."),
        (4000, 7000, "Unless to be cold hearted is to be ill disposed."),
        (8000, 10_000, "Rather cold -hearted and rather selfish."),
        (12_000, 14_000, "He was ill and disposed of the letters."),   # both words, not the phrase
        (16_000, 18_000, "Send it by e-mail today.")]


@pytest.fixture
def video(client, media_root):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "transcript.segment", [
        (s, e, payload_for("transcript.segment", text=t)) for s, e, t in SAID])
    return video_id


def _find(client, video, q):
    r = client.get(f"/v1/videos/{video}/find", params={"q": q, "limit": 50})
    assert r.status_code == 200, r.text
    return [m["jump_to"]["start_ms"] for m in r.json()["matches"]]


@pytest.mark.parametrize(("q", "hits"), [
    ("ill-disposed", [0, 4000]),
    ("ill disposed", [0, 4000, 12_000]),             # two words, anywhere in the line
    ('"ill disposed"', [0, 4000]),                   # the phrase: either spelling
    ("cold-hearted", [4000, 8000]),                  # "cold hearted" and "cold -hearted"
    ('"an ill-disposed young man"', [0]),            # a hyphenated word inside a phrase
    ('"rather cold-hearted"', [8000]),
    ("ill-disposed -young", [4000]),                 # exclusion still excludes
    ("-ill-disposed ill", [12_000]),                 # ... the hyphenated word too
    ("email", []), ("e-mail", [16_000]),
])
def test_hyphenated_words_match_either_spelling(client, video, q, hits):
    assert _find(client, video, q) == hits


def test_the_snippet_marks_the_hyphenated_word(client, video):
    r = client.get(f"/v1/videos/{video}/find", params={"q": "ill-disposed"})
    snippets = [m["snippet"] for m in r.json()["matches"]]
    assert snippets[:2] == ["He was not an <mark>ill</mark>-<mark>disposed</mark> young man.",
                            "Unless to be cold hearted is to be <mark>ill</mark> <mark>disposed</mark>."]
