"""Registering videos: path checks against the media roots, content hashing."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku.config import Settings
from eioku.domain.errors import (
    EiokuError,
    MediaFileNotFoundError,
    MediaPathError,
    PathOutsideMediaRootsError,
    StorageError,
    UploadTooLargeError,
    VideoNotFoundError,
)
from eioku.domain.models import Video
from eioku.store.uow import UnitOfWork

_CHUNK = 1024 * 1024


def resolve_media_path(raw: str, settings: Settings) -> Path:
    """The real path of a file the user may register, or a clear error."""
    if "\x00" in raw or not raw.strip():
        raise MediaPathError("the path is empty or contains NUL characters")
    path = Path(raw)
    if not path.is_absolute():
        raise MediaPathError(f"{raw!r} is not an absolute path")
    if not settings.media_roots:
        raise PathOutsideMediaRootsError(
            "no media roots are configured: set EIOKU_MEDIA_ROOTS to the folders Eioku may read"
        )
    real = path.resolve()  # symlinks resolved before the root check
    if not any(real.is_relative_to(root) for root in settings.media_roots):
        roots = ", ".join(str(r) for r in settings.media_roots)
        raise PathOutsideMediaRootsError(f"{real} lies outside the media roots ({roots})")
    if not real.is_file():
        raise MediaFileNotFoundError(f"no such file: {real}")
    return real


def readable_path(video: Video, settings: Settings) -> Path:
    """The file of a registered video, checked again when it is read: it must
    still exist and, with media roots configured, still resolve (symlinks
    followed) inside a media root or the upload folder."""
    real = Path(video.path).resolve()
    if settings.media_roots:
        allowed = [*settings.media_roots, settings.upload_dir.resolve()]
        if not any(real.is_relative_to(root) for root in allowed):
            raise PathOutsideMediaRootsError(
                f"the file of video {video.video_id} now resolves to {real}, outside the media roots")
    if not real.is_file():
        raise MediaFileNotFoundError(
            f"no such file: {video.path} (the file of video {video.video_id} is gone; register it again)")
    return real


def content_hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


def begin_registration(uow: UnitOfWork, path: Path, settings: Settings) -> tuple[Video, bool]:
    """Register a checked path without making the caller wait for a large file:
    a file up to EIOKU_HASH_INLINE_MAX_BYTES is hashed here; a larger one is
    stored as ``registering`` and :func:`finish_registration` hashes it later
    (unless it is the same, unmodified file as a registered video)."""
    stat = path.stat()
    if stat.st_size == 0:
        raise MediaPathError(f"{path} is empty")
    if stat.st_size <= settings.hash_inline_max_bytes:
        return register_path(uow, path)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    same = uow.videos.unchanged_since_registered(str(path), stat.st_size, modified)
    if same is not None:
        return same, False
    return uow.videos.add_registering(path=str(path), filename=path.name, size_bytes=stat.st_size)


def finish_registration(factory: sessionmaker[Session], video_id: uuid.UUID, settings: Settings) -> None:
    """Hash a ``registering`` video's file; then it is ``registered`` (and the
    analysis asked for meanwhile is queued), or — when the content is already
    in the library — its id becomes an alias of that video, or ``unreadable``
    with the reason. Safe to call twice, or for a video deleted meanwhile."""
    from eioku.services.analysis import queue_analysis

    with UnitOfWork(factory) as uow:
        try:
            video = uow.videos.get(video_id)
        except VideoNotFoundError:
            return
    if video.status != "registering":
        return
    try:  # outside any transaction: hashing a large file takes a while
        digest, size = content_hash(readable_path(video, settings))
        failure = None
    except (OSError, EiokuError) as exc:
        failure = exc.message if isinstance(exc, EiokuError) else f"{video.path}: {exc.strerror or exc}"
    with UnitOfWork(factory) as uow:
        if failure is not None:
            uow.session.execute(text(
                "UPDATE videos SET status = 'unreadable', error = :e WHERE video_id = :v "
                "AND status = 'registering'"), {"e": failure, "v": video_id})
            uow.commit()
            return
        pending = uow.session.execute(text(
            "SELECT pending_analysis FROM videos WHERE video_id = :v AND status = 'registering' "
            "FOR UPDATE"), {"v": video_id}).one_or_none()
        if pending is None:  # deleted, or finished by another call meanwhile
            return
        pending = pending[0]
        existing = uow.videos.get_by_hash(digest)
        if existing is not None and existing.video_id != video_id:
            uow.session.execute(text("DELETE FROM videos WHERE video_id = :v"), {"v": video_id})
            uow.session.execute(text(
                "INSERT INTO video_aliases (alias_id, video_id) VALUES (:a, :v) ON CONFLICT DO NOTHING"),
                {"a": video_id, "v": existing.video_id})
            target = existing
        else:
            uow.session.execute(text(
                "UPDATE videos SET content_hash = :h, size_bytes = :s, status = 'registered', "
                "pending_analysis = NULL WHERE video_id = :v"), {"h": digest, "s": size, "v": video_id})
            target = uow.videos.get(video_id)
        for request in (pending or {}).get("requests", []):
            queue_analysis(uow, target, request["profile"], request["analyzers"], settings)
        uow.commit()


def resume_registrations(factory: sessionmaker[Session], settings: Settings) -> int:
    """Finish the registrations a stopped server left ``registering``."""
    with UnitOfWork(factory) as uow:
        ids = list(uow.session.execute(text(
            "SELECT video_id FROM videos WHERE status = 'registering'")).scalars())
    for video_id in ids:
        finish_registration(factory, video_id, settings)
    return len(ids)


def register_path(uow: UnitOfWork, path: Path) -> tuple[Video, bool]:
    """Register a checked path; the same content returns the existing video."""
    digest, size = content_hash(path)
    if size == 0:
        raise MediaPathError(f"{path} is empty")
    return uow.videos.add(path=str(path), filename=path.name, content_hash=digest, size_bytes=size)


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    content_hash: str
    size: int


def check_data_dir(settings: Settings) -> None:
    """At start-up: the data dir must be a folder Eioku can write (uploads, the
    picture cache, the embedded database), or a clear error says why not."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise StorageError(f"the data dir {settings.data_dir} (EIOKU_DATA_DIR) is not writable: "
                           f"{exc.strerror or exc}") from exc


