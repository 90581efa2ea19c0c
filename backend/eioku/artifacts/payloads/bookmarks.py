from pydantic import Field

from eioku.artifacts.payloads._common import Payload

MAX_NOTE_CHARS = 2000
MAX_TAGS = 20
MAX_TAG_CHARS = 50


class BookmarkV1(Payload):
    """A moment a person marked, from the artifact's span start to its end (a
    point when they are equal): their ``note`` and ``tags``, and the
    ``bookmark_id`` of the row it is written from (store/bookmarks.py)."""

    bookmark_id: str = Field(min_length=36, max_length=36)
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    author: str = Field(default="", max_length=200)
