"""The English of speech in another language, on transcript segments (no model here).

With ``translate`` in the transcript's config, each window of speech not heard
as English is decoded a second time with Whisper's translate task
(``TranscriptAnalyzer._translate``); its pieces of English text, timed in the
file, are kept here:

- :func:`once`: each sentence of a piece kept once (a loop of one sentence
  said over and over, as Whisper base produces on synthetic voices, is one).
- :func:`attach`: each piece goes on the segment it overlaps most (the nearest
  one if none), so a window's English is spread over the segments it covers,
  not repeated on each; a segment's pieces are joined in time order into its
  optional payload field ``translation``. A segment without any has no field.
"""

from __future__ import annotations

from typing import Any

from eioku_ml.analyzers.base import Item
from eioku_ml.analyzers.sentences import split_sentences
from eioku_ml.analyzers.transcript_words import norm

MAX_TRANSLATION = 20_000  # the payload's bound on a segment's translation


def once(text: str, said: set[str]) -> list[str]:
    """The sentences of ``text`` not yet in ``said`` (compared without case or
    punctuation), in order; ``said`` takes them in."""
    words = text.split()
    kept = []
    for group in split_sentences(words):
        sentence = " ".join(words[i] for i in group)
        key = " ".join(norm(words[i]) for i in group).strip()
        if key and key not in said:
            said.add(key)
            kept.append(sentence)
    return kept


def attach(items: list[Item], pieces: list[dict[str, Any]]) -> list[Item]:
    """``items`` with the English ``pieces`` ({start_ms, end_ms, text}) on the
    segment each overlaps most; items without any are left as they are."""
    if not items or not pieces:
        return items
    found: dict[int, list[tuple[int, str]]] = {}
    for piece in pieces:
        start, end = piece["start_ms"], max(piece["start_ms"], piece["end_ms"])
        best = max(range(len(items)), key=lambda i, s=start, e=end: _fit(items[i], s, e))
        found.setdefault(best, []).append((start, piece["text"]))
    for i, texts in found.items():
        text = " ".join(t for _, t in sorted(texts)).strip()
        if text:
            items[i].payload["translation"] = text[:MAX_TRANSLATION]
    return items


def _fit(item: Item, start: int, end: int) -> tuple[int, int]:
    """How well [start, end) lies on the item: its overlap, then nearness."""
    overlap = min(end, item.span_end_ms) - max(start, item.span_start_ms)
    return overlap, -max(item.span_start_ms - end, start - item.span_end_ms, 0)
