from typing import Literal

from pydantic import Field

from eioku.artifacts.payloads._common import Payload

Phrase = Field(min_length=1, max_length=200)


class ChapterV1(Payload):
    """One chapter, from the artifact's span start to its end (chapters tile the
    video). ``title`` is its key phrases joined, or, where nothing is said, what
    its shots show; ``title_source`` says which. ``key_phrases`` best first.
    ``reasons``: what marked its start (a change of topic in the speech, a shot
    cut, a change of speaker, a silence); the first chapter's is empty."""

    chapter_index: int = Field(ge=0)
    title: str = Field(min_length=1, max_length=200)
    key_phrases: list[str] = Field(default_factory=list, max_length=10)
    title_source: Literal["speech", "shots", "none"] = "speech"
    reasons: list[Literal["topic", "cut", "speaker", "silence"]] = Field(
        default_factory=list, max_length=4)
    words: int = Field(default=0, ge=0)  # words spoken in it
