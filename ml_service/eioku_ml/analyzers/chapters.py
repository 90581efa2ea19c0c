"""chapter: a video split where its topic changes, each part titled.

It reads the selected runs of other stages (``uses``) and never decodes the
file, so it is cheap and runs on an analysed video by itself:

1. Sentences of the transcript (its words' ends, ``sentences.py``; a segment
   without word times is one unit), each embedded by all-MiniLM-L6-v2.
2. At every pause between two sentences, the similarity of what was said in
   the ``window_s`` seconds before to what is said in the ``window_s`` after
   (each side the unit mean of its sentences, weighted by words): TextTiling
   with sentence vectors. A pause's *depth* is how far that similarity dips
   below the highest it climbs to on either side; a change of speaker or a
   pause of at least ``pause_s`` adds ``cue_bonus`` each.
3. The deepest pauses become chapter starts while their depth is at least
   ``min_depth`` and every chapter stays at least ``min_chapter_s`` long.
   A start moves to a shot cut inside the pause (or within ``snap_s`` of it),
   else to a change of speaker there, else just before the next sentence.
4. Nothing said for ``silent_s`` or more (before, between or after speech):
   that stretch is a chapter of its own, split again at shot cuts where what
   the shots show changes (object and place labels, ``embeddings.describe``).
5. Titles: a chapter with speech is titled by its key phrases
   (``keyphrases.rank``: KeyBERT with the same MiniLM, set apart from the rest
   of the video); one without, by what its shots show ("A person with a dog,
   in a park"), or "No speech" when nothing was seen either.

A video with neither speech nor scenes is one chapter.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eioku_ml.analyzers import keyphrases
from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.analyzers.embeddings import _overlapping, describe
from eioku_ml.analyzers.sentences import split_sentences

DEFAULTS: dict[str, Any] = {
    "window_s": 30.0, "min_chapter_s": 20.0, "min_depth": 0.16, "cue_bonus": 0.03,
    "pause_s": 1.5, "snap_s": 1.5, "silent_s": 20.0, "key_phrases": 3, "max_candidates": 60,
    "distinct": 0.5, "shot_change": 0.34,
}


@dataclass
class Unit:
    """A sentence (or an untimed segment): where it is said and what."""

    start_ms: int
    end_ms: int
    text: str
    words: int


@dataclass
class Chapter:
    start_ms: int
    end_ms: int
    reasons: list[str] = field(default_factory=list)
    spoken: bool = True


def sentences(transcript: Sequence[Any]) -> list[Unit]:
    """The transcript's sentences in time order, each timed by its words."""
    units: list[Unit] = []
    for seg in sorted(transcript, key=lambda a: a.span_start_ms):
        words = [w for w in seg.payload.get("words") or [] if str(w.get("word", "")).strip()]
        if not words:
            text = str(seg.payload.get("text", "")).strip()
            if text:
                units.append(Unit(seg.span_start_ms, seg.span_end_ms, text, len(text.split())))
            continue
        tokens = [str(w["word"]).strip() for w in words]
        for group in split_sentences(tokens):
            units.append(Unit(int(words[group[0]]["start_ms"]), int(words[group[-1]]["end_ms"]),
                              " ".join(tokens[i] for i in group), len(group)))
    return units


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _block(vectors: np.ndarray, weights: np.ndarray, idx: range) -> np.ndarray:
    return _unit((vectors[idx.start:idx.stop] * weights[idx.start:idx.stop, None]).sum(0))


def similarities(units: Sequence[Unit], vectors: np.ndarray, window_ms: int) -> np.ndarray:
    """For each pause i (between units i and i+1): the cosine of the words said
    in ``window_ms`` before it to those said in ``window_ms`` after it."""
    starts = [u.start_ms for u in units]
    ends = [u.end_ms for u in units]
    weights = np.array([max(1, u.words) for u in units], np.float32)
    sims = np.zeros(max(0, len(units) - 1), np.float32)
    for i in range(len(units) - 1):
        lo = min(i, bisect.bisect_left(ends, units[i].end_ms - window_ms))
        hi = max(i + 2, bisect.bisect_right(starts, units[i + 1].start_ms + window_ms))
        before, after = range(lo, i + 1), range(i + 1, hi)
        sims[i] = float(_block(vectors, weights, before) @ _block(vectors, weights, after))
    return sims


