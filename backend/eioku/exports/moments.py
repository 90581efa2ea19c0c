"""The moments an export is made of: a collection's items, moments given one by
one, or what a saved or given query finds; each with its video's file and
frame rate, checked (an unknown video is a 404, a file gone a 404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from eioku.config import Settings
from eioku.domain.errors import EiokuError, ValidationFailedError
from eioku.media.frames import video_facts
from eioku.services import collections as collection_svc
from eioku.services.bookmarks import check_span
from eioku.services.ingest import readable_path
from eioku.store.uow import UnitOfWork

MAX_MOMENTS = 1_000
DEFAULT_FPS = 25.0  # a file whose rate cannot be read (timecodes need one)


@dataclass(frozen=True)
class ExportMoment:
    index: int  # 1-based, in the export's order
    video_id: uuid.UUID
    filename: str
    path: Path
    start_ms: int
    end_ms: int
    fps: float
    duration_ms: int | None
    note: str = ""

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


def resolve(uow: UnitOfWork, settings: Settings,
            wanted: list[collection_svc.Moment]) -> list[ExportMoment]:
    if not wanted:
        raise ValidationFailedError("there are no moments to export", field="moments")
    if len(wanted) > MAX_MOMENTS:
        raise ValidationFailedError(f"at most {MAX_MOMENTS} moments in one export", field="moments")
    out: list[ExportMoment] = []
    for n, m in enumerate(wanted, 1):
        video = uow.videos.get(m.video_id)
        end = check_span(m.start_ms, m.end_ms, video.duration_ms)
        if end == m.start_ms:  # a point: one second of it, as the player shows a bookmark
            end = m.start_ms + 1000 if video.duration_ms is None else min(video.duration_ms,
                                                                          m.start_ms + 1000)
        path = readable_path(video, settings)
        try:
            fps = video_facts(path).fps or DEFAULT_FPS
        except EiokuError:
            fps = DEFAULT_FPS
        out.append(ExportMoment(n, video.video_id, video.filename, path, m.start_ms, max(end, m.start_ms),
                                fps, video.duration_ms, m.note))
    return out


def of_collection(uow: UnitOfWork, settings: Settings, collection_id: uuid.UUID) -> list[ExportMoment]:
    items = collection_svc.items(uow, collection_id)
    return resolve(uow, settings, [collection_svc.Moment(i.asset_id, i.start_ms, i.end_ms, i.note)
                                   for i in items])


def of_query(uow: UnitOfWork, settings: Settings, query: str) -> list[ExportMoment]:
    runner = collection_svc.query_runner()
    if runner is None:
        from eioku.domain.errors import ConflictError

        raise ConflictError("combined queries (POST /v1/query) are not in this build: export a "
                            "collection or give the moments")
    return resolve(uow, settings, runner(uow.session, query, MAX_MOMENTS))
