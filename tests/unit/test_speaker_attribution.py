"""Transcript segments with their speaker (eioku.services.speakers): split
where the words change speaker, overlap resolved to the turn without it,
segments without word times given to the longest talker."""

from __future__ import annotations

from eioku.services.speakers import SpokenTurn, attribute, speaker_at


def _words(*spans):
    return [{"word": f"w{i}", "start_ms": s, "end_ms": e, "confidence": 1.0}
            for i, (s, e) in enumerate(spans)]


TURNS = [SpokenTurn(0, 2000, "Speaker 1"), SpokenTurn(2000, 5000, "Speaker 2"),
         SpokenTurn(4500, 6000, "Speaker 1", overlap=True), SpokenTurn(4500, 5000, "Speaker 2", overlap=True)]


def test_a_segment_is_split_where_its_words_change_speaker():
    segment = {"start_ms": 500, "end_ms": 3500, "text": "w0 w1 w2 w3", "language": "en",
               "words": _words((500, 900), (1000, 1900), (2100, 2600), (2700, 3500))}
    out = attribute(segment, TURNS)
    assert [(s["speaker"], s["text"], s["start_ms"], s["end_ms"]) for s in out] == [
        ("Speaker 1", "w0 w1", 500, 1900), ("Speaker 2", "w2 w3", 2100, 3500)]
    assert all(s["language"] == "en" for s in out)
    assert [w["word"] for s in out for w in s["words"]] == ["w0", "w1", "w2", "w3"]


def test_overlap_goes_to_the_turn_that_is_not_marked():
    assert speaker_at(TURNS, 4600, 4800) == "Speaker 2"  # 2's own turn holds it, not 1's overlap
    assert speaker_at(TURNS, 5200, 5600) == "Speaker 1"


def test_without_word_times_the_longest_talker_speaks():
    segment = {"start_ms": 1500, "end_ms": 4000, "text": "a whole cue", "words": None}
    assert attribute(segment, TURNS)[0]["speaker"] == "Speaker 2"
    assert attribute(segment, [])[0] is segment  # no speakers run: unchanged
    assert speaker_at(TURNS, 7000, 8000) is None  # nobody talks there
