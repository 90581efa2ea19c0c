"""The transcript begun while it waits for the words on screen.

The transcript uses the OCR run (its words bias Whisper, and a window ends
where the text on screen changes), so it waits for the frame pass, the
longest job of an analysis. Most of its windows, though, have no text on
screen near them, and for those the words on screen change nothing. While
the run waits, a prepare job (worker/prepared.py) decodes every window as it
would be decoded with no text on screen — the library's names as the only
hotwords — and keeps what each window gave, keyed by everything that
decides it: the window's audio (a digest of its samples), where it starts,
the language asked, and the hotwords. The run's own job then decodes as
always; a window whose key was decoded ahead takes those words, any other
(one near text on screen, or cut elsewhere because the text changed there)
is decoded then. Decoding a window is a function of exactly those inputs
(temperature 0, nothing carried from the window before), so the words are
the same as with nothing done ahead; only the time differs.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from eioku_ml.analyzers.base import Item, MediaInput, Progress

log = logging.getLogger(__name__)


def _key(audio: np.ndarray, offset_s: float, language: str | None, short: bool,
         hotwords: str | None) -> str:
    digest = hashlib.blake2b(np.ascontiguousarray(audio).view(np.uint8), digest_size=16).hexdigest()
    return json.dumps([round(float(offset_s), 4), int(len(audio)), language, bool(short), hotwords,
                       digest])


@contextlib.contextmanager
def _remembering(analyzer: Any, memo: dict[str, tuple[list[Any], str | None]],
                 decoded: Callable[[str], None] | None = None) -> Iterator[None]:
    """While inside: the analyzer's window decoding answers from ``memo`` when it
    holds the window, and adds every window it decodes to it (then ``decoded``)."""
    decode = type(analyzer)._transcribe.__get__(analyzer)

    def transcribe(audio: Any, offset_s: float, language: str | None, short: bool,
                   hotwords: str | None = None) -> tuple[list[Any], str | None]:
        key = _key(audio, offset_s, language, short, hotwords)
        if key not in memo:
            memo[key] = decode(audio, offset_s, language, short, hotwords=hotwords)
            if decoded is not None:
                decoded(key)
        words, detected = memo[key]
        return copy.deepcopy(words), detected

    analyzer._transcribe = transcribe
    try:
        yield
    finally:
        del analyzer._transcribe


class _Stopped(Exception):
    """The run began: it took the windows kept so far."""


def prepare(analyzer: Any, media: MediaInput, context: dict[str, Any], ahead: Any = None) -> dict[str, Any]:
    """Every window decoded as with no text on screen: [key, words, language];
    each kept as soon as it is decoded (``ahead``), and no more decoded once
    the run has begun (it takes what is kept: waiting for the rest would only
    delay it, as what is left it decodes itself)."""
    analyzer.use_context({"names": context.get("names", [])})
    memo: dict[str, tuple[list[Any], str | None]] = {}

    def found() -> dict[str, Any]:
        return {"windows": [[key, words, language] for key, (words, language) in memo.items()]}

    def kept(key: str) -> None:
        if ahead is not None:
            ahead.keep(found())
            if ahead.stopped:
                raise _Stopped

    with contextlib.suppress(_Stopped), _remembering(analyzer, memo, kept):
        analyzer.analyze_chunk(media, None, 0.0, lambda _fraction: None)
    return found()


def analyze_prepared(analyzer: Any, media: MediaInput, progress: Progress, context: dict[str, Any],
                     ahead: dict[str, Any]) -> list[Item]:
    """The run's analysis, with the windows decoded ahead taken as they are."""
    try:
        memo = {str(key): (list(words), language) for key, words, language in ahead.get("windows", [])}
    except (TypeError, ValueError):  # not what prepare() writes: every window is decoded now
        memo = {}
    before = set(memo)
    with _remembering(analyzer, memo):
        items = analyzer.analyze(media, progress, context)
    log.info("%s: %d windows decoded ahead, %d decoded now (text on screen near them)",
             getattr(media, "path", "video"), len(before), len(set(memo) - before))
    return items
