"""The chapters evaluation: programmes of short talks on distinct topics, read
by Debian's voices (flite's recorded speakers, espeak-ng), one with the
LibriVox narration of pocketsphinx-testdata as a part of its own
(tests/chapters_eval.py). Two programmes are heard by the real transcript
stage (Whisper base); four more give the chapters stage each sentence with
its exact time, as a perfect transcript would. Prints boundary precision,
recall and F1 within ±10 s and how many talks' chapters are titled with a
word of the talk's reference key phrases; asserts F1 >= 0.7 and >= 70 %.

Nothing is cached across tests: each test makes its own audio and transcript."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.chapters import ChaptersAnalyzer
from eioku_ml.analyzers.transcript import TranscriptAnalyzer
from eioku_ml.media.decode import probe
from eioku_ml.models import minilm

from tests.chapters_eval import TALKS, Programme, boundary_f1, programme, shares_a_word
from tests.speech_media import talking_video

pytestmark = pytest.mark.models


def _art(start_ms: int, end_ms: int, payload: dict) -> SimpleNamespace:
    return SimpleNamespace(span_start_ms=start_ms, span_end_ms=end_ms, payload=payload)


def _programmes(work, seeds) -> list[Programme]:
    out = []
    for seed in seeds:
        talks = random.Random(seed).sample(TALKS, 4)
        out.append(programme(talks, work, seed, narration_at=2 if seed % 2 else None))
    return out


def _score(cases: list[tuple[Programme, list]]) -> tuple[float, float]:
    analyzer = ChaptersAnalyzer({})
    encode = minilm.shared().encode
    hits = found_n = truth_n = titled = talks = 0
    for prog, transcript in cases:
        duration_ms = int(len(prog.audio) / 16)
        items = analyzer.chapters(duration_ms, {"transcript": transcript}, encode)
        found = [i.span_start_ms / 1000 for i in items[1:]]
        p, r, f1 = boundary_f1(found, prog.boundaries_s)
        hits += round(r * len(prog.boundaries_s))
        found_n, truth_n = found_n + len(found), truth_n + len(prog.boundaries_s)
        print(f"{duration_ms / 1000:.0f} s: boundaries {[round(b) for b in prog.boundaries_s]} found "
              f"{[round(f) for f in found]}: P {p:.2f} R {r:.2f} F1 {f1:.2f}")
        for start, end, talk in prog.parts:
            best = max(items, key=lambda i, s=start, e=end: min(e, i.span_end_ms / 1000)
                       - max(s, i.span_start_ms / 1000))
            if talk is None:
                print(f"  (narration) -> {best.payload['title']!r}")
                continue
            ok = shares_a_word(best.payload["title"], talk.key_phrases)
            titled, talks = titled + ok, talks + 1
            print(f"  {talk.topic}: {best.payload['title']!r} {'ok' if ok else 'MISSES'} "
                  f"{talk.key_phrases}")
    precision, recall = hits / max(found_n, 1), hits / truth_n
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    print(f"boundaries: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f} "
          f"({hits} of {truth_n} found, {found_n} placed); titles {titled}/{talks} "
          f"= {titled / talks:.2f}")
    return f1, titled / talks


def test_chapters_on_transcribed_talks(tmp_path):
    """Whisper base hears the programmes: its sentences and their word times."""
    heard = TranscriptAnalyzer({"model": "base", "beam_size": 1})
    cases = []
    for n, prog in enumerate(_programmes(tmp_path, (20, 21))):
        path = talking_video(tmp_path / f"talks{n}.mp4", prog.audio)
        items = heard.analyze(MediaInput(path, probe(path)), lambda _: None, {})
        cases.append((prog, [_art(i.span_start_ms, i.span_end_ms, i.payload) for i in items]))
    f1, titled = _score(cases)
    assert f1 >= 0.7
    assert titled >= 0.7


def test_chapters_on_exactly_timed_talks(tmp_path):
    """Each sentence with its exact time, as a transcript segment without word times."""
    cases = [(prog, [_art(int(s * 1000), int(e * 1000), {"text": t}) for s, e, t in prog.sentences])
             for prog in _programmes(tmp_path, (10, 11, 12, 13))]
    f1, titled = _score(cases)
    assert f1 >= 0.7
    assert titled >= 0.7
