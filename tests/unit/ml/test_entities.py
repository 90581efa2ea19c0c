"""The entities and languages analyzers on transcript segments and OCR lines
(the real spaCy, lid.176 and MiniLM models; no database), and the names and
text-language evaluations on the hand-labelled sentences in tests/data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from eioku.artifacts.payloads.entities import EntityMentionV1, TextLanguageV1
from eioku_ml.analyzers.entities import EntitiesAnalyzer, normalise
from eioku_ml.analyzers.languages import LanguagesAnalyzer
from eioku_ml.models import langid, ner

from tests.entities_eval import evaluate, report, sentences

LINES = Path(__file__).parents[2] / "data" / "languages-eval" / "lines.jsonl"


def _segment(start, end, text, language="en", words=True):
    tokens = text.split()
    step = (end - start) // max(1, len(tokens))
    timed = [{"word": " " + w, "start_ms": start + i * step, "end_ms": start + (i + 1) * step,
              "confidence": 0.9} for i, w in enumerate(tokens)] if words else None
    return SimpleNamespace(artifact_id=uuid.uuid4(), span_start_ms=start, span_end_ms=end,
                           payload={"text": text, "language": language, "words": timed})


def _line(start, end, text):
    return SimpleNamespace(artifact_id=uuid.uuid4(), span_start_ms=start, span_end_ms=end,
                           payload={"text": text})


TALK = [
    _segment(0, 4000, "Welcome to the quarterly review. This morning Angela"),
    _segment(4000, 8000, "Merkel met the board of Siemens in Munich on March 3rd."),
    _segment(8000, 14000, "Merkel said solar panels and wind turbines will cut energy costs by 20 percent."),
    _segment(14000, 20000, "Die Solaranlagen in Bayern sind sehr gut und billig geworden, sagte Olaf Scholz.",
             language="de"),
    _segment(20000, 26000, "The solar panels on the roof make most of the energy in summer, and the wind "
             "turbines at night, so the energy costs of the factory fell again."),
    _segment(26000, 30000, "Next year Siemens wants solar panels on every factory roof.", words=False),
]
SCREEN = [_line(2000, 6000, "SIEMENS ENERGY"), _line(9000, 12000, "Energiewende in Deutschland"),
          _line(12000, 15000, "Live from Munich")]


@pytest.fixture(scope="module")
def found():
    analyzer = EntitiesAnalyzer({"key_terms": 5, "min_words": 20, "min_relevance": 0.25})
    items = analyzer.analyze(SimpleNamespace(duration_ms=30_000), lambda p: None,
                             {"transcript": TALK, "ocr": SCREEN})
    return items


def _names(items, type_):
    return [i.payload["name"] for i in items if i.payload["type"] == type_]


def test_every_mention_is_a_valid_payload_in_time_order(found):
    assert found
    for item in found:
        EntityMentionV1.model_validate(item.payload)
        assert 0 <= item.span_start_ms <= item.span_end_ms <= 30_000
    assert [i.span_start_ms for i in found] == sorted(i.span_start_ms for i in found)


def test_names_said_and_shown_with_their_normalised_name_and_time(found):
    assert _names(found, "org").count("Siemens") == 2  # said twice
    assert "Siemens Energy" in _names(found, "org")  # shown in capitals, read title-cased
    said = [i for i in found if i.payload["name"] == "Siemens" and i.payload["source"] == "transcript"]
    first = said[0]
    assert first.payload["text"] == "Siemens"
    segment = TALK[1]
    # the word's own time, not the segment's: "Siemens" is the 6th of 10 words in 4000-8000
    assert segment.span_start_ms < first.span_start_ms < first.span_end_ms < segment.span_end_ms
    assert first.payload["of_artifact_id"] == str(segment.artifact_id)
    text = segment.payload["text"]
    assert text[first.payload["start"]:first.payload["end"]] == "Siemens"
    assert "Munich" in _names(found, "place")
    assert "March 3rd" in _names(found, "date")
    assert "20 percent" in _names(found, "amount")


def test_a_name_cut_between_segments_is_one_mention_and_its_short_form_joins_it(found):
    merkel = [i for i in found if i.payload["name"] == "Angela Merkel"]
    assert [m.payload["text"] for m in merkel] == ["Angela Merkel", "Merkel"]
    first = merkel[0]
    assert first.span_start_ms < 4000 < first.span_end_ms  # from "Angela" to "Merkel"
    assert "Merkel" not in _names(found, "person")


def test_text_in_another_language_is_left_out(found):
    assert "Olaf Scholz" not in _names(found, "person")  # a German segment
    assert not [i for i in found if "Deutschland" in i.payload["text"]]  # a German line


def test_key_terms_are_what_the_talk_is_about_with_every_occurrence(found):
    terms = _names(found, "term")
    assert "solar panels" in terms and terms.count("solar panels") >= 3
    assert "wind turbines" in terms or "energy costs" in terms
    assert not {"this morning", "board"} & set(terms)
    # the segment without word times: the mention spans the segment
    last = [i for i in found if i.payload["name"] == "solar panels" and i.span_start_ms >= 26000]
    assert [(i.span_start_ms, i.span_end_ms) for i in last] == [(26000, 30000)]


def test_no_terms_from_a_few_words():
    analyzer = EntitiesAnalyzer({"key_terms": 5, "min_words": 40})
    items = analyzer.analyze(SimpleNamespace(duration_ms=5000), lambda p: None,
                             {"transcript": [_segment(0, 5000, "Solar panels are great.")]})
    assert not _names(items, "term")


@pytest.mark.parametrize(("text", "type_", "name"), [
    ("SARAH THOMPSON", "person", "Sarah Thompson"), ("Dr. Elena Rossi", "person", "Elena Rossi"),
    ("the Siemens", "org", "Siemens"), ("Siemens's", "org", "Siemens"), ("NASA", "org", "NASA"),
    ("BBC STUDIOS", "org", "BBC Studios"), ("university of nairobi", "org", "University of Nairobi"),
    ("  Salt   Lake City,", "place", "Salt Lake City"), ("March 3rd", "date", "March 3rd"),
])
def test_normalised_names(text, type_, name):
    assert normalise(text, type_) == name


def test_names_evaluation_f1_at_least_0_8_for_people_organisations_and_places():
    assert len(sentences()) >= 50
    scores, mistakes = evaluate(ner.shared())
    print("\n" + report(scores))
    for type_ in ("person", "org", "place"):
        assert scores[type_].f1 >= 0.8, (type_, report(scores), mistakes)


def test_text_language_right_on_at_least_30_lines():
    lines = [json.loads(line) for line in LINES.read_text(encoding="utf-8").splitlines()]
    model = langid.shared()
    right = [d for d in lines if model.guess(d["text"]).language == d["language"]]
    wrong = [(d, model.guess(d["text"])) for d in lines if d not in right]
    print(f"\ntext language: {len(right)}/{len(lines)} right, "
          f"{len({d['language'] for d in lines})} languages; wrong: {wrong}")
    assert len(right) >= 30 and len(right) / len(lines) >= 0.9, wrong


def test_short_or_numeric_text_is_undetermined():
    model = langid.shared()
    for text in ("EXIT", "OK", "12:45", "2024", "", "東京"):
        assert model.guess(text).language == "und", text


def test_languages_of_lines_and_segments():
    analyzer = LanguagesAnalyzer({})
    items = analyzer.analyze(SimpleNamespace(duration_ms=30_000), lambda p: None,
                             {"transcript": TALK + [_segment(30000, 31000, "OK", language="fr")],
                              "ocr": SCREEN})
    for item in items:
        TextLanguageV1.model_validate(item.payload)
    by_id = {i.payload["of_artifact_id"]: i.payload for i in items}
    assert by_id[str(TALK[3].artifact_id)]["language"] == "de"
    assert by_id[str(TALK[3].artifact_id)]["spoken"] == "de"
    assert by_id[str(TALK[4].artifact_id)]["language"] == "en"
    assert by_id[str(SCREEN[1].artifact_id)]["language"] == "de"
    assert by_id[str(SCREEN[0].artifact_id)]["source"] == "ocr"
    # too short to read: the language Whisper heard
    short = [p for p in by_id.values() if p.get("spoken") == "fr"]
    assert [p["language"] for p in short] == ["fr"]
    assert len(items) == len(TALK) + 1 + len(SCREEN)
