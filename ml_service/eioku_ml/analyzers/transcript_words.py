"""From the words Whisper heard to transcript segments (no model here).

A word is a dict: ``word`` (as written, with its punctuation), ``start_ms``,
``end_ms``, ``confidence`` (the word's probability), ``segment_confidence``
(exp of its Whisper segment's mean log-probability) and ``language``; a
Whisper segment without word timings is one "word" with ``whole`` set.

- :func:`splice`: two chunks of a long video both heard the overlap around
  their border; the stream follows the earlier chunk up to a word both heard
  at the same time (two in a row where possible) and the later one from that
  word on, so no word of the overlap is lost or doubled.
- :func:`join_hyphenated`: Whisper writes "ill-disposed" as "ill" + "-disposed";
  one word again.
- :func:`drop_repeats`: a run of words said again right after itself (a
  repetition loop) is kept once.
- :func:`segments`: sentences over the whole stream (a sentence across two of
  Whisper's windows is one segment), long ones cut at their longest pause, and
  a fragment under three words whose sentence goes on joined to its neighbour.
"""

from __future__ import annotations

import re
from typing import Any

from eioku_ml.analyzers.sentences import split_sentences

Word = dict[str, Any]

SAME_WORD_MS = 300  # two chunks' timings of one word differ by less than this
MIN_WORDS = 3  # a segment shorter than this is a fragment
MAX_WORDS = 50  # a longer sentence is cut at a pause
MAX_MS = 25_000
JOIN_PAUSE_MS = 1000  # a short sentence this close to a neighbour joins it
_WORD = re.compile(r"[\w']+")


def norm(word: str) -> str:
    return "".join(_WORD.findall(word.lower()))


def splice(before: list[Word], after: list[Word], border_ms: int, reach_ms: int) -> list[Word]:
    """``before`` (the earlier chunk's words, in time order) up to a word that
    ``after`` heard too near ``border_ms`` (within ``reach_ms``), and ``after``
    from there. Without such a word, each side keeps the words that start on
    its side of the border."""
    near_after: dict[str, list[int]] = {}
    for j, w in enumerate(after):
        if abs(w["start_ms"] - border_ms) <= reach_ms and norm(w["word"]):
            near_after.setdefault(norm(w["word"]), []).append(j)
    best: tuple[tuple[int, int], int, int] | None = None
    for i, w in enumerate(before):
        if abs(w["start_ms"] - border_ms) > reach_ms:
            continue
        for j in near_after.get(norm(w["word"]), []):
            if abs(after[j]["start_ms"] - w["start_ms"]) > SAME_WORD_MS:
                continue
            both = (i + 1 < len(before) and j + 1 < len(after)
                    and norm(before[i + 1]["word"]) == norm(after[j + 1]["word"]))
            score = (int(both), -abs(w["start_ms"] - border_ms))
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is not None:
        return before[:best[1]] + after[best[2]:]
    return [w for w in before if w["start_ms"] < border_ms] + \
        [w for w in after if w["start_ms"] >= border_ms]


def join_hyphenated(words: list[Word]) -> list[Word]:
    """"ill" + "-disposed" (or "ill-" + "disposed") spoken together: "ill-disposed"."""
    out: list[Word] = []
    for w in words:
        prev = out[-1] if out else None
        if (prev is not None and not prev.get("whole") and not w.get("whole")
                and w["start_ms"] - prev["end_ms"] <= 500
                and ((w["word"][:1] == "-" and w["word"][1:2].isalnum()
                      and prev["word"][-1:].isalnum())
                     or (prev["word"][-1:] == "-" and prev["word"][-2:-1].isalnum()
                         and w["word"][:1].isalnum()))):
            out[-1] = {**prev, "word": prev["word"] + w["word"], "end_ms": max(prev["end_ms"], w["end_ms"]),
                       "confidence": min(prev["confidence"], w["confidence"])}
        else:
            out.append(w)
    return out


