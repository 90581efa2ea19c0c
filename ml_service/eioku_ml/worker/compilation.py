"""The ``compilations`` queue's job: one MP4 of moments (eioku.exports.compilation),
written under a temporary name and renamed when whole, progress recorded."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from eioku.config import Settings, get_settings
from eioku.exports.compilation import file_name, folder
from eioku.store.compilations import CompilationRepository
from eioku.store.uow import UnitOfWork
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.errors import MediaError
from eioku_ml.media.compilation import Cut, compile_moments

log = logging.getLogger(__name__)


def execute_compilation(factory: sessionmaker[Session], compilation_id: uuid.UUID,
                        settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    with UnitOfWork(factory) as uow:
        row = CompilationRepository(uow.session).start(compilation_id)
        uow.commit()
    if row is None:
        return "gone"
    out_dir = folder(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = file_name(compilation_id)
    partial = out_dir / f"{name}.part-{os.getpid()}"

    def progress(value: float) -> None:
        with UnitOfWork(factory) as uow:
            CompilationRepository(uow.session).set_progress(compilation_id, value)
            uow.commit()

    cuts = [Cut(Path(m["path"]), int(m["start_ms"]), int(m["end_ms"])) for m in row.moments]
    try:
        made = compile_moments(cuts, partial, progress=progress)
        partial.replace(out_dir / name)
    except (MediaError, OSError) as exc:
        partial.unlink(missing_ok=True)
        with UnitOfWork(factory) as uow:
            CompilationRepository(uow.session).fail(compilation_id, str(exc))
            uow.commit()
        log.warning("compilation %s failed: %s", compilation_id, exc)
        return "failed"
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with UnitOfWork(factory) as uow:
        kept = CompilationRepository(uow.session).finish(
            compilation_id, file_name=name, size_bytes=(out_dir / name).stat().st_size,
            duration_ms=made.duration_ms, copied=made.copied, encoded=made.encoded)
        uow.commit()
    if not kept:  # deleted while it was made
        (out_dir / name).unlink(missing_ok=True)
        return "gone"
    log.info("compilation %s: %d moments, %s, %.1f s", compilation_id, len(cuts), made.mode,
             made.duration_ms / 1000)
    return "ready"
