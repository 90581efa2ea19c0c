"""From heard words to transcript segments: chunks spliced where both heard
the same word, hyphenated words whole, repetition loops once, sentences over
the whole stream with no fragments (``eioku_ml.analyzers.transcript_words``)."""

from __future__ import annotations

from eioku_ml.analyzers import transcript_words as tw
from hypothesis import given
from hypothesis import strategies as st


def _words(text: str, start_ms: int = 0, step: int = 400, gap_after: dict[int, int] | None = None):
    out, at = [], start_ms
    for i, word in enumerate(text.split()):
        out.append({"word": word, "start_ms": at, "end_ms": at + step - 100, "confidence": 0.9,
                    "segment_confidence": 0.8, "language": "en"})
        at += step + (gap_after or {}).get(i, 0)
    return out


def _text(words) -> str:
    return " ".join(w["word"] for w in words)


SPEECH = ("He was not an ill-disposed young man, unless to be rather cold-hearted and rather "
          "selfish is to be ill-disposed. But he was, in general, well respected.")


def test_a_border_keeps_every_word_once_where_both_chunks_heard_it():
    whole = _words(SPEECH)
    border = whole[12]["start_ms"] + 50  # inside the sentence
    # the earlier chunk heard 4 s past the border and misheard its last words there;
    # the later one heard 4 s before and began mid-sentence with a capital
    before = [w for w in whole if w["start_ms"] < border + 4000]
    before[-1] = {**before[-1], "word": "selfishness."}
    after = [dict(w, start_ms=w["start_ms"] + 40) for w in whole if w["start_ms"] >= border - 4000]
    after[0] = {**after[0], "word": after[0]["word"].capitalize()}
    spliced = tw.splice(before, after, border, reach_ms=10_000)
    assert _text(spliced) == SPEECH


def test_without_a_shared_word_each_side_keeps_its_own():
    before, after = _words("one two three four"), _words("five six seven", start_ms=1600)
    assert _text(tw.splice(before, after, 1600, reach_ms=10_000)) == "one two three four five six seven"
    # the same words heard at other times are different words
    other = _words("three four five", start_ms=5000)
    assert _text(tw.splice(before, other, 1600, reach_ms=1000)) == "one two three four three four five"


def test_hyphenated_words_are_whole():
    heard = _words("an ill -disposed man, cold- hearted, a well - known - fact")
    assert _text(tw.join_hyphenated(heard)) == "an ill-disposed man, cold-hearted, a well - known - fact"
    joined = tw.join_hyphenated(heard)[1]
    assert (joined["start_ms"], joined["end_ms"]) == (400, 1100)


def test_a_repetition_loop_is_kept_once_but_speech_repeats_stay():
    loop = _words("and the work is covered and the work is covered and the work is covered here")
    assert _text(tw.drop_repeats(loop)) == "and the work is covered here"
    said = _words("no, no, no, stop it now, go go")
    assert _text(tw.drop_repeats(said)) == "no, no, no, stop it now, go go"


def test_sentences_across_windows_are_one_segment_and_fragments_join():
    # Whisper's windows split "Had he married ... than" / "he was." and wrote "There." alone
    heard = _words("Had he married a more amiable woman, he might have been more respectable than he was. "
                   "He applies it to our software. There. It applies also to other work.",
                   gap_after={15: 2000})
    groups = [_text(g) for g in tw.segments(heard)]
    assert groups == ["Had he married a more amiable woman, he might have been more respectable than he was.",
                      "He applies it to our software. There.", "It applies also to other work."]


def test_a_short_sentence_after_a_pause_stands_alone():
    heard = _words("Is it ready? Yes. We can go now.", gap_after={2: 1500, 3: 1500})
    assert [_text(g) for g in tw.segments(heard)] == ["Is it ready?", "Yes.", "We can go now."]


def test_a_long_sentence_is_cut_at_its_longest_pause_without_fragments():
    text = " ".join(f"w{i}," if i == 30 else f"w{i}" for i in range(80)) + "."
    heard = _words(text, gap_after={30: 900})
    groups = tw.segments(heard)
    assert [len(g) for g in groups] == [31, 49]
    assert all(len(g) >= tw.MIN_WORDS for g in groups)


@given(st.lists(st.sampled_from(["a", "b.", "Cc", "d,", "e?", "f-g", "-h", "i"]), max_size=120),
       st.lists(st.integers(0, 3000), max_size=120))
def test_segments_keep_every_word_once_in_order(tokens, gaps):
    heard = _words(" ".join(tokens), gap_after=dict(enumerate(gaps)))
    groups = tw.segments(heard)
    assert [w for g in groups for w in g] == heard
    assert all(g for g in groups)
