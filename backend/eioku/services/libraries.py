"""Library folders: a folder whose video and audio files are the library's
videos, kept in sync by scans (here) and a watcher (``services.watcher``).

A scan walks the folder with ``os.scandir`` and compares each file's size,
mtime (ns) and inode with what the last scan stored (``library_files``): an
unchanged file costs that ``stat`` and nothing more. A new or changed file is
hashed and registered through ingest (the same content is the same video):

- **new**: a new video, its analysis queued with the library's profile and
  analyzers, and the subtitle files beside it imported (``services.sidecar``);
- **moved or renamed** (the same inode, size and mtime as a file gone in the
  same scan, or, later, the same content hash): the same video at its new
  path, with all its analysis — never a new video;
- **changed content**: the new content is a new video, analysed from scratch;
  the old one is marked missing like a deleted file (kept with its analysis,
  greyed, purged after the grace period; it comes back if the content does);
- **deleted**: its video is marked ``missing`` (``videos.missing_since``) once
  no library file holds its content any more; ``purge_missing`` deletes it on
  request or after EIOKU_MISSING_GRACE_S.

A file whose mtime is less than EIOKU_LIBRARY_SETTLE_S old (a copy in
progress) is not taken yet; it is reported ``unsettled`` and taken by a later
pass once it stopped changing. Every write checks, in its transaction, that
the scanner still holds the library's lease (``library_leases``): two servers
never ingest one file twice.
"""

from __future__ import annotations

import fnmatch
import os
import socket
import stat as stat_module
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku.config import Settings
from eioku.domain.errors import (
    ConflictError,
    EiokuError,
    MediaPathError,
    VideoNotFoundError,
)
from eioku.domain.models import Video
from eioku.services import playback, sidecar
from eioku.store.libraries import KnownFile, Library, LibraryRepository
from eioku.store.uow import UnitOfWork

VIDEO_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
    ".vob", ".wmv", ".asf", ".flv", ".3gp", ".3g2", ".ogv", ".mxf", ".dv", ".divx", ".rm", ".rmvb"})
AUDIO_SUFFIXES = frozenset({
    ".mp3", ".m4a", ".m4b", ".aac", ".wav", ".flac", ".ogg", ".oga", ".opus", ".wma", ".aif", ".aiff",
    ".ac3", ".mka"})
# (downloads in progress carry names of their own — .part, .crdownload — and are not taken)
MEDIA_SUFFIXES = VIDEO_SUFFIXES | AUDIO_SUFFIXES
PROGRESS_EVERY_S = 0.5


class LeaseLostError(ConflictError):
    """Another server watches this library now."""


class ScanStoppedError(LeaseLostError):
    """The scan was stopped (its server is stopping); the next holder rescans."""


def kind_of(name: str) -> str | None:
    """``media``, ``subtitle`` or None (not a file a library takes)."""
    if name.startswith("."):
        return None
    suffix = os.path.splitext(name)[1].lower()
    if suffix in MEDIA_SUFFIXES:
        return "media"
    if suffix in sidecar.SUFFIXES:
        return "subtitle"
    return None


def excluded(rel_path: str, patterns: Iterable[str]) -> bool:
    """Does an exclude glob match the path (relative to the library), its name,
    or a folder it is in? (``*.tmp``, ``Trash``, ``Camera/old/*``)"""
    name = rel_path.rsplit("/", 1)[-1]
    parts = rel_path.split("/")
    for pattern in patterns:
        if fnmatch.fnmatchcase(rel_path, pattern) or fnmatch.fnmatchcase(name, pattern):
            return True
        if any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts))):
            return True
    return False


@dataclass(frozen=True)
class Seen:
    """A file as a scan found it."""

    rel_path: str
    size: int
    mtime_ns: int
    inode: int
    kind: str

    def same_as(self, known: KnownFile) -> bool:
        return (self.size, self.mtime_ns, self.inode) == (known.size_bytes, known.mtime_ns, known.inode)


