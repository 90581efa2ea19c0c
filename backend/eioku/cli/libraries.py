"""``eioku library``: folders kept in sync with the library."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from eioku.cli import (
    JsonOpt,
    _enum,
    _split,
    _Store,
    _table,
    _url,
    app,
    console,
    err_console,
    friendly_errors,
    print_json,
)
from eioku.config import get_settings

library_app = typer.Typer(help="Folders kept in sync: add, list, rescan, pause, resume, remove, purge.",
                          no_args_is_help=True)
app.add_typer(library_app, name="library")
Ref = Annotated[str, typer.Argument(help="Library name or id.")]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help=(
    "Follow the scan to its end (or return at once and let `eioku serve` do it)."))]


def _store() -> _Store:
    from eioku.db import migrate

    migrate.upgrade(_url())
    return _Store()


def _libraries(store: _Store) -> list[dict[str, Any]]:
    from eioku.api.routers.libraries import libraries_out

    with store.uow() as uow:
        return [lib.model_dump(mode="json") for lib in libraries_out(uow)]


def _one(store: _Store, ref: str) -> dict[str, Any]:
    from eioku.api.routers.libraries import library_out
    from eioku.store.libraries import LibraryRepository

    with store.uow() as uow:
        return library_out(uow, LibraryRepository(uow.session).get(ref)).model_dump(mode="json")


@contextmanager
def _lease(store: _Store, library_id: uuid.UUID, holder: str):  # type: ignore[no-untyped-def]
    """Hold the library's lease while the block runs (renewed in the background);
    yields False when a server holds it."""
    from eioku.store.libraries import LibraryRepository

    ttl = get_settings().library_lease_s

    def take() -> bool:
        with store.uow() as uow:
            took = LibraryRepository(uow.session).take_lease(library_id, holder, ttl)
            uow.commit()
        return took

    if not take():
        yield False
        return
    done = threading.Event()

    def renew() -> None:
        while not done.wait(ttl / 3):
            take()

    keeper = threading.Thread(target=renew, daemon=True)
    keeper.start()
    try:
        yield True
    finally:
        done.set()
        keeper.join()
        with store.uow() as uow:
            LibraryRepository(uow.session).release_lease(library_id, holder)
            uow.commit()


def _scan(store: _Store, library_id: uuid.UUID, *, quiet: bool, force_empty: bool = False,
          requested: bool = False) -> dict[str, Any] | None:
    """Scan here with progress bars, or — when a server watches the library —
    follow the server's scan from the database. Returns this scan's report
    (None when the server scanned)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn

    from eioku.services.libraries import Scanner, holder_name

    settings = get_settings()
    holder = holder_name("cli")
    with _lease(store, library_id, holder) as mine:
        if not mine:
            if not requested:
                with store.uow() as uow:
                    from eioku.store.libraries import LibraryRepository

                    LibraryRepository(uow.session).request_rescan(library_id)
                    uow.commit()
            _follow(store, library_id, quiet)
            return None
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TextColumn("{task.fields[counts]}"))
        with Progress(*columns, console=console, disable=quiet, transient=False) as bars:
            task = bars.add_task("finding files", total=None, counts="")

            def show(r) -> None:  # type: ignore[no-untyped-def]
                counts = f"found {r.found} · hashed {r.hashed}/{r.to_hash} · queued {r.queued}"
                if r.phase == "finding":
                    bars.update(task, counts=counts)
                else:
                    bars.update(task, description="hashing new and changed files",
                                total=max(r.bytes_to_hash, 1), completed=r.bytes_hashed
                                if r.phase != "done" else max(r.bytes_to_hash, 1), counts=counts)

            scanner = Scanner(store.factory, settings, holder, progress=show)
            report = scanner.scan(library_id, wait_unsettled_s=4 * settings.library_settle_s + 1,
                                  force_empty=force_empty)
    out = {k: getattr(report, k) for k in ("found", "hashed", "queued", "added", "moved", "changed",
                                           "gone", "missing", "returned", "subtitles", "unchanged")}
    out.update(unsettled=report.unsettled, errors=report.errors, error=report.error)
    return out


