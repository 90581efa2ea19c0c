"""Registering videos: path checks against the media roots, content hashing."""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


def check_inside_roots(real: Path, settings: Settings) -> None:
    """A resolved path the API may read: inside a media root, or a clear error."""
    if not settings.media_roots:
        raise PathOutsideMediaRootsError(
            "no media roots are configured: set EIOKU_MEDIA_ROOTS to the folders Eioku may read")
    if not any(real.is_relative_to(root) for root in settings.media_roots):
        roots = ", ".join(str(r) for r in settings.media_roots)
        raise PathOutsideMediaRootsError(f"{real} lies outside the media roots ({roots})")


def real_path(path: Path, raw: str) -> Path:
    """``path`` with its symlinks resolved, or a clear error (a symlink loop, a name
    too long for the file system): never an exception that becomes a 500."""
    try:
        real = path.resolve()
        real.exists()  # a name too long raises here (ENAMETOOLONG), not in a later is_file()
    except (RuntimeError, OSError) as exc:
        raise MediaPathError(f"{raw!r} cannot be resolved: {getattr(exc, 'strerror', None) or exc}") from None
    return real


def resolve_media_path(raw: str, settings: Settings) -> Path:
    """The real path of a file the user may register, or a clear error."""
    if "\x00" in raw or not raw.strip():
        raise MediaPathError("the path is empty or contains NUL characters")
    path = Path(raw)
    if not path.is_absolute():
        raise MediaPathError(f"{raw!r} is not an absolute path")
    real = real_path(path, raw)  # symlinks resolved before the root check
    check_inside_roots(real, settings)
    if not real.is_file():
        raise MediaFileNotFoundError(f"no such file: {real}")
    return real


def readable_path(video: Video, settings: Settings) -> Path:
    """The file of a registered video, checked again when it is read: it must
    still exist and, with media roots configured, still resolve (symlinks
    followed) inside a media root or the upload folder."""
    if video.missing_since is not None:
        raise MediaFileNotFoundError(
            f"the file of video {video.video_id} is missing since {video.missing_since:%Y-%m-%d %H:%M} "
            "(its library folder no longer holds it; its analysis is kept)")
    try:
        real = Path(video.path).resolve()
    except (RuntimeError, OSError) as exc:  # the path became a symlink loop
        raise MediaFileNotFoundError(f"the file of video {video.video_id} cannot be reached: {exc}") from None
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


