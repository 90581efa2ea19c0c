"""Paging through a video's artifacts (shared by the API and the CLI)."""

from __future__ import annotations

import uuid

from eioku.artifacts.envelope import MAX_SPAN_MS, ArtifactEnvelope
from eioku.artifacts.registry import default_registry
from eioku.domain.errors import SchemaNotFoundError, ValidationFailedError
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store.uow import UnitOfWork


def known_type(artifact_type: str) -> str:
    if artifact_type not in default_registry().types():
        raise SchemaNotFoundError(artifact_type, 1)
    return artifact_type


def _parse_cursor(cursor: str) -> tuple[int, uuid.UUID]:
    try:
        start, artifact_id = cursor.split(":", 1)
        return int(start), uuid.UUID(artifact_id)
    except ValueError:
        raise ValidationFailedError("cursor is not one this API returned", field="cursor") from None


def artifact_page(
    uow: UnitOfWork, video_id: uuid.UUID, artifact_type: str | None = None, *,
    from_ms: int | None = None, to_ms: int | None = None,
    selection: SelectionOverride = NO_OVERRIDE, limit: int = 100, cursor: str | None = None,
) -> tuple[list[ArtifactEnvelope], str | None]:
    """Artifacts of the selected run(s) overlapping [from_ms, to_ms), by start
    time, and the cursor of the next page (None on the last)."""
    uow.videos.get(video_id)
    if artifact_type:
        known_type(artifact_type)
    lo = -1 if from_ms is None else from_ms  # -1: zero-length artifacts at 0 are included
    hi = MAX_SPAN_MS + 1 if to_ms is None else to_ms
    rows = uow.artifacts.get_by_span(video_id, artifact_type or None, lo, hi, selection=selection,
                                     after=_parse_cursor(cursor) if cursor else None,
                                     limit=limit + 1)
    page = rows[:limit]
    next_cursor = f"{page[-1].span_start_ms}:{page[-1].artifact_id}" if len(rows) > limit else None
    return page, next_cursor