def _follow(store: _Store, library_id: uuid.UUID, quiet: bool) -> None:
    """A server holds the lease: show its scan's progress until it ends."""
    lib = _one(store, str(library_id))
    if not quiet:
        console.print(f"{escape(lib['name'])} is watched by {lib['watched_by']}: following its scan",
                      highlight=False)
    deadline = time.monotonic() + 24 * 3600
    while time.monotonic() < deadline:
        lib = _one(store, str(library_id))
        scan = lib["scan"]
        if scan["state"] in ("idle", "failed") and not scan["rescan_requested"]:
            break
        if not quiet:
            console.print(f"  {scan['state']}: found {scan['found']} · hashed {scan['hashed']} · "
                          f"queued {scan['queued']}", highlight=False, end="\r")
        time.sleep(0.5)
    if not quiet:
        console.print()


def _print_report(name: str, report: dict[str, Any] | None, lib: dict[str, Any]) -> None:
    if report is not None:
        parts = [f"{report[k]} {k}" for k in ("found", "added", "moved", "changed", "gone",
                                                 "missing", "subtitles", "queued") if report[k]]
        console.print(f"{escape(name)}: " + (", ".join(parts) or "nothing changed"), highlight=False)
        if report["unsettled"]:
            console.print(f"[yellow]{len(report['unsettled'])} file(s) still being written: taken by "
                          "the next scan once they stop changing[/yellow]")
        for path, error in report["errors"].items():
            err_console.print(f"[red]skipped[/red] {escape(path)}: {escape(error)}", highlight=False)
        if report["error"]:
            err_console.print(f"[red]scan failed:[/red] {escape(report['error'])}", highlight=False)
    scan = lib["scan"]
    if scan["error"] and report is None:
        err_console.print(f"[red]scan failed:[/red] {escape(scan['error'])}", highlight=False)
    if lib["counts"]["queued"]:
        console.print(f"analysis queued for {lib['counts']['queued']} video(s): `eioku serve` (or "
                      "`eioku worker`) runs it", highlight=False)


@library_app.command("add")
@friendly_errors
def library_add(
    path: Annotated[str, typer.Argument(help="The folder (inside EIOKU_MEDIA_ROOTS when that is set).")],
    name: Annotated[str | None, typer.Option(help="Default: the folder's name.")] = None,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help=(
        "Follow file events while `eioku serve` runs (off: periodic rescans only, e.g. "
        "network mounts)."))] = True,
    exclude: Annotated[list[str] | None, typer.Option(help=(
        "A glob of paths or names to skip (repeat it): '*.tmp', 'Trash', 'old/*'."))] = None,
    profile: Annotated[str, typer.Option(help="fast|balanced|high_quality")] = "balanced",
    analyzers: Annotated[str | None, typer.Option(help="Comma list (default: all).")] = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Add a folder: its video and audio files become the library's videos, kept in
    sync while `eioku serve` runs. The first scan runs here, with progress."""
    from eioku.domain.enums import ModelProfile
    from eioku.services.libraries import add_library

    profile = _enum(ModelProfile, profile, "profile").value
    store = _store()
    with store.uow() as uow:
        library = add_library(uow, path, get_settings(), name=name, watch=watch, exclude=exclude or [],
                              profile=profile, analyzers=_split(analyzers) or None, inside_roots=False)
        uow.commit()
    if not as_json:
        console.print(f"library {escape(library.name)} → {escape(library.path)}", highlight=False)
    report = _scan(store, library.library_id, quiet=as_json, requested=True) if wait else None
    lib = _one(store, str(library.library_id))
    if as_json:
        print_json({"library": lib, "scan": report})
    else:
        _print_report(library.name, report, lib)


@library_app.command("list")
@friendly_errors
def library_list(as_json: JsonOpt = False) -> None:
    """Every library: its folder, files, analysed, queued, failed, missing, and who watches it."""
    libs = _libraries(_store())
    if as_json:
        print_json(libs)
        return
    _table("Libraries", ["name", "folder", "files", "analysed", "queued", "failed", "missing", "scan",
                         "watching"],
           [[escape(x["name"]), escape(x["path"]), x["counts"]["files"], x["counts"]["analysed"],
             x["counts"]["queued"], x["counts"]["failed"], x["counts"]["missing"], x["scan"]["state"],
             "paused" if x["paused"] else ((x["watched_by"] or "no server") +
                                           ("" if x["watch"] else " (rescans only)"))]
            for x in libs])


@library_app.command("rescan")
@friendly_errors
def library_rescan(
    ref: Ref,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help=(
        "Take an empty folder as empty (else it is taken for an unmounted disk and "
        "nothing is marked missing)."))] = False,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Scan a library's folder now: a stat per file, a hash only for new or changed ones."""
    from eioku.store.libraries import LibraryRepository

    store = _store()
    with store.uow() as uow:
        library = LibraryRepository(uow.session).get(ref)
        if not wait:
            LibraryRepository(uow.session).request_rescan(library.library_id)
            uow.commit()
    report = _scan(store, library.library_id, quiet=as_json, force_empty=allow_empty) if wait else None
    lib = _one(store, str(library.library_id))
    if as_json:
        print_json({"library": lib, "scan": report})
    else:
        _print_report(library.name, report, lib)


