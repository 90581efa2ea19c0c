"""Voices across videos, measured: eight conversations of 2–6 Debian voices
(tests/speakers_eval.py, seeds the threshold was not calibrated on: those were
100–105) diarized by the speakers analyzer; each speaker found becomes a voice
centroid as the library makes it (store/voices.py, ``speaker_centroids``) and
is known by the reference voice that speaks most of its time. Every pair of
speakers from two different conversations is a question — the same voice? —
answered by ``MATCH_THRESHOLD``: prints pairwise precision and recall, and the
same after the library's own matching (``match``: conversations added one by
one, most alike pairs first, one speaker per voice)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from eioku.store.voices import MATCH_THRESHOLD, match, speaker_centroids
from eioku_ml.analyzers.speakers import SpeakersAnalyzer

from tests.speakers_eval import conversation

pytestmark = pytest.mark.models
SEEDS = range(200, 208)


@pytest.fixture(scope="module")
def speakers() -> list[tuple[int, str, np.ndarray]]:
    """(conversation, reference voice, centroid) per speaker found."""
    analyzer = SpeakersAnalyzer({})
    analyzer.ensure_loaded()
    out = []
    for seed in SEEDS:
        c = conversation(seed)
        items = SpeakersAnalyzer({}).merge([analyzer.observe(c.audio, 0.0)])
        found = speaker_centroids((i.payload["speaker"], i.span_start_ms, i.span_end_ms,
                                   i.payload.get("embedding"), i.payload["overlap"]) for i in items)
        for speaker, (centroid, _) in found.items():
            heard: dict[str, float] = {}
            for i in items:
                if i.payload["speaker"] != speaker or i.payload["overlap"]:
                    continue
                for start, end, voice in c.turns:
                    shared = min(i.span_end_ms / 1000, end) - max(i.span_start_ms / 1000, start)
                    heard[voice] = heard.get(voice, 0.0) + max(shared, 0.0)
            out.append((seed, max(heard, key=lambda v: heard[v]), np.asarray(centroid)))
    return out


def _precision_recall(pairs: list[tuple[bool, bool]]) -> tuple[float, float, int, int]:
    tp = sum(same and said for same, said in pairs)
    fp = sum(said and not same for same, said in pairs)
    fn = sum(same and not said for same, said in pairs)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp + fn, len(pairs) - tp - fn


def test_the_same_voice_matches_across_conversations_and_no_other(speakers):
    pairs = [(a[1] == b[1], float(a[2] @ b[2]) >= MATCH_THRESHOLD)
             for a, b in itertools.combinations(speakers, 2) if a[0] != b[0]]
    precision, recall, same, different = _precision_recall(pairs)
    sims_same = [float(a[2] @ b[2]) for a, b in itertools.combinations(speakers, 2)
                 if a[0] != b[0] and a[1] == b[1]]
    sims_other = [float(a[2] @ b[2]) for a, b in itertools.combinations(speakers, 2)
                  if a[0] != b[0] and a[1] != b[1]]
    print(f"pairwise at {MATCH_THRESHOLD}: precision {precision:.3f}, recall {recall:.3f} "
          f"({same} same-voice pairs, {different} different; cosine same min {min(sims_same):.3f} "
          f"median {np.median(sims_same):.3f}, different median {np.median(sims_other):.3f} "
          f"max {max(sims_other):.3f})")
    # the library's matching: conversations added one by one
    voices: dict[str, list[np.ndarray]] = {}
    assigned = []
    for seed in SEEDS:
        found = {str(i): s[2] for i, s in enumerate(speakers) if s[0] == seed}
        means = {v: (lambda m: m / np.linalg.norm(m))(np.mean(cs, axis=0)) for v, cs in voices.items()}
        for key, voice in match(found, means).items():
            voice = voice or f"voice-{len(voices) + 1}"
            voices.setdefault(voice, []).append(found[key])
            assigned.append((speakers[int(key)], voice))
    library = [(a[0][1] == b[0][1], a[1] == b[1]) for a, b in itertools.combinations(assigned, 2)
               if a[0][0] != b[0][0]]
    lib_precision, lib_recall, _, _ = _precision_recall(library)
    print(f"library matching: precision {lib_precision:.3f}, recall {lib_recall:.3f}; "
          f"{len(voices)} voices for {len({s[1] for s in speakers})} reference voices")
    assert precision >= 0.95 and recall >= 0.9
    assert lib_precision >= 0.95 and lib_recall >= 0.9