def store_upload(stream: BinaryIO, filename: str, settings: Settings) -> StoredUpload:
    """Copy an upload under the data dir, refusing more than the size limit and
    hashing it as it is written (the file is never read a second time)."""
    try:
        settings.upload_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {settings.upload_dir}: {exc.strerror or exc}") from exc
    safe = Path(filename or "upload").name.replace("\x00", "") or "upload"
    target = settings.upload_dir / f"{uuid.uuid4().hex}-{safe}"
    written = 0
    digest = hashlib.sha256()
    try:
        with target.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                if written > settings.upload_max_bytes:
                    raise UploadTooLargeError(
                        f"upload is larger than {settings.upload_max_bytes} bytes "
                        "(EIOKU_UPLOAD_MAX_BYTES)"
                    )
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:  # disk full, read-only: say so, keep nothing half written
        target.unlink(missing_ok=True)
        raise StorageError(f"cannot store the upload in {settings.upload_dir}: {exc.strerror or exc} "
                           "(is the data dir full or read-only?)") from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StoredUpload(target, "sha256:" + digest.hexdigest(), written)


def adopt_upload(uow: UnitOfWork, stored: StoredUpload) -> tuple[Video, bool]:
    """Register an uploaded file (hashed while it was stored); a duplicate
    upload is removed again."""
    try:
        if stored.size == 0:
            raise MediaPathError(f"{stored.path.name} is empty")
        video, created = uow.videos.add(path=str(stored.path), filename=stored.path.name,
                                        content_hash=stored.content_hash, size_bytes=stored.size)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    if not created:
        stored.path.unlink(missing_ok=True)
    return video, created


def forget_files(video: Video, settings: Settings) -> None:
    """After a video is deleted: its cached pictures and clips, and its file when
    it was uploaded (stored under the upload folder); never a user's own file."""
    from eioku.media.images import MediaCache

    MediaCache(settings.cache_dir).forget(video.video_id)
    path = Path(video.path)
    if path.parent.resolve() == settings.upload_dir.resolve():
        path.unlink(missing_ok=True)