def _set(ref: str, **fields: Any) -> dict[str, Any]:
    from eioku.store.libraries import LibraryRepository

    store = _store()
    with store.uow() as uow:
        repo = LibraryRepository(uow.session)
        library = repo.update(repo.get(ref).library_id, **fields)
        if fields.get("paused") is False:
            repo.request_rescan(library.library_id)  # catch up with what changed meanwhile
        uow.commit()
    return _one(store, str(library.library_id))


@library_app.command("pause")
@friendly_errors
def library_pause(ref: Ref, as_json: JsonOpt = False) -> None:
    """Stop scanning and watching a library (its videos stay)."""
    lib = _set(ref, paused=True)
    print_json(lib) if as_json else console.print(f"{escape(lib['name'])} paused", highlight=False)


@library_app.command("resume")
@friendly_errors
def library_resume(ref: Ref, as_json: JsonOpt = False) -> None:
    """Watch a paused library again; the server rescans it to catch up."""
    lib = _set(ref, paused=False)
    print_json(lib) if as_json else console.print(
        f"{escape(lib['name'])} resumed (rescanned by the server watching it)", highlight=False)


@library_app.command("remove")
@friendly_errors
def library_remove(
    ref: Ref,
    delete_videos: Annotated[bool, typer.Option("--delete-videos", help=(
        "Also delete its videos and their analysis (default: they stay). Files are never touched."))
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stop following a folder. Your files are never touched."""
    from eioku.services.libraries import remove_library
    from eioku.store.libraries import LibraryRepository

    store = _store()
    with store.uow() as uow:
        library = LibraryRepository(uow.session).get(ref)
    deleted = remove_library(store.factory, get_settings(), library.library_id,
                             delete_videos=delete_videos)
    if as_json:
        print_json({"removed": str(library.library_id), "videos_deleted": deleted})
    else:
        console.print(f"library {escape(library.name)} removed"
                      + (f"; {deleted} video(s) deleted" if delete_videos else "; its videos stay"),
                      highlight=False)


@library_app.command("purge")
@friendly_errors
def library_purge(
    ref: Ref,
    older_than_s: Annotated[float, typer.Option(min=0, help=(
        "Only videos missing for longer than this many seconds (default: all)."))] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Delete a library's missing videos (files gone) and their analysis now,
    instead of after EIOKU_MISSING_GRACE_S."""
    from eioku.services.libraries import purge_missing
    from eioku.store.libraries import LibraryRepository

    store = _store()
    with store.uow() as uow:
        library = LibraryRepository(uow.session).get(ref)
    deleted = purge_missing(store.factory, get_settings(), older_than_s=older_than_s,
                            library_id=library.library_id)
    if as_json:
        print_json({"deleted": deleted})
    else:
        console.print(f"{deleted} missing video(s) of {escape(library.name)} deleted", highlight=False)
