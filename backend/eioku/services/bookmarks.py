"""Bookmarks: a person marks a point or a range of a video with a note and tags
(the player's ``b``, a search result, the API, the CLI), edits or deletes it.

Each change is checked here and ends with the video's bookmark run made again
in the same transaction (store/bookmarks.py), so the timeline, find and jump
show it at once. Bookmarks are people's: no analysis changes them.
"""

from __future__ import annotations

import uuid
from typing import Any

from eioku.artifacts.payloads.bookmarks import MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS
from eioku.config import Settings
from eioku.domain.errors import NotFoundError, ValidationFailedError
from eioku.store.bookmarks import Bookmark, BookmarkStore
from eioku.store.uow import UnitOfWork

MAX_RANGE_MS = 6 * 3_600_000  # a bookmark spans at most six hours
_END_SLACK_MS = 1_000  # the audio may run a moment past the last frame


class BookmarkNotFoundError(NotFoundError):
    """No bookmark with that id."""


def author(settings: Settings) -> str:
    return "token holder" if settings.api_token else "local user"


def clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationFailedError(f"the note has {len(note)} characters; at most {MAX_NOTE_CHARS}",
                                    field="note")
    if "\x00" in note:
        raise ValidationFailedError("the note holds a NUL character", field="note")
    return note


def clean_tags(tags: list[str]) -> list[str]:
    """Tags as words: trimmed, inner spaces as one, lowercase, each once, in order."""
    out: list[str] = []
    for raw in tags:
        tag = " ".join(raw.split()).lower().lstrip("#")
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS or "\x00" in tag:
            raise ValidationFailedError(f"a tag is at most {MAX_TAG_CHARS} characters", field="tags")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationFailedError(f"{len(out)} tags; at most {MAX_TAGS}", field="tags")
    return out


def check_span(start_ms: int, end_ms: int | None, duration_ms: int | None) -> int:
    """The end (a point when none is given) once the span is checked against the video."""
    end = start_ms if end_ms is None else end_ms
    if start_ms < 0:
        raise ValidationFailedError(f"start_ms {start_ms} is before the video starts", field="start_ms")
    if end < start_ms:
        raise ValidationFailedError(f"end_ms {end} is before start_ms {start_ms}", field="end_ms")
    if end - start_ms > MAX_RANGE_MS:
        raise ValidationFailedError(f"a bookmark spans at most {MAX_RANGE_MS // 3_600_000} hours",
                                    field="end_ms")
    if duration_ms is not None and end > duration_ms + _END_SLACK_MS:
        raise ValidationFailedError(f"end_ms {end} is after the video's end ({duration_ms} ms)",
                                    field="end_ms")
    return end


def _store(uow: UnitOfWork) -> BookmarkStore:
    return BookmarkStore(uow.session, uow.projections)


def add(uow: UnitOfWork, video_id: uuid.UUID, *, start_ms: int, end_ms: int | None = None,
        note: str = "", tags: list[str] | None = None, by: str) -> Bookmark:
    video = uow.videos.get(video_id)  # 404 when unknown
    end = check_span(start_ms, end_ms, video.duration_ms)
    store = _store(uow)
    bookmark = store.add(asset_id=video.video_id, start_ms=start_ms, end_ms=end, note=clean_note(note),
                         tags=clean_tags(tags or []), author=by)
    store.rebuild(video.video_id)
    return bookmark


def get(uow: UnitOfWork, bookmark_id: uuid.UUID) -> Bookmark:
    found = _store(uow).get(bookmark_id)
    if found is None:
        raise BookmarkNotFoundError(f"no bookmark with id {bookmark_id}")
    return found


def update(uow: UnitOfWork, bookmark_id: uuid.UUID, changes: dict[str, Any]) -> Bookmark:
    old = get(uow, bookmark_id)
    video = uow.videos.get(old.asset_id)
    start = changes.get("start_ms", old.start_ms)
    end = changes.get("end_ms", old.end_ms if "start_ms" not in changes or old.end_ms > old.start_ms
                      else start)
    clean: dict[str, Any] = {"start_ms": start, "end_ms": check_span(start, end, video.duration_ms)}
    if "note" in changes:
        clean["note"] = clean_note(changes["note"])
    if "tags" in changes:
        clean["tags"] = clean_tags(changes["tags"])
    store = _store(uow)
    updated = store.update(bookmark_id, clean)
    assert updated is not None  # it was there a moment ago, in this transaction
    store.rebuild(old.asset_id)
    return updated


def delete(uow: UnitOfWork, bookmark_id: uuid.UUID) -> Bookmark:
    store = _store(uow)
    gone = store.delete(bookmark_id)
    if gone is None:
        raise BookmarkNotFoundError(f"no bookmark with id {bookmark_id}")
    store.rebuild(gone.asset_id)
    return gone


def listed(uow: UnitOfWork, *, video_id: uuid.UUID | None = None, tag: str | None = None,
           limit: int = 200, offset: int = 0) -> list[Bookmark]:
    if video_id is not None:
        uow.videos.get(video_id)
    return _store(uow).list(asset_id=video_id, tag=tag.strip().lower() if tag else None,
                            limit=limit, offset=offset)
