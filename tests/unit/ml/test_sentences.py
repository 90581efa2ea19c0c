"""Sentence ends in recognised speech: abbreviations do not split sentences."""

from __future__ import annotations

import pytest
from eioku_ml.analyzers.sentences import ends_sentence, split_sentences
from hypothesis import given
from hypothesis import strategies as st


def _texts(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[i] for i in g) for g in split_sentences(words)]


@pytest.mark.parametrize(("text", "sentences"), [
    ("And Mr. Smith said hello. Then he left.", ["And Mr. Smith said hello.", "Then he left."]),
    ("Ask Dr. Jones, e.g. about the St. Louis trip.", ["Ask Dr. Jones, e.g. about the St. Louis trip."]),
    ("We met at 9 a.m. and left at noon.", ["We met at 9 a.m. and left at noon."]),
    ("Bring pens, paper, etc. The shop opens at 9 a.m. Tomorrow it rains.",
     ["Bring pens, paper, etc.", "The shop opens at 9 a.m.", "Tomorrow it rains."]),
    ("J. R. R. Tolkien wrote it. Really? Yes!", ["J. R. R. Tolkien wrote it.", "Really?", "Yes!"]),
    ("He moved to the U.S. last year.", ["He moved to the U.S. last year."]),
    ("Pay the invoice before Friday. Thanks", ["Pay the invoice before Friday.", "Thanks"]),
    ("It costs 5.50 dollars. OK.", ["It costs 5.50 dollars.", "OK."]),
    ("“Stop.” she said.", ["“Stop.”", "she said."]),
])
def test_abbreviations_do_not_end_sentences(text, sentences):
    assert _texts(text) == sentences


@given(st.lists(st.text(alphabet="abcdXYZ.?!, ", min_size=1, max_size=8).filter(str.strip),
                max_size=30))
def test_split_keeps_every_word_once_in_order(words):
    words = [w.strip() for w in words if w.strip()]
    groups = split_sentences(words)
    assert [i for g in groups for i in g] == list(range(len(words)))
    for g in groups[:-1]:  # every group but the last ends at a sentence end
        assert ends_sentence(words[g[-1]], words[g[-1] + 1])