def depths(sims: np.ndarray) -> np.ndarray:
    """TextTiling's depth: how far each similarity lies below the highest it
    climbs to on its left and on its right (climbing while it rises)."""
    out = np.zeros_like(sims)
    for i, s in enumerate(sims):
        left = s
        for j in range(i - 1, -1, -1):
            if sims[j] < left:
                break
            left = sims[j]
        right = s
        for j in range(i + 1, len(sims)):
            if sims[j] < right:
                break
            right = sims[j]
        out[i] = (left - s) + (right - s)
    return out


class ChaptersAnalyzer(Analyzer):
    name = "chapters"

    def setting(self, key: str) -> Any:
        value = self.config.get(key)
        return DEFAULTS[key] if value is None else value

    def load(self) -> None:
        from eioku_ml.models import minilm

        self.model = minilm.shared()

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        return self.chapters(media.duration_ms, context, self.model.encode)

    def chapters(self, duration_ms: int, context: dict[str, Any], encode: Any) -> list[Item]:
        """This video's chapters from the other stages' artifacts (``context``)."""
        duration_ms = max(duration_ms, 1, *(a.span_end_ms for arts in context.values() for a in arts))
        units = sentences(context.get("transcript", []))
        vectors = encode([u.text for u in units]) if units else np.zeros((0, 384), np.float32)
        cuts = sorted({a.span_start_ms for a in context.get("scenes", []) if a.span_start_ms > 0})
        turns = sorted(context.get("speakers", []), key=lambda a: a.span_start_ms)
        spoken = self.spoken_chapters(units, vectors, cuts, turns)
        chapters = self.with_silences(spoken, units, duration_ms, cuts, context)
        return self.titled(chapters, units, vectors, context, encode)

    # -- where chapters start -------------------------------------------------------------
    def spoken_chapters(self, units: list[Unit], vectors: np.ndarray, cuts: list[int],
                        turns: list[Any]) -> list[Chapter]:
        """Chapters of the speech alone: starts at the deepest pauses, each a run of
        units; a long silence inside speech also ends one (see :meth:`with_silences`)."""
        if not units:
            return []
        silent_ms = int(self.setting("silent_s") * 1000)
        sims = similarities(units, vectors, int(self.setting("window_s") * 1000))
        deep = depths(sims)
        pause_ms = int(self.setting("pause_s") * 1000)
        bonus = float(self.setting("cue_bonus"))
        for i in range(len(deep)):
            gap = units[i + 1].start_ms - units[i].end_ms
            deep[i] += bonus * (gap >= pause_ms) + bonus * self._speaker_changes(turns, units, i)
        min_ms = int(self.setting("min_chapter_s") * 1000)
        # long silences are boundaries already: a topic start needs room from them too
        taken = [units[0].start_ms, units[-1].end_ms]
        for i in range(len(units) - 1):
            if units[i + 1].start_ms - units[i].end_ms >= silent_ms:
                taken += [units[i].end_ms, units[i + 1].start_ms]
        chosen: list[int] = []
        for i in sorted(range(len(deep)), key=lambda k: -deep[k]):
            if deep[i] < float(self.setting("min_depth")):
                break
            at = units[i + 1].start_ms
            if all(abs(at - t) >= min_ms for t in taken):
                taken.append(at)
                chosen.append(i)
        starts = sorted(chosen)
        out, first = [], 0
        for i in [*starts, len(units) - 1]:
            last = i
            reasons = [] if first == 0 else self._reasons(units, first - 1, cuts, turns)
            out.append(Chapter(units[first].start_ms, units[last].end_ms, reasons))
            out[-1].start_ms = self._snap(units, first, cuts, turns) if first else units[0].start_ms
            first = i + 1
        return out

    def _speaker_changes(self, turns: list[Any], units: list[Unit], i: int) -> bool:
        if not turns:
            return False
        return _speaker_at(turns, units[i].end_ms - 1) != _speaker_at(turns, units[i + 1].start_ms + 1)

    def _reasons(self, units: list[Unit], i: int, cuts: list[int], turns: list[Any]) -> list[str]:
        reasons = ["topic"]
        if self._cut_in_pause(units, i, cuts) is not None:
            reasons.append("cut")
        if self._speaker_changes(turns, units, i):
            reasons.append("speaker")
        if units[i + 1].start_ms - units[i].end_ms >= int(self.setting("pause_s") * 1000):
            reasons.append("silence")
        return reasons

    def _cut_in_pause(self, units: list[Unit], i: int, cuts: list[int]) -> int | None:
        snap = int(self.setting("snap_s") * 1000)
        lo, hi = units[i].end_ms - snap, units[i + 1].start_ms + snap
        near = [c for c in cuts[bisect.bisect_left(cuts, lo):bisect.bisect_right(cuts, hi)]]
        if not near:
            return None
        pause_mid = (units[i].end_ms + units[i + 1].start_ms) / 2
        return min(near, key=lambda c: abs(c - pause_mid))

    def _snap(self, units: list[Unit], first: int, cuts: list[int], turns: list[Any]) -> int:
        """Where a chapter that opens with unit ``first`` starts: a cut in the
        pause before it, else the start of the new speaker's turn there, else
        just before its first word."""
        i = first - 1
        cut = self._cut_in_pause(units, i, cuts)
        if cut is not None:
            return cut
        gap_lo, gap_hi = units[i].end_ms, units[first].start_ms
        for t in turns:
            if gap_lo <= t.span_start_ms <= gap_hi:
                return int(t.span_start_ms)
        return max(gap_lo, gap_hi - min(500, (gap_hi - gap_lo) // 2))

    def with_silences(self, spoken: list[Chapter], units: list[Unit], duration_ms: int,
                      cuts: list[int], context: dict[str, Any]) -> list[Chapter]:
        """The whole video tiled: the spoken chapters, long silences (before,
        between and after speech) as chapters of their own, split at changes of
        what the shots show, and every start/end met by its neighbour's."""
        silent_ms = int(self.setting("silent_s") * 1000)
        pieces: list[Chapter] = []
        for chapter in spoken:  # a long silence inside a spoken chapter splits it
            inside = [u for u in units if chapter.start_ms <= u.start_ms and u.end_ms <= chapter.end_ms]
            run_start = chapter.start_ms
            for a, b in zip(inside, inside[1:], strict=False):
                if b.start_ms - a.end_ms >= silent_ms:
                    pieces.append(Chapter(run_start, a.end_ms, chapter.reasons if run_start ==
                                          chapter.start_ms else ["silence"]))
                    pieces.append(Chapter(a.end_ms, b.start_ms, ["silence"], spoken=False))
                    run_start = b.start_ms
            pieces.append(Chapter(run_start, chapter.end_ms,
                                  chapter.reasons if run_start == chapter.start_ms else ["silence"]))
        tiled: list[Chapter] = []
        cursor = 0
        for piece in pieces:
            if piece.start_ms - cursor >= silent_ms:
                tiled.append(Chapter(cursor, piece.start_ms, ["silence"] if tiled else [], spoken=False))
                cursor = piece.start_ms
            if tiled:
                tiled[-1].end_ms = max(tiled[-1].start_ms + 1, piece.start_ms)
            start = cursor if not tiled else piece.start_ms
            tiled.append(Chapter(start, piece.end_ms, piece.reasons if tiled else [], piece.spoken))
            cursor = piece.end_ms
        if duration_ms - cursor >= silent_ms or not tiled:
            tiled.append(Chapter(cursor, duration_ms, ["silence"] if tiled else [], spoken=False))
        tiled[-1].end_ms = max(tiled[-1].end_ms, duration_ms)
        tiled = [c for c in tiled if c.end_ms > c.start_ms]
        out: list[Chapter] = []
        for chapter in tiled:
            out.extend(self._by_shots(chapter, cuts, context) if not chapter.spoken else [chapter])
        return out

    def _by_shots(self, chapter: Chapter, cuts: list[int], context: dict[str, Any]) -> list[Chapter]:
        """A stretch without speech, split at the cuts where what the shots show
        changes (labels' Jaccard below ``shot_change``), each part long enough."""
        min_ms = int(self.setting("min_chapter_s") * 1000)
        inner = [c for c in cuts if chapter.start_ms + min_ms <= c <= chapter.end_ms - min_ms]
        if not inner:
            return [chapter]
        bounds = [chapter.start_ms, *inner, chapter.end_ms]
        labels = [_labels(context, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
        out = [Chapter(chapter.start_ms, bounds[1], chapter.reasons, spoken=False)]
        seen = set(labels[0])
        for k, cut in enumerate(inner, start=1):
            now = labels[k]
            union = seen | now
            similar = not union or len(seen & now) / len(union) >= float(self.setting("shot_change"))
            if not similar and cut - out[-1].start_ms >= min_ms and chapter.end_ms - cut >= min_ms:
                out.append(Chapter(cut, bounds[k + 1], ["cut"], spoken=False))
                seen = set(now)
            else:
                out[-1].end_ms = bounds[k + 1]
                seen |= now
        out[-1].end_ms = chapter.end_ms
        return out

    # -- what each is called ---------------------------------------------------------------
    def titled(self, chapters: list[Chapter], units: list[Unit], vectors: np.ndarray,
               context: dict[str, Any], encode: Any) -> list[Item]:
        members = [[k for k, u in enumerate(units) if c.start_ms <= (u.start_ms + u.end_ms) / 2 < c.end_ms]
                   for c in chapters]
        weights = np.array([max(1, u.words) for u in units], np.float32)
        docs = [_unit((vectors[m] * weights[m, None]).sum(0)) if m else None for m in members]
        items = []
        for n, (chapter, member, doc) in enumerate(zip(chapters, members, docs, strict=True)):
            text = " ".join(units[k].text for k in member)
            payload: dict[str, Any] = {"chapter_index": n, "reasons": chapter.reasons,
                                       "words": sum(units[k].words for k in member)}
            phrases: list[keyphrases.Phrase] = []
            if doc is not None:
                others = [d for j, d in enumerate(docs) if d is not None and j != n]
                rest = _unit(np.sum(others, axis=0)) if others else None
                phrases = keyphrases.rank(text, doc, encode, rest, top=int(self.setting("key_phrases")),
                                          max_candidates=int(self.setting("max_candidates")),
                                          distinct=float(self.setting("distinct")))
            if phrases:
                payload.update(title=keyphrases.title(phrases), title_source="speech",
                               key_phrases=[p.text[:200] for p in phrases])
            else:
                seen = _seen(context, chapter.start_ms, chapter.end_ms)
                payload.update(title=seen or "No speech", title_source="shots" if seen else "none",
                               key_phrases=[])
            items.append(Item(chapter.start_ms, chapter.end_ms, payload))
        return items


def _speaker_at(turns: list[Any], ms: int) -> str | None:
    for t in turns:
        if t.span_start_ms <= ms < t.span_end_ms:
            return str(t.payload.get("speaker"))
    return None


def _labels(context: dict[str, Any], start: int, end: int) -> set[str]:
    objects = _overlapping(context.get("objects", []), start, end)
    places = _overlapping(context.get("places", []), start, end)
    found = {str(a.payload.get("label", "")).lower() for a in [*objects, *places]}
    if _overlapping(context.get("faces", []), start, end):
        found.add("person")
    return found - {"", "unknown"}


def _seen(context: dict[str, Any], start: int, end: int) -> str:
    """What a stretch's shots show, as the search descriptions say it, without the full stop."""
    _, seen = describe(*(_overlapping(context.get(name, []), start, end)
                         for name in ("objects", "faces", "places")), [], [])
    return seen.rstrip(".")[:200]
