"""One MP4 of moments, made by a worker (eioku_ml.media.compilation: packets
copied where every file allows it, else encoded): asking checks the moments
and the length limit and queues the job; the state says how far it is; the
file is served when ready."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from eioku.config import Settings
from eioku.domain.errors import NotFoundError, ValidationFailedError
from eioku.exports.moments import ExportMoment
from eioku.store.compilations import Compilation, CompilationRepository
from eioku.store.uow import UnitOfWork

MAX_LENGTH_MS = 60 * 60_000  # an hour of moments in one compilation
MAX_TITLE = 200


class CompilationNotFoundError(NotFoundError):
    """No compilation with that id."""


def folder(settings: Settings) -> Path:
    return settings.data_dir / "compilations"


def file_name(compilation_id: uuid.UUID) -> str:
    return f"{compilation_id}.mp4"


def request(uow: UnitOfWork, moments: Sequence[ExportMoment], title: str) -> Compilation:
    length = sum(m.length_ms for m in moments)
    if length > MAX_LENGTH_MS:
        raise ValidationFailedError(f"the moments last {length / 60_000:.1f} minutes; a compilation "
                                    f"is at most {MAX_LENGTH_MS // 60_000} minutes", field="moments")
    title = " ".join(title.split())[:MAX_TITLE] or "Compilation"
    return CompilationRepository(uow.session).create(title, [
        {"video_id": str(m.video_id), "path": str(m.path), "filename": m.filename,
         "start_ms": m.start_ms, "end_ms": m.end_ms} for m in moments])


def get(uow: UnitOfWork, compilation_id: uuid.UUID) -> Compilation:
    found = CompilationRepository(uow.session).get(compilation_id)
    if found is None:
        raise CompilationNotFoundError(f"no compilation with id {compilation_id}")
    return found


def delete(uow: UnitOfWork, settings: Settings, compilation_id: uuid.UUID) -> None:
    """Forget a compilation and delete its file (a worker making it stops finding its row)."""
    gone = CompilationRepository(uow.session).delete(compilation_id)
    if gone is None:
        raise CompilationNotFoundError(f"no compilation with id {compilation_id}")
    if gone.file_name:
        (folder(settings) / gone.file_name).unlink(missing_ok=True)


def ready_file(uow: UnitOfWork, settings: Settings, compilation_id: uuid.UUID) -> tuple[Path, str]:
    found = get(uow, compilation_id)
    if found.state != "ready" or found.file_name is None:
        raise NotFoundError(f"compilation {compilation_id} is {found.state}, not ready "
                            f"({round(found.progress * 100)} % done)")
    path = folder(settings) / found.file_name
    if not path.is_file():
        raise NotFoundError(f"the file of compilation {compilation_id} is gone; ask for it again")
    return path, found.title
