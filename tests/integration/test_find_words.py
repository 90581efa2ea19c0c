# ruff: noqa: F811 - the API tests' fixtures (client, media_root, settings), imported
"""Find in a video (GET /v1/videos/{id}/find): words as prefixes and by their
stems, web-search syntax kept, and a phrase that runs on from one line to the
next, in speech and on screen (``services.navigation.find_steps``)."""

from __future__ import annotations

import pytest

from tests.factories import payload_for
from tests.integration.api.conftest import client, media_root, settings  # noqa: F401 - fixtures
from tests.integration.api.test_api import _external_run, _video

SAID = [(0, 3000, "Please pay the outstanding invoice before Friday."),
        (4000, 7000, "The contractor signed yesterday."),
        (8000, 10_000, "We will review the budget"),      # ... and runs on into the next
        (10_500, 13_000, "numbers next week."),
        (20_000, 22_000, "Running late again, the meeting is delayed."),
        (40_000, 42_000, "numbers alone")]                  # 27 s after "budget": no run-on


def _box(x0, y0, x1, y1):
    return [{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}]


SHOWN = [(30_000, 33_000, "TOTAL", _box(100, 100, 200, 140)),            # one line, two boxes
         (30_000, 33_000, "DUE NOW", _box(215, 100, 380, 140)),
         (50_000, 54_000, "Please pay the", _box(100, 200, 400, 240)),    # two lines of one sign
         (50_000, 54_000, "invoice before Friday", _box(100, 250, 450, 290)),
         (50_000, 54_000, "EXIT", _box(900, 600, 1000, 640)),             # elsewhere on screen
         (60_000, 62_000, "DUE", _box(100, 100, 200, 140))]              # another time


@pytest.fixture
def video(client, media_root):
    video_id = _video(client, media_root)
    _external_run(client, video_id, "transcript.segment", [
        (s, e, payload_for("transcript.segment", text=t)) for s, e, t in SAID])
    _external_run(client, video_id, "ocr.text", [
        (s, e, payload_for("ocr.text", text=t, polygon=box)) for s, e, t, box in SHOWN])
    return video_id


def _find(client, video, q, **params):
    r = client.get(f"/v1/videos/{video}/find", params={"q": q, "limit": 50, **params})
    assert r.status_code == 200, r.text
    return [(m["source"], m["jump_to"]["start_ms"], m["snippet"]) for m in r.json()["matches"]]


@pytest.mark.parametrize(("q", "hits"), [
    ("Invoices", [("transcript", 0), ("ocr", 50_000)]),     # a stem: invoices -> invoice
    ("contract", [("transcript", 4000)]),                   # a prefix: contract -> contractor
    ("paying", [("transcript", 0), ("ocr", 50_000)]),                        # paying -> pay
    ("runs", [("transcript", 20_000)]),                     # runs -> run, a prefix of running
    ("invoice -friday", []),                                # exclusion still excludes
    ("invoice -Fridays", []),                               # ... stems and prefixes included
    ("contract OR delays", [("transcript", 4000), ("transcript", 20_000)]),
    ('"pay the outstanding"', [("transcript", 0)]),         # a quoted phrase, in order
    ('"outstanding the pay"', []),
    ("signed contractor", [("transcript", 4000)]),          # every word, in any order
])
def test_stems_prefixes_and_web_search_syntax(client, video, q, hits):
    assert [(s, t) for s, t, _ in _find(client, video, q)] == hits


def test_the_snippet_marks_the_words_found_by_prefix_or_stem(client, video):
    [(_, _, snippet)] = _find(client, video, "contract")
    assert snippet == "The <mark>contractor</mark> signed yesterday."
    [(_, _, said), _] = _find(client, video, "Invoices")
    assert "<mark>invoice</mark>" in said


def test_a_phrase_split_across_lines_on_screen_is_found(client, video):
    """Two lines of one sign (the second just below the first), and two boxes
    of one line: a phrase across them is one hit at the first, both lines its
    text; a line elsewhere on screen or at another time does not join."""
    found = _find(client, video, '"pay the invoice"', source="ocr")
    assert [(s, t) for s, t, _ in found] == [("ocr", 50_000)]
    assert found[0][2] == "Please <mark>pay</mark> the <mark>invoice</mark> before Friday"  # a stop word
    assert [(s, t) for s, t, _ in _find(client, video, "total due", source="ocr")] == [("ocr", 30_000)]
    assert _find(client, video, '"friday exit"', source="ocr") == []  # not the line below
    assert _find(client, video, '"due total"', source="ocr") == []  # not in that order
    # a line that matches alone is found alone, not again with its neighbour
    assert [(s, t) for s, t, _ in _find(client, video, "due", source="ocr")] == [
        ("ocr", 30_000), ("ocr", 60_000)]


def test_a_phrase_running_on_into_the_next_segment_is_found(client, video):
    found = _find(client, video, '"budget numbers"', source="transcript")
    assert [(s, t) for s, t, _ in found] == [("transcript", 8000)]
    assert "<mark>budget</mark> <mark>numbers</mark>" in found[0][2]
    # "numbers alone" follows nothing within a pause: no pair with the segment before it
    assert [(s, t) for s, t, _ in _find(client, video, "review alone", source="transcript")] == []
    # and back in time, the run-on hit is found from after it too
    back = _find(client, video, '"budget numbers"', source="all", direction="prev", from_ms=15_000)
    assert [(s, t) for s, t, _ in back] == [("transcript", 8000)]
