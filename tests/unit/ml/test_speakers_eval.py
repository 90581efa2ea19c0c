"""The speakers evaluation: conversations of 2–6 voices from Debian packages
with known turns, overlap and music (tests/speakers_eval.py). Two pools:
``calibrated``, ten conversations of the voices the clustering was calibrated
on (on other seeds, 100–109), and ``held_out``, 24 conversations of ten
Festival voices recorded from real people in five languages that it never
met. Prints the diarization error rate (pyannote.metrics, 0.25 s collar either
side, overlap scored) and the speaker counts; asserts, on each pool, DER <= 0.15
and the right count in >= 80 %."""

from __future__ import annotations

import pytest
from eioku_ml.analyzers.speakers import SpeakersAnalyzer

from tests.speakers_eval import HELD_OUT_VOICES, VOICES, conversation, der

pytestmark = pytest.mark.models
POOLS = {"calibrated": (VOICES, range(10)),
         "held_out": (HELD_OUT_VOICES, [*range(200, 212), *range(500, 512)])}


@pytest.fixture(scope="module")
def analyzer():
    loaded = SpeakersAnalyzer({})
    loaded.ensure_loaded()
    return loaded


@pytest.fixture(scope="module", params=list(POOLS))
def heard(request, analyzer):
    voices, seeds = POOLS[request.param]
    talks = [conversation(seed, voices) for seed in seeds]
    return [(c, analyzer.observe(c.audio, 0.0)) for c in talks]


def _score(heard, config_of):
    missed = false_alarm = confusion = total = 0.0
    counts = []
    for c, seen in heard:
        items = SpeakersAnalyzer(config_of(c)).merge([seen])
        hypothesis = [(i.span_start_ms / 1000, i.span_end_ms / 1000, i.payload["speaker"]) for i in items]
        rate, parts = der(c.turns, hypothesis)
        found = len({s for *_, s in hypothesis})
        counts.append(found == c.speakers)
        missed, false_alarm = missed + parts["missed detection"], false_alarm + parts["false alarm"]
        confusion, total = confusion + parts["confusion"], total + parts["total"]
        overlap = sum(1 for i in items if i.payload["overlap"])
        print(f"seed {c.seed}: {c.speakers} voices, found {found}, {total and rate:.3f} DER "
              f"({len(c.audio) / 16000:.0f} s{', music' if c.music else ''}; {overlap} turns marked overlap)")
    rate = (missed + false_alarm + confusion) / total
    print(f"DER {rate:.3f} (missed {missed / total:.3f}, false alarm {false_alarm / total:.3f}, "
          f"confusion {confusion / total:.3f}); right number of speakers in {sum(counts)}/{len(counts)}")
    return rate, sum(counts) / len(counts)


def test_diarization_error_rate_and_speaker_count(heard):
    rate, right = _score(heard, lambda c: {})
    assert rate <= 0.15
    assert right >= 0.8


def test_told_how_many_it_finds_that_many(heard):
    rate, right = _score(heard, lambda c: {"speakers": c.speakers})
    assert right == 1.0
    assert rate <= 0.15
