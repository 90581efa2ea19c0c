"""The names evaluation: hand-labelled transcript-like and on-screen sentences
(tests/data/entities-eval/sentences.jsonl, written before the analyzer and
never tuned to it), read one at a time by the entities analyzer's
``find_names``. A found name counts when its normalised name and type equal a
labelled one's (the labels normalised the same way: "the Black Sea" is
"Black Sea"); partial names ("Sachs" for "Goldman Sachs") are misses and
false finds both. Precision, recall and F1 per type over all sentences."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eioku_ml.analyzers.entities import Source, find_names, normalise

DATA = Path(__file__).parent / "data" / "entities-eval" / "sentences.jsonl"
TYPES = ("person", "org", "place", "date", "amount")


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def sentences() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(nlp) -> tuple[dict[str, Score], list[str]]:
    """Scores per type, and a line per mistake (for the report)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    mistakes = []
    for s in sentences():
        gold = Counter((normalise(text, t).lower(), t) for text, t in s["entities"])
        found, _ = find_names(nlp, [Source(s["source"], s["text"], 0, 1000)])
        pred = Counter((m.name.lower(), m.type) for m in found)
        for key in gold | pred:
            hit = min(gold[key], pred[key])
            tp[key[1]] += hit
            fp[key[1]] += pred[key] - hit
            fn[key[1]] += gold[key] - hit
            if gold[key] != pred[key]:
                mistakes.append(f"{s['text']!r}: {key} labelled {gold[key]}, found {pred[key]}")
    return {t: Score(tp[t], fp[t], fn[t]) for t in TYPES}, mistakes


def report(scores: dict[str, Score]) -> str:
    return "\n".join(f"{t:7s} P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} "
                     f"(tp {s.tp}, fp {s.fp}, fn {s.fn})" for t, s in scores.items())


if __name__ == "__main__":
    from eioku_ml.models import ner

    scores, mistakes = evaluate(ner.shared())
    print("\n".join(mistakes))
    print(report(scores))
