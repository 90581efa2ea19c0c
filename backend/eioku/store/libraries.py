"""Library folders, what their last scan saw of each file, and their leases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eioku.domain.errors import ConflictError, NotFoundError

_COLUMNS = ("library_id, name, path, watch, exclude, profile, analyzers, paused, created_at, "
            "scan_state, scan_found, scan_hashed, scan_queued, scan_started_at, scanned_at, "
            "scan_error, rescan_requested_at")


class LibraryNotFoundError(NotFoundError):
    code = "library_not_found"


@dataclass(frozen=True)
class Library:
    library_id: uuid.UUID
    name: str
    path: str
    watch: bool
    exclude: list[str]
    profile: str
    analyzers: list[str] | None
    paused: bool
    created_at: datetime
    scan_state: str  # pending | scanning | idle | failed
    scan_found: int
    scan_hashed: int
    scan_queued: int
    scan_started_at: datetime | None
    scanned_at: datetime | None
    scan_error: str | None
    rescan_requested_at: datetime | None


@dataclass(frozen=True)
class KnownFile:
    rel_path: str
    size_bytes: int
    mtime_ns: int
    inode: int
    video_id: uuid.UUID | None
    kind: str  # media | subtitle
    error: str | None
    gone_since: datetime | None


def _library(row: Any) -> Library:
    data = dict(row._mapping)
    data["exclude"] = list(data["exclude"] or [])
    return Library(**data)


class LibraryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- folders ----------------------------------------------------------
    def add(self, *, name: str, path: str, watch: bool, exclude: list[str], profile: str,
            analyzers: list[str] | None) -> Library:
        try:
            with self.session.begin_nested():
                row = self.session.execute(text(
                    f"INSERT INTO libraries (library_id, name, path, watch, exclude, profile, analyzers) "
                    f"VALUES (:id, :name, :path, :watch, :exclude, :profile, :analyzers) "
                    f"RETURNING {_COLUMNS}"),
                    {"id": uuid.uuid4(), "name": name, "path": path, "watch": watch,
                     "exclude": exclude, "profile": profile, "analyzers": analyzers}).one()
        except IntegrityError:
            clash = self.session.execute(text(
                "SELECT name, path FROM libraries WHERE name = :n OR path = :p LIMIT 1"),
                {"n": name, "p": path}).one_or_none()
            what = f"the folder {path}" if clash is None or clash.path == path else f"the name {name!r}"
            raise ConflictError(f"a library already has {what}") from None
        return _library(row)

    def get(self, ref: uuid.UUID | str) -> Library:
        """A library by id, or by name."""
        try:
            library_id: uuid.UUID | None = ref if isinstance(ref, uuid.UUID) else uuid.UUID(ref)
        except ValueError:
            library_id = None
        row = self.session.execute(text(
            f"SELECT {_COLUMNS} FROM libraries WHERE library_id = :id OR name = :name "
            "ORDER BY (library_id = :id) DESC LIMIT 1"),
            {"id": library_id, "name": str(ref)}).one_or_none()
        if row is None:
            raise LibraryNotFoundError(f"no library {ref}")
        return _library(row)

    def list(self) -> list[Library]:
        rows = self.session.execute(text(f"SELECT {_COLUMNS} FROM libraries ORDER BY name"))
        return [_library(r) for r in rows]

    def names(self) -> set[str]:
        return set(self.session.execute(text("SELECT name FROM libraries")).scalars())

    def update(self, library_id: uuid.UUID, **fields: Any) -> Library:
        allowed = {"name", "watch", "exclude", "profile", "analyzers", "paused"}
        if set(fields) - allowed:
            raise ValueError(f"can only update {sorted(allowed)}")
        if fields:
            sets = ", ".join(f"{k} = :{k}" for k in fields)
            try:
                with self.session.begin_nested():
                    self.session.execute(text(f"UPDATE libraries SET {sets} WHERE library_id = :id"),
                                         {"id": library_id, **fields})
            except IntegrityError:
                raise ConflictError(f"a library already has the name {fields.get('name')!r}") from None
        return self.get(library_id)

    def request_rescan(self, library_id: uuid.UUID) -> None:
        self.session.execute(text(
            "UPDATE libraries SET rescan_requested_at = clock_timestamp() WHERE library_id = :id"),
            {"id": library_id})

    def delete(self, library_id: uuid.UUID) -> None:
        self.session.execute(text("DELETE FROM libraries WHERE library_id = :id"), {"id": library_id})

    def video_ids(self, library_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.session.execute(text(
            "SELECT DISTINCT video_id FROM library_files WHERE library_id = :l "
            "AND video_id IS NOT NULL"), {"l": library_id}).scalars())

    # ---- scan progress ----------------------------------------------------
    def scan_started(self, library_id: uuid.UUID) -> None:
        self.session.execute(text(
            "UPDATE libraries SET scan_state = 'scanning', scan_found = 0, scan_hashed = 0, "
            "scan_queued = 0, scan_error = NULL, scan_started_at = clock_timestamp() "
            "WHERE library_id = :id"), {"id": library_id})

    def scan_progress(self, library_id: uuid.UUID, found: int, hashed: int, queued: int) -> None:
        self.session.execute(text(
            "UPDATE libraries SET scan_found = :f, scan_hashed = :h, scan_queued = :q "
            "WHERE library_id = :id"), {"id": library_id, "f": found, "h": hashed, "q": queued})

    def scan_finished(self, library_id: uuid.UUID, error: str | None, started: datetime | None) -> None:
        """The scan ended (``error``: it failed). A rescan asked for after it
        began stays asked for."""
        self.session.execute(text(
            "UPDATE libraries SET "
            "scan_state = CASE WHEN CAST(:e AS text) IS NULL THEN 'idle' ELSE 'failed' END, "
            "scan_error = CAST(:e AS text), scanned_at = clock_timestamp(), "
            "rescan_requested_at = CASE WHEN rescan_requested_at <= :s THEN NULL "
            "ELSE rescan_requested_at END WHERE library_id = :id"),
            {"id": library_id, "e": error, "s": started})

    # ---- files ------------------------------------------------------------
    def files(self, library_id: uuid.UUID) -> dict[str, KnownFile]:
        rows = self.session.execute(text(
            "SELECT rel_path, size_bytes, mtime_ns, inode, video_id, kind, error, gone_since "
            "FROM library_files WHERE library_id = :l"), {"l": library_id})
        return {r.rel_path: KnownFile(**r._mapping) for r in rows}

    def save_file(self, library_id: uuid.UUID, rel_path: str, *, size: int, mtime_ns: int, inode: int,
                  video_id: uuid.UUID | None, kind: str, error: str | None = None) -> None:
        self.session.execute(text(
            "INSERT INTO library_files (library_id, rel_path, size_bytes, mtime_ns, inode, video_id, "
            "kind, error) VALUES (:l, :r, :s, :m, :i, :v, :k, :e) "
            "ON CONFLICT (library_id, rel_path) DO UPDATE SET size_bytes = :s, mtime_ns = :m, "
            "inode = :i, video_id = :v, kind = :k, error = :e, seen_at = clock_timestamp(), "
            "gone_since = NULL"),
            {"l": library_id, "r": rel_path, "s": size, "m": mtime_ns, "i": inode, "v": video_id,
             "k": kind, "e": error})

    def move_file(self, library_id: uuid.UUID, old: str, new: str) -> None:
        self.session.execute(text("DELETE FROM library_files WHERE library_id = :l AND rel_path = :n"),
                             {"l": library_id, "n": new})
        self.session.execute(text(
            "UPDATE library_files SET rel_path = :n, gone_since = NULL, seen_at = clock_timestamp() "
            "WHERE library_id = :l AND rel_path = :o"), {"l": library_id, "o": old, "n": new})

    def file_gone(self, library_id: uuid.UUID, rel_path: str) -> None:
        self.session.execute(text(
            "UPDATE library_files SET gone_since = COALESCE(gone_since, clock_timestamp()) "
            "WHERE library_id = :l AND rel_path = :r"), {"l": library_id, "r": rel_path})

    def forget_file(self, library_id: uuid.UUID, rel_path: str) -> None:
        self.session.execute(text("DELETE FROM library_files WHERE library_id = :l AND rel_path = :r"),
                             {"l": library_id, "r": rel_path})

    def forget_gone_of(self, video_id: uuid.UUID) -> None:
        """A video found again at another path: the rows of its files that went away go."""
        self.session.execute(text(
            "DELETE FROM library_files WHERE video_id = :v AND gone_since IS NOT NULL"), {"v": video_id})

    def present_paths_of(self, video_id: uuid.UUID) -> list[str]:
        """The files (absolute paths) of a video still present in any library."""
        return list(self.session.execute(text(
            "SELECT l.path || '/' || f.rel_path FROM library_files f JOIN libraries l USING (library_id) "
            "WHERE f.video_id = :v AND f.gone_since IS NULL ORDER BY f.seen_at DESC"),
            {"v": video_id}).scalars())

    # ---- leases -----------------------------------------------------------
    def take_lease(self, library_id: uuid.UUID, holder: str, ttl_s: float) -> bool:
        """Take or renew the library's lease: True when ``holder`` holds it
        for the next ``ttl_s`` seconds (it was free, expired, or already its)."""
        row = self.session.execute(text(
            "INSERT INTO library_leases (library_id, holder, expires_at) "
            "SELECT :l, :h, clock_timestamp() + make_interval(secs => :t) "
            "WHERE EXISTS (SELECT 1 FROM libraries WHERE library_id = :l) "
            "ON CONFLICT (library_id) DO UPDATE SET holder = :h, expires_at = EXCLUDED.expires_at "
            "WHERE library_leases.holder = :h OR library_leases.expires_at < clock_timestamp() "
            "RETURNING holder"), {"l": library_id, "h": holder, "t": ttl_s}).one_or_none()
        return row is not None

    def holds_lease(self, library_id: uuid.UUID, holder: str) -> bool:
        """Does ``holder`` still hold the lease? Locks the lease row until the
        transaction ends, so no one takes it over before the caller commits."""
        return self.session.execute(text(
            "SELECT 1 FROM library_leases WHERE library_id = :l AND holder = :h "
            "AND expires_at > clock_timestamp() FOR SHARE"), {"l": library_id, "h": holder}
        ).one_or_none() is not None

    def release_lease(self, library_id: uuid.UUID, holder: str) -> None:
        self.session.execute(text("DELETE FROM library_leases WHERE library_id = :l AND holder = :h"),
                             {"l": library_id, "h": holder})

    def lease_holder(self, library_id: uuid.UUID) -> str | None:
        return self.session.execute(text(
            "SELECT holder FROM library_leases WHERE library_id = :l AND expires_at > clock_timestamp()"),
            {"l": library_id}).scalar()

    # ---- counts -----------------------------------------------------------
    def counts(self, library_ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, dict[str, int]]:
        """Per library: media files present, their videos, and of those the
        analysed (every analyzer's latest run completed), queued (a run queued
        or running) and failed (an analyzer's latest run failed); missing: the
        videos whose files are all gone and whose last file was in the folder."""
        rows = self.session.execute(text(
            "WITH lf AS (SELECT library_id, video_id FROM library_files "
            "  WHERE kind = 'media' AND gone_since IS NULL "
            "  AND (CAST(:ids AS uuid[]) IS NULL OR library_id = ANY(:ids))), "
            "lv AS (SELECT DISTINCT library_id, video_id FROM lf WHERE video_id IS NOT NULL), "
            "latest AS (SELECT DISTINCT ON (r.asset_id, r.analyzer) r.asset_id, r.status "
            "  FROM runs r WHERE r.asset_id IN (SELECT video_id FROM lv) AND r.producer <> 'sidecar' "
            "  ORDER BY r.asset_id, r.analyzer, r.created_at DESC), "
            "per_video AS (SELECT asset_id, bool_or(status IN ('queued', 'running')) AS active, "
            "  bool_or(status IN ('failed', 'canceled')) AS failed, count(*) AS runs "
            "  FROM latest GROUP BY asset_id) "
            "SELECT l.library_id, "
            "  (SELECT count(*) FROM lf WHERE lf.library_id = l.library_id) AS files, "
            "  count(lv.video_id) AS videos, "
            "  count(lv.video_id) FILTER (WHERE p.runs > 0 AND NOT p.active AND NOT p.failed) "
            "    AS analysed, "
            "  count(lv.video_id) FILTER (WHERE p.active) AS queued, "
            "  count(lv.video_id) FILTER (WHERE p.failed AND NOT p.active) AS failed, "
            "  (SELECT count(*) FROM videos m WHERE m.missing_since IS NOT NULL "
            "   AND starts_with(m.path, l.path || '/')) AS missing "
            "FROM libraries l LEFT JOIN lv ON lv.library_id = l.library_id "
            "LEFT JOIN per_video p ON p.asset_id = lv.video_id "
            "WHERE CAST(:ids AS uuid[]) IS NULL OR l.library_id = ANY(:ids) "
            "GROUP BY l.library_id"), {"ids": library_ids})
        return {r.library_id: {k: int(v) for k, v in r._mapping.items() if k != "library_id"}
                for r in rows}