def walk(root: Path, exclude: Iterable[str] = (), under: str = "") -> Iterator[Seen]:
    """The media and subtitle files below ``root / under`` (hidden names,
    excluded paths, partial downloads, symlinked folders and links to files
    outside ``root`` skipped): one ``scandir`` per folder and one ``stat``
    per file."""
    exclude = list(exclude)
    stack = [under]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as entries:
                for entry in entries:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    if entry.name.startswith(".") or (exclude and excluded(rel, exclude)):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(rel)
                            continue
                        kind = kind_of(entry.name)
                        if kind is None or not entry.is_file():
                            continue
                        if entry.is_symlink() and not _inside(entry.path, root):
                            continue  # a link out of the folder is never read
                        st = entry.stat()
                    except OSError:
                        continue  # gone meanwhile, or unreadable: not there for this scan
                    if st.st_size > 0:
                        yield Seen(rel, st.st_size, st.st_mtime_ns, st.st_ino, kind)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue


def _inside(path: str, root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(root)


def seen_at(root: Path, rel: str, exclude: Iterable[str]) -> Seen | None:
    """One file, if it is there and a library takes it."""
    kind = kind_of(rel.rsplit("/", 1)[-1])
    if kind is None or excluded(rel, exclude):
        return None
    try:
        st = os.stat(root / rel)
    except OSError:
        return None
    if (root / rel).is_symlink() and not _inside(str(root / rel), root):
        return None
    if not stat_module.S_ISREG(st.st_mode) or st.st_size == 0:
        return None
    return Seen(rel, st.st_size, st.st_mtime_ns, st.st_ino, kind)


@dataclass
class ScanReport:
    """What one scan (or one pass over changed paths) did."""

    found: int = 0  # media files found
    to_hash: int = 0
    hashed: int = 0
    queued: int = 0  # new videos whose analysis was queued
    added: int = 0
    moved: int = 0
    changed: int = 0
    gone: int = 0  # files gone
    missing: int = 0  # videos marked missing (no file holds their content any more)
    returned: int = 0  # files back where they were (a remount)
    subtitle_runs: set[uuid.UUID] = field(default_factory=set)  # sidecar runs imported or found
    unchanged: int = 0
    bytes_to_hash: int = 0
    bytes_hashed: int = 0
    unsettled: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the scan itself failed (folder unreachable)
    phase: str = "finding"  # finding | hashing | done

    @property
    def subtitles(self) -> int:
        return len(self.subtitle_runs)


def holder_name(kind: str = "server") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def check_folder(raw: str, settings: Settings, *, inside_roots: bool) -> Path:
    """The real path of a folder a library may be made of."""
    if "\x00" in raw or not raw.strip():
        raise MediaPathError("the path is empty or contains NUL characters")
    try:
        path = Path(raw).expanduser()
    except RuntimeError:  # "~name" of no user on this machine
        raise MediaPathError(f"{raw!r}: no user's home folder is called that") from None
    if not path.is_absolute():
        if inside_roots:
            raise MediaPathError(f"{raw!r} is not an absolute path")
        path = path.absolute()
    from eioku.services.ingest import check_inside_roots, real_path

    real = real_path(path, raw)
    if inside_roots or settings.media_roots:
        check_inside_roots(real, settings)
    if not real.is_dir():
        raise MediaPathError(f"{real} is not a folder")
    return real


def add_library(uow: UnitOfWork, raw_path: str, settings: Settings, *, name: str | None = None,
                watch: bool = True, exclude: list[str] | None = None, profile: str = "balanced",
                analyzers: list[str] | None = None, inside_roots: bool = True) -> Library:
    """Store a new library (its first scan is the watcher's, or the CLI's)."""
    from eioku.services.pipeline import resolve

    path = check_folder(raw_path, settings, inside_roots=inside_roots)
    resolve(analyzers, settings.analyzers, settings)  # unknown analyzers refused now
    repo = LibraryRepository(uow.session)
    for other in repo.list():
        mine = Path(other.path)
        if path.is_relative_to(mine) or mine.is_relative_to(path):
            raise ConflictError(f"{path} overlaps the library {other.name!r} ({other.path}): "
                                "a file belongs to one library")
    if name is None:
        taken, base = repo.names(), path.name or str(path)
        name = base
        for n in range(2, 10_000):
            if name not in taken:
                break
            name = f"{base} ({n})"
    return repo.add(name=name, path=str(path), watch=watch, exclude=list(exclude or []),
                    profile=profile, analyzers=analyzers)


# ---- the scanner -----------------------------------------------------------


class Scanner:
    """Brings a library's videos in line with its folder, as holder of its lease."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, holder: str,
                 progress: Callable[[ScanReport], None] | None = None,
                 stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()
        self.factory = factory
        self.settings = settings
        self.holder = holder
        self.progress = progress
        self._last_progress = 0.0
        self._scanning: uuid.UUID | None = None  # the library whose full scan reports its progress

    # -- entry points --
    def scan(self, library_id: uuid.UUID, *, wait_unsettled_s: float = 0,
             force_empty: bool = False) -> ScanReport:
        """A full scan. Files still being written are waited for up to
        ``wait_unsettled_s`` seconds, else left ``unsettled`` for a later pass.
        A folder that is gone, or empty while the library knows files (an
        unmounted disk), fails the scan and changes nothing (``force_empty``:
        take an empty folder as empty)."""
        report = ScanReport()
        with UnitOfWork(self.factory) as uow:
            repo = LibraryRepository(uow.session)
            library = repo.get(library_id)
            self._check_lease(repo, library_id)
            repo.scan_started(library_id)
            started = uow.session.execute(text("SELECT clock_timestamp()")).scalar_one()
            uow.commit()
        self._scanning = library_id
        try:
            self._full(library, report, force_empty)
            deadline = time.monotonic() + wait_unsettled_s
            while report.unsettled and time.monotonic() < deadline:
                time.sleep(min(max(self.settings.library_settle_s / 2, 0.05),
                               max(0.0, deadline - time.monotonic())))
                again, report.unsettled = report.unsettled, []
                self._paths(library, again, report)
        except ScanStoppedError:
            report.error = "stopped before the end (its server stopped); the next scan finishes it"
        except LeaseLostError:
            raise
        except (OSError, EiokuError) as exc:
            report.error = exc.message if isinstance(exc, EiokuError) else str(exc)
        report.phase = "done"
        self._scanning = None
        with UnitOfWork(self.factory) as uow:
            repo = LibraryRepository(uow.session)
            repo.scan_progress(library_id, report.found, report.hashed, report.queued)
            repo.scan_finished(library_id, report.error, started)
            uow.commit()
        self._report(report, force=True)
        return report

    def paths(self, library_id: uuid.UUID, rel_paths: Iterable[str]) -> ScanReport:
        """A pass over changed paths only (files or folders, relative to the
        library), as a watcher's events name them."""
        report = ScanReport()
        with UnitOfWork(self.factory) as uow:
            library = LibraryRepository(uow.session).get(library_id)
        self._paths(library, list(rel_paths), report)
        report.phase = "done"
        return report

    # -- the work --
    def _full(self, library: Library, report: ScanReport, force_empty: bool) -> None:
        root = Path(library.path)
        if not root.is_dir():
            raise MediaPathError(f"the folder {root} is not there (unmounted?): nothing was changed")
        found: dict[str, Seen] = {}
        for seen in walk(root, library.exclude):
            found[seen.rel_path] = seen
            report.found += seen.kind == "media"
            self._report(report)
            if self.stop.is_set():
                raise ScanStoppedError()
        with UnitOfWork(self.factory) as uow:
            known = LibraryRepository(uow.session).files(library.library_id)
        present = [k for k in known.values() if k.gone_since is None]
        if not found and present and not force_empty and not any(os.scandir(root)):
            raise MediaPathError(f"the folder {root} is empty but held {len(present)} files "
                                 "(an unmounted disk?): nothing was marked missing; "
                                 "`eioku library rescan --allow-empty` takes it as empty")
        self._reconcile(library, found, known, known, report)

    def _paths(self, library: Library, rel_paths: list[str], report: ScanReport) -> None:
        root = Path(library.path)
        if not root.is_dir():
            return
        found: dict[str, Seen] = {}
        dirs: list[str] = []
        for rel in dict.fromkeys(rel_paths):
            full = root / rel
            if full.is_dir() and not full.is_symlink():
                dirs.append(rel)
                if rel.split("/")[-1].startswith(".") or excluded(rel, library.exclude):
                    continue
                for seen in walk(root, library.exclude, under=rel):
                    found[seen.rel_path] = seen
            elif (seen := seen_at(root, rel, library.exclude)) is not None:
                found[rel] = seen
        report.found += sum(s.kind == "media" for s in found.values())
        with UnitOfWork(self.factory) as uow:
            known = LibraryRepository(uow.session).files(library.library_id)
        wanted = set(rel_paths)
        prefixes = tuple(f"{d}/" for d in dirs) + tuple(f"{r}/" for r in rel_paths)
        scope = {r: k for r, k in known.items() if r in wanted or r.startswith(prefixes)}
        self._reconcile(library, found, scope, known, report)

    def _reconcile(self, library: Library, found: dict[str, Seen], scope: dict[str, KnownFile],
                   known: dict[str, KnownFile], report: ScanReport) -> None:
        """Make the rows of ``scope`` (what the database knew of the paths
        looked at) agree with ``found`` (what is there now)."""
        root = Path(library.path)
        now_ns = time.time_ns()
        settle_ns = int(self.settings.library_settle_s * 1e9)
        gone = {r: k for r, k in scope.items() if k.gone_since is None and r not in found}
        # files gone earlier (another pass) still match a file moved there by stat
        by_stat = {(k.inode, k.size_bytes, k.mtime_ns, k.kind): r for r, k in known.items()
                   if (k.gone_since is not None or r in gone) and k.video_id is not None}
        moves: list[tuple[str, Seen]] = []
        returned: list[Seen] = []
        work: list[Seen] = []
        for rel, seen in found.items():
            old = known.get(rel)
            if old is not None and seen.same_as(old):
                if old.gone_since is None:
                    report.unchanged += 1
                else:
                    returned.append(seen)
                continue
            source = by_stat.get((seen.inode, seen.size, seen.mtime_ns, seen.kind))
            if old is None and source is not None and source != rel:
                moves.append((source, seen))
                by_stat.pop((seen.inode, seen.size, seen.mtime_ns, seen.kind))
                gone.pop(source, None)
                continue
            if now_ns - seen.mtime_ns < settle_ns:
                report.unsettled.append(rel)  # still being written: a later pass takes it
                continue
            work.append(seen)
        for source, seen in moves:
            self._write(library, lambda uow, s=source, n=seen: self._move(uow, library, s, n, known[s]))
            report.moved += 1
        for seen in returned:
            self._write(library, lambda uow, n=seen: self._returned(uow, library, n, known[n.rel_path]))
            report.returned += 1
        work.sort(key=lambda s: (s.kind != "media", s.rel_path))  # videos before their subtitles
        report.to_hash += sum(1 for s in work if s.kind == "media")
        report.bytes_to_hash += sum(s.size for s in work if s.kind == "media")
        report.phase = "hashing"
        self._report(report, force=True)
        subtitles: dict[str, list[str]] = {}  # folder -> its subtitle files (no listing per video)
        for rel in {*(r for r, s in found.items() if s.kind == "subtitle"),
                    *(r for r, k in known.items() if k.kind == "subtitle" and k.gone_since is None)}:
            subtitles.setdefault(_folder(rel), []).append(rel)
        for seen in work:
            if self.stop.is_set():
                raise ScanStoppedError()
            if seen.kind == "media":
                self._media(library, root, seen, known.get(seen.rel_path), report,
                            subtitles.get(_folder(seen.rel_path), []))
            else:
                self._subtitle(library, root, seen, found, known, report)
            self._report(report)
        for rel, old in gone.items():
            self._write(library, lambda uow, r=rel, k=old: self._gone(uow, library, r, k, report))
            report.gone += 1

    def _media(self, library: Library, root: Path, seen: Seen, old: KnownFile | None,
               report: ScanReport, subtitles: list[str]) -> None:
        from eioku.services.ingest import content_hash

        path = root / seen.rel_path
        try:
            digest, size = content_hash(path)
            after = os.stat(path)
        except OSError as exc:
            report.errors[seen.rel_path] = exc.strerror or str(exc)
            return
        report.hashed += 1
        report.bytes_hashed += seen.size
        if (after.st_size, after.st_mtime_ns, after.st_ino) != (seen.size, seen.mtime_ns, seen.inode) \
                or size != seen.size:
            report.unsettled.append(seen.rel_path)  # written to while it was hashed
            return

        def register(uow: UnitOfWork) -> None:
            video, created, relocated = register_file(uow, path, digest, size)
            repo = LibraryRepository(uow.session)
            repo.save_file(library.library_id, seen.rel_path, size=seen.size, mtime_ns=seen.mtime_ns,
                           inode=seen.inode, video_id=video.video_id, kind="media")
            repo.forget_gone_of(video.video_id)  # moved here from a file gone in an earlier pass
            if old is not None and old.video_id is not None and old.video_id != video.video_id:
                _release(uow, old.video_id, str(path))  # the content changed: the old one is missing
                report.changed += 1
            elif created:
                report.added += 1
            elif relocated:
                report.moved += 1  # moved or renamed, seen in two passes: found by its content
            if created or not _has_runs(uow, video.video_id):
                queue_library_analysis(uow, library, video, self.settings)
                report.queued += 1
            if created:
                playback.after_registration(uow, video, self.settings)  # EIOKU_PLAYBACK=on-register
            for rel in subtitles:
                if sidecar.subtitle_belongs_to(path, root / rel):
                    try:
                        run = sidecar.import_file(uow, video, path, root / rel)
                    except (OSError, ValueError):
                        continue  # recorded when the subtitle file itself is stored
                    if run is not None:
                        report.subtitle_runs.add(run.run_id)

        try:
            self._write(library, register)
        except LeaseLostError:
            raise
        except EiokuError as exc:
            message = exc.message
            report.errors[seen.rel_path] = message
            self._write(library, lambda uow: LibraryRepository(uow.session).save_file(
                library.library_id, seen.rel_path, size=seen.size, mtime_ns=seen.mtime_ns,
                inode=seen.inode, video_id=None, kind="media", error=message))

    def _subtitle(self, library: Library, root: Path, seen: Seen, found: dict[str, Seen],
                  known: dict[str, KnownFile], report: ScanReport) -> None:
        path = root / seen.rel_path
        owner = None
        for rel in _siblings(seen.rel_path, found, known):
            if sidecar.subtitle_belongs_to(root / rel, path):
                owner = rel
                break

        def store(uow: UnitOfWork) -> None:
            repo = LibraryRepository(uow.session)
            row = repo.files(library.library_id).get(owner) if owner else None
            video_id = row.video_id if row is not None else None
            error = None
            if video_id is not None:
                try:
                    video = uow.videos.get(video_id)
                    run = sidecar.import_file(uow, video, root / owner, path)
                    if run is not None:
                        report.subtitle_runs.add(run.run_id)
                except (OSError, ValueError) as exc:
                    error = str(exc)
                    report.errors[seen.rel_path] = error
            repo.save_file(library.library_id, seen.rel_path, size=seen.size, mtime_ns=seen.mtime_ns,
                           inode=seen.inode, video_id=video_id, kind="subtitle", error=error)

        self._write(library, store)

    def _move(self, uow: UnitOfWork, library: Library, source: str, seen: Seen, old: KnownFile) -> None:
        repo = LibraryRepository(uow.session)
        repo.move_file(library.library_id, source, seen.rel_path)
        if old.video_id is None or old.kind != "media":
            return
        video = uow.videos.get(old.video_id)
        old_path = str(Path(library.path) / source)
        if video.path == old_path or video.missing_since is not None or not Path(video.path).is_file():
            new = Path(library.path) / seen.rel_path
            uow.videos.relocate(video.video_id, str(new), new.name)

    def _returned(self, uow: UnitOfWork, library: Library, seen: Seen, old: KnownFile) -> None:
        repo = LibraryRepository(uow.session)
        repo.save_file(library.library_id, seen.rel_path, size=seen.size, mtime_ns=seen.mtime_ns,
                       inode=seen.inode, video_id=old.video_id, kind=old.kind, error=old.error)
        if old.video_id is not None and old.kind == "media":
            path = Path(library.path) / seen.rel_path
            video = uow.videos.get(old.video_id)
            if video.missing_since is not None:
                uow.videos.relocate(video.video_id, str(path), path.name)

    def _gone(self, uow: UnitOfWork, library: Library, rel: str, old: KnownFile,
              report: ScanReport) -> None:
        repo = LibraryRepository(uow.session)
        if old.kind != "media" or old.video_id is None:
            repo.forget_file(library.library_id, rel)  # a subtitle's run stays: nothing is overwritten
            return
        repo.file_gone(library.library_id, rel)
        if _release(uow, old.video_id, str(Path(library.path) / rel)):
            report.missing += 1
        else:
            repo.forget_file(library.library_id, rel)  # its content lives on in another file

    # -- plumbing --
    def _check_lease(self, repo: LibraryRepository, library_id: uuid.UUID) -> None:
        if not repo.holds_lease(library_id, self.holder):
            raise LeaseLostError(f"{self.holder} does not hold the lease of library {library_id}")

    def _write(self, library: Library, change: Callable[[UnitOfWork], None]) -> None:
        """One change in a transaction of its own, made only while holding the lease."""
        with UnitOfWork(self.factory) as uow:
            self._check_lease(LibraryRepository(uow.session), library.library_id)
            change(uow)
            uow.commit()

    def _report(self, report: ScanReport, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        if self.progress is not None:
            self.progress(report)
        if self._scanning is not None:  # what the page and `eioku library list` show meanwhile
            with UnitOfWork(self.factory) as uow:
                LibraryRepository(uow.session).scan_progress(self._scanning, report.found,
                                                             report.hashed, report.queued)
                uow.commit()


def _folder(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _siblings(rel: str, found: dict[str, Seen], known: dict[str, KnownFile]) -> list[str]:
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    names = {r for r in (*found, *known) if (r.rsplit("/", 1)[0] if "/" in r else "") == folder}
    media = [r for r in names if kind_of(r.rsplit("/", 1)[-1]) == "media"]
    return sorted(media, key=len, reverse=True)  # the longest stem first: a.b.mp4 before a.mp4


def _has_runs(uow: UnitOfWork, video_id: uuid.UUID) -> bool:
    return bool(uow.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE asset_id = :v AND producer <> :s)"),
        {"v": video_id, "s": sidecar.PRODUCER}).scalar_one())


def _release(uow: UnitOfWork, video_id: uuid.UUID, path: str) -> bool:
    """A file of the video went away (or holds other content now): the video
    moves to another of its files, or is marked missing when none is left
    (True)."""
    try:
        video = uow.videos.get(video_id)
    except VideoNotFoundError:
        return False
    present = [p for p in LibraryRepository(uow.session).present_paths_of(video_id) if p != path]
    if present:
        if video.path == path or not Path(video.path).is_file():
            uow.videos.relocate(video_id, present[0], Path(present[0]).name)
        return False
    if video.path == path or not Path(video.path).is_file():
        uow.videos.mark_missing(video_id)
        return True
    return False


def register_file(uow: UnitOfWork, path: Path, digest: str, size: int) -> tuple[Video, bool, bool]:
    """Register a file a scan hashed: the same content is the same video (one
    video per content, as ingest registers), which takes this path when its own
    file went away. Returns (video, created, relocated)."""
    if size == 0:
        raise MediaPathError(f"{path} is empty")
    video, created = uow.videos.add(path=str(path), filename=path.name, content_hash=digest,
                                    size_bytes=size)
    if created:
        return video, True, False
    if video.path != str(path) and (video.missing_since is not None or not Path(video.path).is_file()):
        uow.videos.relocate(video.video_id, str(path), path.name)
        return uow.videos.get(video.video_id), False, True
    if video.missing_since is not None:  # its content is back where it was
        uow.videos.relocate(video.video_id, video.path, video.filename)
        return uow.videos.get(video.video_id), False, False
    return video, False, False


def queue_library_analysis(uow: UnitOfWork, library: Library, video: Video, settings: Settings) -> None:
    from eioku.services.analysis import queue_analysis

    queue_analysis(uow, video, library.profile, library.analyzers, settings)


# ---- missing videos ----------------------------------------------------------


def purge_missing(factory: sessionmaker[Session], settings: Settings, *,
                  older_than_s: float | None = None, library_id: uuid.UUID | None = None) -> int:
    """Delete missing videos (and their analysis): those missing for longer than
    ``older_than_s`` (None: the grace period; 0: all of them), of one library
    or all. Returns how many were deleted."""
    from eioku.services.ingest import forget_files

    grace = settings.missing_grace_s if older_than_s is None else older_than_s
    with UnitOfWork(factory) as uow:
        if library_id is not None:
            LibraryRepository(uow.session).get(library_id)  # 404 for an unknown one
        ids = list(uow.session.execute(text(
            "SELECT v.video_id FROM videos v WHERE v.missing_since IS NOT NULL "
            "AND v.missing_since <= clock_timestamp() - make_interval(secs => :g) "
            "AND (CAST(:l AS uuid) IS NULL OR starts_with(v.path, "
            "  (SELECT path FROM libraries WHERE library_id = :l) || '/'))"),
            {"g": grace, "l": library_id}).scalars())
    deleted = 0
    for video_id in ids:
        with UnitOfWork(factory) as uow:
            try:
                video = uow.videos.get(video_id)
            except VideoNotFoundError:
                continue
            if video.missing_since is None:
                continue  # found again meanwhile
            uow.session.execute(text(
                "DELETE FROM library_files WHERE video_id = :v AND gone_since IS NOT NULL"),
                {"v": video_id})
            uow.videos.delete(video_id)
            uow.commit()
        forget_files(video, settings)
        deleted += 1
    return deleted


def remove_library(factory: sessionmaker[Session], settings: Settings, library_id: uuid.UUID, *,
                   delete_videos: bool = False) -> int:
    """Forget a library (its files and lease); its videos stay in the library
    as videos registered by path, unless ``delete_videos``. Returns how many
    videos were deleted."""
    from eioku.services.ingest import forget_files

    with UnitOfWork(factory) as uow:
        repo = LibraryRepository(uow.session)
        repo.get(library_id)
        ids = repo.video_ids(library_id) if delete_videos else []
        repo.delete(library_id)
        uow.commit()
    deleted = 0
    for video_id in ids:
        with UnitOfWork(factory) as uow:
            if uow.session.execute(text("SELECT EXISTS (SELECT 1 FROM library_files WHERE video_id = :v)"),
                                   {"v": video_id}).scalar_one():
                continue  # another library holds it too
            try:
                video = uow.videos.get(video_id)
            except VideoNotFoundError:
                continue
            uow.videos.delete(video_id)
            uow.commit()
        forget_files(video, settings)
        deleted += 1
    return deleted


def library_status(session: Session) -> list[dict[str, object]]:
    """Each library at a glance, for ``eioku status`` and ``GET /v1/status``."""
    repo = LibraryRepository(session)
    counts = repo.counts()
    return [{"library_id": lib.library_id, "name": lib.name, "path": lib.path, "paused": lib.paused,
             "watch": lib.watch, "watched_by": repo.lease_holder(lib.library_id),
             "scan": {"state": lib.scan_state, "found": lib.scan_found, "hashed": lib.scan_hashed,
                      "queued": lib.scan_queued, "error": lib.scan_error},
             "counts": counts.get(lib.library_id, {})} for lib in repo.list()]
