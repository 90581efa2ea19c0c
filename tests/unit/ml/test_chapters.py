"""The chapters stage's rules on made-up transcripts (the real MiniLM): chapters
tile the video, a long silence is a chapter of its own titled by its shots, a
video with nothing gets one chapter, a start moves to a new speaker's turn;
key phrase candidates hold no stop words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from eioku_ml.analyzers import keyphrases
from eioku_ml.analyzers.chapters import ChaptersAnalyzer
from eioku_ml.models import minilm

from tests.chapters_eval import TALKS, talk_sentences

pytestmark = pytest.mark.models


def art(start: int, end: int, **payload) -> SimpleNamespace:
    return SimpleNamespace(span_start_ms=start, span_end_ms=end, payload=payload)


def said(topic: str, start_ms: int, each_ms: int = 4000) -> list[SimpleNamespace]:
    """A talk's sentences, one every ``each_ms`` (3.4 s spoken, 0.6 s pause)."""
    talk = next(t for t in TALKS if t.topic == topic)
    return [art(start_ms + i * each_ms, start_ms + i * each_ms + each_ms - 600, text=s)
            for i, s in enumerate(talk_sentences(talk))]


def chapters(duration_ms: int, **context):
    return ChaptersAnalyzer({}).chapters(duration_ms, context, minilm.shared().encode)


def _tiles(items, duration_ms: int) -> None:
    assert items[0].span_start_ms == 0 and items[-1].span_end_ms == duration_ms
    assert all(a.span_end_ms == b.span_start_ms for a, b in zip(items, items[1:], strict=False))
    assert [i.payload["chapter_index"] for i in items] == list(range(len(items)))


def test_nothing_found_is_one_chapter():
    (only,) = chapters(30_000)
    assert (only.span_start_ms, only.span_end_ms) == (0, 30_000)
    assert only.payload["title"] == "No speech" and only.payload["title_source"] == "none"


def test_a_long_silence_between_talks_is_a_chapter_titled_by_its_shots():
    speech = said("bees", 0) + said("chess", 70_000)  # 32 s each, 38 s of silence between
    objects = [art(40_000, 41_000, label="dog", frame_number=1000),
               art(50_000, 51_000, label="dog", frame_number=1250)]
    items = chapters(110_000, transcript=speech, objects=objects)
    _tiles(items, 110_000)
    # the 3 s after the last word are too short for a chapter of their own
    assert [i.payload["title_source"] for i in items] == ["speech", "shots", "speech"]
    assert items[1].payload["title"] == "A dog" and items[1].payload["reasons"] == ["silence"]
    assert (items[1].span_start_ms, items[2].span_start_ms) == (31_400, 70_000)
    assert "bee" in items[0].payload["title"].lower() and "chess" in items[2].payload["title"].lower()


def test_a_topic_change_starts_where_the_new_speaker_does():
    speech = said("volcanoes", 0) + said("coffee", 32_000)
    turns = [art(0, 31_700, speaker="Speaker 1"), art(31_700, 64_000, speaker="Speaker 2")]
    items = chapters(64_000, transcript=speech, speakers=turns)
    _tiles(items, 64_000)
    assert [i.span_start_ms for i in items] == [0, 31_700]
    assert items[1].payload["reasons"] == ["topic", "speaker"]


def test_candidates_hold_no_stop_words():
    found = keyphrases.candidates("Knead the dough. The river of ice melts, and the queen lays eggs!")
    assert {"dough", "river of ice", "queen", "queen lays eggs"} <= set(found)
    assert not {"the queen", "knead the dough", "the", "and"} & set(found)
    assert keyphrases.title([keyphrases.Phrase("honey bees", 0.5), keyphrases.Phrase("pollen", 0.4),
                             keyphrases.Phrase("hive", 0.3)]) == "Honey bees, pollen"
