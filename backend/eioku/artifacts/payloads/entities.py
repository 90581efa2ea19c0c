from typing import Literal

from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, Payload

EntityType = Literal["person", "org", "place", "date", "amount", "term"]
TextSource = Literal["transcript", "ocr"]


class EntityMentionV1(Payload):
    """One occurrence of a name or key term, said (a transcript segment) or
    shown (an OCR line), over the span of the words that say it (the segment's
    or line's span when no word times are known).

    ``name``: the normalised name every mention of the same thing shares
    ("Siemens" for "Siemens AG's", "the Siemens"), what the library's terms
    list counts and ``jump?kind=entity&label=`` matches (case-insensitive);
    ``text``: the words as they were said or read; ``start``/``end``: their
    character offsets in the source's text; ``of_artifact_id``: the transcript
    segment or OCR line; ``confidence``: the recogniser's (1.0 for spaCy's
    greedy NER, which gives none) or, for a ``term``, the key phrase's score."""

    name: str = Field(min_length=1, max_length=200)
    type: EntityType
    text: str = Field(min_length=1, max_length=500)
    source: TextSource
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    of_artifact_id: str | None = Field(default=None, max_length=64)
    confidence: float = Confidence


class TextLanguageV1(Payload):
    """The language of one OCR line or transcript segment (``of_artifact_id``),
    over its span: an ISO 639-1 code (``und`` when too short or unsure to
    tell), fastText lid.176's ``confidence`` and the ``source``. For speech,
    ``spoken`` is the language Whisper heard, ``language`` that of the words
    written (they differ when a transcript was translated)."""

    language: str = Field(min_length=2, max_length=20)
    confidence: float = Confidence
    source: TextSource
    of_artifact_id: str | None = Field(default=None, max_length=64)
    spoken: str | None = Field(default=None, max_length=20)