def file_ends(path: Path) -> str:
    """A hash of the file's size and its first and last MiB: 2 MiB read
    whatever the size of the file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest.update(f"{size}:".encode())
        digest.update(fh.read(_CHUNK))
        if size > _CHUNK:
            fh.seek(max(_CHUNK, size - _CHUNK))
            digest.update(fh.read(_CHUNK))
    return "ends:" + digest.hexdigest()


def begin_registration(uow: UnitOfWork, path: Path, settings: Settings) -> tuple[Video, bool]:
    """Register a checked path without making the caller wait for a large file:
    a file up to EIOKU_HASH_INLINE_MAX_BYTES is hashed here; a larger one is
    stored as ``registering`` and :func:`finish_registration` hashes it later,
    unless it is the file of a registered video, unchanged: same path and size,
    not modified since, and the same first and last MiB (:func:`file_ends`; a
    camera reusing names writes files of one size with any modification time)."""
    stat = path.stat()
    if stat.st_size == 0:
        raise MediaPathError(f"{path} is empty")
    ends = file_ends(path)
    if stat.st_size <= settings.hash_inline_max_bytes:
        video, created = register_path(uow, path)
    else:
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        same = uow.videos.unchanged_since_registered(str(path), stat.st_size, modified)
        if same is not None and _ends_of(uow, same.video_id) == ends:
            return same, False
        video, created = uow.videos.add_registering(path=str(path), filename=path.name,
                                                    size_bytes=stat.st_size)
    uow.session.execute(text("UPDATE videos SET file_ends = :e WHERE video_id = :v AND path = :p"),
                        {"e": ends, "v": video.video_id, "p": str(path)})
    return video, created


def _ends_of(uow: UnitOfWork, video_id: uuid.UUID) -> str | None:
    return uow.session.execute(text("SELECT file_ends FROM videos WHERE video_id = :v"),
                               {"v": video_id}).scalar_one_or_none()


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
            from eioku.services.playback import after_registration

            after_registration(uow, target, settings)
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
    title: str


def _title(filename: str) -> str:
    """The name the user gave the file, kept as the video's title (any length,
    any script); the file itself is stored under a generated name."""
    name = Path(filename.replace("\\", "/")).name.replace("\x00", "").strip()
    return name[:500] or "upload"


PARTIAL = ".part"


def sweep_partial_uploads(settings: Settings) -> int:
    """Remove uploads whose writer died (a server killed mid-upload): a file
    still being written is locked by its writer, in this or another process
    sharing the data dir, and stays. Runs at start-up; returns how many went."""
    removed = 0
    for path in settings.upload_dir.glob(f"*{PARTIAL}"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # locked: an upload in progress
        else:
            path.unlink(missing_ok=True)
            removed += 1
        finally:
            os.close(fd)
    return removed


def sweep_orphan_uploads(factory: sessionmaker[Session], settings: Settings,
                         older_than_s: float = 600) -> int:
    """Remove stored uploads no video points at (a server killed between
    storing an upload and registering it); recent ones may be another
    server's upload about to be registered, and stay."""
    if not settings.upload_dir.is_dir():
        return 0
    with UnitOfWork(factory) as uow:
        known = set(uow.session.execute(text(
            "SELECT path FROM videos WHERE starts_with(path, :d)"),
            {"d": str(settings.upload_dir)}).scalars())
    cutoff = datetime.now(UTC).timestamp() - older_than_s
    removed = 0
    for path in settings.upload_dir.iterdir():
        if path.suffix != PARTIAL and str(path) not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class UploadWriter:
    """An upload written once, straight into the upload folder (0600 in a 0700
    folder), hashed as it arrives, refused past the size limit; ``finish``
    checks the content is media and names the file by what it is."""

    def __init__(self, filename: str, settings: Settings) -> None:
        self.settings = settings
        self.title = _title(filename)
        self.written = 0
        self.digest = hashlib.sha256()
        folder = settings.upload_dir
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
            self.path = folder / f"{uuid.uuid4().hex}{PARTIAL}"
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # held while written: see sweep_partial_uploads
        except OSError as exc:
            raise self._storage_error(exc) from exc

    def _storage_error(self, exc: OSError) -> StorageError:
        return StorageError(f"cannot store the upload in {self.settings.upload_dir}: "
                            f"{exc.strerror or exc} (is the data dir full or read-only?)")

    def write(self, chunk: bytes) -> None:
        self.written += len(chunk)
        if self.written > self.settings.upload_max_bytes:
            raise UploadTooLargeError(f"upload is larger than {self.settings.upload_max_bytes} bytes "
                                      "(EIOKU_UPLOAD_MAX_BYTES)")
        self.digest.update(chunk)
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise self._storage_error(exc) from exc

    def finish(self) -> StoredUpload:
        """Close, check it is audio or video (NotMediaError: 415), rename by type."""
        from eioku.media.sniff import sniff  # PyAV only when a file arrives
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise self._storage_error(exc) from exc
        if self.written == 0:
            raise MediaPathError(f"{self.title} is empty")
        kind = sniff(self.path, self.title)
        target = self.path.with_suffix(kind.extension)
        try:
            self.path.rename(target)  # still locked: a sweep never takes it half renamed
        except OSError as exc:
            raise self._storage_error(exc) from exc
        self.path = target
        self._close()
        return StoredUpload(target, "sha256:" + self.digest.hexdigest(), self.written, self.title)

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def abort(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)


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


def adopt_upload(uow: UnitOfWork, stored: StoredUpload) -> tuple[Video, bool]:
    """Register an uploaded file (hashed while it was stored); a duplicate
    upload is removed again."""
    try:
        if stored.size == 0:
            raise MediaPathError(f"{stored.path.name} is empty")
        video, created = uow.videos.add(path=str(stored.path), filename=stored.title,
                                        content_hash=stored.content_hash, size_bytes=stored.size)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    if not created:
        stored.path.unlink(missing_ok=True)
    return video, created


def forget_files(video: Video, settings: Settings) -> None:
    """After a video is deleted: its cached pictures and clips, its playable
    copies (remux, proxy), and its file when it was uploaded (stored under the
    upload folder); never a user's own file."""
    from eioku.media.images import MediaCache
    from eioku.services.playback import forget

    MediaCache(settings.cache_dir).forget(video.video_id)
    forget(video.video_id, settings)  # its remux or proxy
    path = Path(video.path)
    if path.parent.resolve() == settings.upload_dir.resolve():
        path.unlink(missing_ok=True)
