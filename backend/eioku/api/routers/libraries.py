"""Library folders: add a folder, see its files and first scan, pause, rescan, remove."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from eioku.api.deps import SettingsDep, UowDep
from eioku.domain.enums import ModelProfile
from eioku.services import libraries as service
from eioku.store.libraries import Library, LibraryRepository
from eioku.store.uow import UnitOfWork

router = APIRouter(prefix="/v1/libraries", tags=["libraries"])

Glob = Annotated[str, Field(min_length=1, max_length=500)]


class CreateLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096,
                      description="An absolute folder inside a media root (EIOKU_MEDIA_ROOTS).")
    name: str | None = Field(None, min_length=1, max_length=200,
                             description="Default: the folder's name.")
    watch: bool = Field(True, description="Follow file events (off: periodic rescans only).")
    exclude: list[Glob] = Field(default_factory=list, max_length=100,
                                description="Globs of paths (relative to the folder) or names to skip.")
    profile: ModelProfile = Field(ModelProfile.BALANCED, description="The profile new videos are "
                                  "analysed with.")
    analyzers: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        None, max_length=50, description="The analyzers new videos get (default: all).")


class PatchLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    paused: bool | None = Field(None, description="Paused: no scans, no watching; resuming rescans.")
    watch: bool | None = None
    exclude: list[Glob] | None = Field(None, max_length=100)
    profile: ModelProfile | None = None
    analyzers: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(None, max_length=50)


class ScanOut(BaseModel):
    state: str = Field(description="pending (not scanned yet) | scanning | idle | failed")
    found: int = Field(description="media files found by the current or last scan")
    hashed: int = Field(description="new or changed files hashed")
    queued: int = Field(description="videos whose analysis it queued")
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    rescan_requested: bool


class LibraryCounts(BaseModel):
    files: int = Field(description="media files present")
    videos: int
    analysed: int = Field(description="videos whose every analyzer's latest run completed")
    queued: int = Field(description="videos with a run queued or running")
    failed: int = Field(description="videos with an analyzer whose latest run failed")
    missing: int = Field(description="videos whose files are all gone (kept until purged)")


class LibraryOut(BaseModel):
    library_id: uuid.UUID
    name: str
    path: str
    watch: bool
    exclude: list[str]
    profile: str
    analyzers: list[str] | None
    paused: bool
    created_at: datetime
    watched_by: str | None = Field(description="the server holding the library's lease, if any")
    scan: ScanOut
    counts: LibraryCounts


class LibraryList(BaseModel):
    libraries: list[LibraryOut]


class Purged(BaseModel):
    deleted: int


def library_out(uow: UnitOfWork, library: Library, counts: dict[str, int] | None = None) -> LibraryOut:
    repo = LibraryRepository(uow.session)
    counts = counts or repo.counts([library.library_id]).get(library.library_id) or {}
    return LibraryOut(
        library_id=library.library_id, name=library.name, path=library.path, watch=library.watch,
        exclude=library.exclude, profile=library.profile, analyzers=library.analyzers,
        paused=library.paused, created_at=library.created_at,
        watched_by=repo.lease_holder(library.library_id),
        scan=ScanOut(state=library.scan_state, found=library.scan_found, hashed=library.scan_hashed,
                     queued=library.scan_queued, started_at=library.scan_started_at,
                     finished_at=library.scanned_at, error=library.scan_error,
                     rescan_requested=library.rescan_requested_at is not None),
        counts=LibraryCounts(**{k: counts.get(k, 0) for k in LibraryCounts.model_fields}))


def libraries_out(uow: UnitOfWork) -> list[LibraryOut]:
    repo = LibraryRepository(uow.session)
    counts = repo.counts()
    return [library_out(uow, lib, counts.get(lib.library_id)) for lib in repo.list()]


def _wake(request: Request) -> None:
    watcher: Any = getattr(request.app.state, "watcher", None)
    if watcher is not None:
        watcher.wake()


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LibraryOut)
def create_library(body: CreateLibrary, request: Request, uow: UowDep,
                   settings: SettingsDep) -> LibraryOut:
    """Add a folder: its video and audio files (and subfolders') become the library's
    videos, analysed with `profile`/`analyzers`; subtitle files beside a video
    (`name.srt`, `name.en.vtt`) become transcript runs of their own. The folder must
    lie inside a media root and overlap no other library (409). The first scan
    starts at once on the server; follow it in `scan` (found, hashed, queued)."""
    library = service.add_library(uow, body.path, settings, name=body.name, watch=body.watch,
                                  exclude=body.exclude, profile=body.profile.value,
                                  analyzers=body.analyzers, inside_roots=True)
    uow.commit()
    _wake(request)
    return library_out(uow, library)


@router.get("", response_model=LibraryList)
def list_libraries(uow: UowDep) -> LibraryList:
    """Every library with its scan and counts (files, analysed, queued, failed, missing)."""
    return LibraryList(libraries=libraries_out(uow))


@router.get("/{library_id}", response_model=LibraryOut)
def get_library(library_id: uuid.UUID, uow: UowDep) -> LibraryOut:
    """One library."""
    return library_out(uow, LibraryRepository(uow.session).get(library_id))


@router.patch("/{library_id}", response_model=LibraryOut)
def update_library(library_id: uuid.UUID, body: PatchLibrary, request: Request, uow: UowDep,
                   settings: SettingsDep) -> LibraryOut:
    """Pause or resume (`paused`), switch watching, change the exclude globs, name,
    profile or analyzers (they apply to videos found from then on). A changed
    exclude list or a resume rescans the folder."""
    repo = LibraryRepository(uow.session)
    before = repo.get(library_id)
    fields = body.model_dump(exclude_unset=True)
    if fields.get("profile") is not None:
        fields["profile"] = fields["profile"].value
    if "analyzers" in fields:
        from eioku.services.pipeline import resolve

        resolve(fields["analyzers"], settings.analyzers, settings)
    fields = {k: v for k, v in fields.items() if v is not None or k == "analyzers"}
    library = repo.update(library_id, **fields)
    if (library.exclude != before.exclude) or (before.paused and not library.paused):
        repo.request_rescan(library_id)
        library = repo.get(library_id)
    uow.commit()
    _wake(request)
    return library_out(uow, library)


@router.post("/{library_id}/rescan", status_code=status.HTTP_202_ACCEPTED, response_model=LibraryOut)
def rescan_library(library_id: uuid.UUID, request: Request, uow: UowDep) -> LibraryOut:
    """Ask the server watching the library for a full rescan (a `stat` per file;
    only new or changed files are hashed)."""
    repo = LibraryRepository(uow.session)
    repo.get(library_id)
    repo.request_rescan(library_id)
    uow.commit()
    _wake(request)
    return library_out(uow, repo.get(library_id))


@router.post("/{library_id}/purge", response_model=Purged)
def purge_library(
    library_id: uuid.UUID, request: Request, settings: SettingsDep,
    older_than_s: Annotated[float, Query(ge=0, le=10 * 365 * 86400, description=(
        "Only videos missing for longer than this (default 0: every missing video)."))] = 0,
) -> Purged:
    """Delete the library's missing videos now, with their analysis (they are
    otherwise deleted after EIOKU_MISSING_GRACE_S)."""
    deleted = service.purge_missing(request.app.state.session_factory, settings,
                                    older_than_s=older_than_s, library_id=library_id)
    return Purged(deleted=deleted)


@router.delete("/{library_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_library(
    library_id: uuid.UUID, request: Request, settings: SettingsDep,
    delete_videos: Annotated[bool, Query(description=(
        "Also delete its videos and their analysis (default: they stay, as videos "
        "registered by path). Files are never touched."))] = False,
) -> None:
    """Stop following a folder. Your files are never touched."""
    service.remove_library(request.app.state.session_factory, settings, library_id,
                           delete_videos=delete_videos)
    _wake(request)
