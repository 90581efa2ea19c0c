"""An intro is shared by the videos of a folder: when a segments run finds
one, the folder's other videos whose last segments run found none (it ran
before this episode was there) are analysed again by that stage, each in a
transaction of its own. A sibling never analysed by the stage is left alone
(it finds the intro when it is), as is one with a segments run pending."""

from __future__ import annotations

import logging
import uuid
from pathlib import PurePath

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku.domain.enums import ArtifactType
from eioku.domain.models import Run
from eioku.store.uow import UnitOfWork

log = logging.getLogger(__name__)
MAX_SIBLINGS = 50  # looked at per folder


def siblings_without_intro(session: Session, run: Run) -> list[uuid.UUID]:
    """The folder's other videos to analyse again after ``run`` (a completed
    segments run) found an intro; [] when it found none."""
    found = session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM segments WHERE run_id = :r AND segment_type = 'intro')"),
        {"r": run.run_id}).scalar_one()
    if not found:
        return []
    path = session.execute(text("SELECT path FROM videos WHERE video_id = :v"),
                           {"v": run.asset_id}).scalar_one()
    folder = str(PurePath(path).parent)
    prefix = folder.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
    rows = session.execute(text(
        "SELECT v.video_id, v.path, last.run_id, last.status, last.created_at, "
        "EXISTS (SELECT 1 FROM segments s WHERE s.run_id = last.run_id "
        "        AND s.segment_type = 'intro') AS has_intro "
        "FROM videos v CROSS JOIN LATERAL (SELECT r.run_id, r.status, r.created_at FROM runs r "
        "  WHERE r.asset_id = v.video_id AND r.artifact_type = :t "
        "  ORDER BY r.created_at DESC LIMIT 1) last "
        "WHERE v.path LIKE :prefix AND v.video_id <> :v LIMIT :n"),
        {"t": ArtifactType.SEGMENT, "prefix": prefix, "v": run.asset_id, "n": MAX_SIBLINGS}).all()
    return [r.video_id for r in rows
            if str(PurePath(r.path).parent) == folder and r.status == "completed"
            and not r.has_intro and r.created_at < run.created_at]


def reanalyse_siblings(factory: sessionmaker[Session], run: Run) -> list[uuid.UUID]:
    """Queue the segments stage again for :func:`siblings_without_intro`."""
    from eioku.services.analysis import queue_analysis

    with UnitOfWork(factory) as uow:
        todo = siblings_without_intro(uow.session, run)
    queued = []
    for video_id in todo:
        try:
            with UnitOfWork(factory) as uow:
                queue_analysis(uow, uow.videos.get(video_id), run.model_profile, ["segments"])
                uow.commit()
            queued.append(video_id)
        except Exception:  # noqa: BLE001 - a sibling that cannot be queued (gone, unreadable) is skipped
            log.warning("segments: %s not queued again", video_id, exc_info=True)
    return queued