def drop_repeats(words: list[Word], min_run: int = 3, max_run: int = 40) -> list[Word]:
    """A run of ``min_run``..``max_run`` words followed at once by the same
    words again is kept once (Whisper's repetition loop: "and the work, and the
    work, and the work"). Shorter repeats ("no, no") are speech and stay."""
    keys = [norm(w["word"]) for w in words]
    out: list[int] = []
    i = 0
    while i < len(words):
        skipped = False
        for n in range(min(max_run, len(out), len(words) - i), min_run - 1, -1):
            if keys[out[-n]] == keys[i] and [keys[k] for k in out[-n:]] == keys[i:i + n] \
                    and all(keys[i:i + n]):
                i += n
                skipped = True
                break
        if not skipped:
            out.append(i)
            i += 1
    return [words[k] for k in out]


def segments(words: list[Word]) -> list[list[Word]]:
    """The words grouped into segments (see the module's docstring)."""
    texts = [w["word"] for w in words]
    groups = [[words[i] for i in g] for g in split_sentences(texts)]
    cut: list[list[Word]] = []
    for group in groups:
        cut.extend(_cut_long(group))
    return _join_fragments(cut)


def _cut_long(group: list[Word]) -> list[list[Word]]:
    """A sentence over MAX_WORDS words or MAX_MS is cut at its longest pause
    (after a comma if there is one near it), never leaving a fragment."""
    if (len(group) <= MAX_WORDS and group[-1]["end_ms"] - group[0]["start_ms"] <= MAX_MS) \
            or len(group) < 2 * MIN_WORDS:
        return [group]
    best, at = -1.0, MIN_WORDS
    for k in range(MIN_WORDS, len(group) - MIN_WORDS + 1):
        pause = group[k]["start_ms"] - group[k - 1]["end_ms"]
        score = pause + (400 if group[k - 1]["word"].endswith((",", ";", ":")) else 0) \
            - abs(k - len(group) / 2) * 5  # nearer the middle
        if score > best:
            best, at = score, k
    return _cut_long(group[:at]) + _cut_long(group[at:])


def _join_fragments(groups: list[list[Word]]) -> list[list[Word]]:
    """A group under MIN_WORDS words whose sentence goes on (no sentence end)
    joins the next (the last one, the group before it); one that ends a
    sentence begun in the group before it (no sentence end there) joins that one."""
    out: list[list[Word]] = []
    carry: list[Word] = []
    for group in groups:
        group = carry + group
        carry = []
        ends = _ends(group[-1]["word"])
        if len(group) < MIN_WORDS and not ends:
            carry = group
            continue
        if len(group) < MIN_WORDS and out and not _ends(out[-1][-1]["word"]):
            out[-1] = out[-1] + group
            continue
        out.append(group)
    if carry:  # the last words, their sentence unfinished: with the sentence before
        if out:
            out[-1] = out[-1] + carry
        else:
            out.append(carry)
    return _join_short(out)


def _join_short(groups: list[list[Word]]) -> list[list[Word]]:
    """A whole sentence under MIN_WORDS words said without a pause before or
    after it (Whisper put a full stop where the speaker went on: "…of our
    software. There. It applies…") joins the nearer neighbour."""
    out: list[list[Word]] = []
    for i, group in enumerate(groups):
        if len(group) >= MIN_WORDS:
            out.append(group)
            continue
        before = group[0]["start_ms"] - out[-1][-1]["end_ms"] if out else None
        after = groups[i + 1][0]["start_ms"] - group[-1]["end_ms"] if i + 1 < len(groups) else None
        if before is not None and before <= JOIN_PAUSE_MS and (after is None or before <= after):
            out[-1] = out[-1] + group
        elif after is not None and after <= JOIN_PAUSE_MS:
            groups[i + 1] = group + groups[i + 1]
        else:
            out.append(group)
    return out


def _ends(word: str) -> bool:
    return word.rstrip("\"'»”’)]").endswith((".", "?", "!", "…"))
