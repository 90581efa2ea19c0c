"""The transcript's hotwords for a window of speech: the library's names and
the words on screen around it, each once, shouted capitals in lower case;
nothing when the config turns hints off (``TranscriptAnalyzer.hints``)."""

from __future__ import annotations

from types import SimpleNamespace

from eioku_ml.analyzers.transcript import HINT_REACH_MS, MAX_HINT_WORDS, TranscriptAnalyzer


def _shown(start_ms, end_ms, text):
    return SimpleNamespace(span_start_ms=start_ms, span_end_ms=end_ms, payload={"text": text})


def _analyzer(hints=True):
    analyzer = TranscriptAnalyzer({"hints": hints})  # the model is not loaded: hints need none
    analyzer.use_context({"ocr": [_shown(10_000, 14_000, "INVOICE #4411 due: Friday"),
                                  _shown(12_000, 13_000, "Siobhan Nguyen, NASA"),
                                  _shown(60_000, 61_000, "Ljubljana")],
                          "names": ["Aoife", "siobhan"]})
    return analyzer


def test_names_then_the_words_on_screen_near_the_speech_once():
    assert _analyzer().hints(11_000, 15_000) == "Aoife, siobhan, invoice, due, Friday, Nguyen, NASA"


def test_text_shown_far_from_the_speech_is_not_a_hint():
    assert _analyzer().hints(30_000, 40_000) == "Aoife, siobhan"
    near = 60_000 - HINT_REACH_MS + 1
    assert "Ljubljana" in _analyzer().hints(near - 5000, near)


def test_no_hints_when_turned_off_or_nothing_known():
    assert _analyzer(hints=False).hints(11_000, 15_000) is None
    bare = TranscriptAnalyzer({"hints": True})
    bare.use_context({})
    assert bare.hints(0, 10_000) is None


def test_a_crowded_screen_gives_at_most_the_limit():
    analyzer = TranscriptAnalyzer({"hints": True})
    analyzer.use_context({"ocr": [_shown(0, 1000, " ".join(f"word{i}" for i in range(200)))]})
    assert len(analyzer.hints(0, 1000).split(", ")) == MAX_HINT_WORDS
