"""Watching library folders while ``eioku serve`` runs.

Each server runs one :class:`LibraryWatcher`. Its keeper thread takes (or
renews) the lease of every library that is not paused, every third of
EIOKU_LIBRARY_LEASE_S; a library whose lease another server holds is left to
it, and taken over once that lease expires (a server that died). For each
library it holds, a thread scans the folder in full when it takes the lease
(changes made while no one watched), when a rescan is asked for, and every
EIOKU_LIBRARY_RESCAN_S (the fallback for network mounts, where no events
arrive); with ``watch`` on, ``watchfiles`` (inotify on Linux) reports changed
paths, and each is looked at once no event came for it for
EIOKU_LIBRARY_SETTLE_S (a copy in progress keeps sending events). Missing
videos past EIOKU_MISSING_GRACE_S are purged along the way.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from eioku.config import Settings
from eioku.services.libraries import LeaseLostError, Scanner, holder_name, purge_missing
from eioku.store.libraries import Library, LibraryNotFoundError, LibraryRepository
from eioku.store.uow import UnitOfWork

log = logging.getLogger(__name__)
TICK_S = 0.2
PURGE_EVERY_S = 600.0


@dataclass
class _Held:
    library: Library
    stop: threading.Event = field(default_factory=threading.Event)
    events: queue.Queue[list[str]] = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None
    watch_stop: threading.Event | None = None
    watch_thread: threading.Thread | None = None


class LibraryWatcher:
    """Holds library leases, watches and scans the libraries it holds."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings,
                 holder: str | None = None) -> None:
        self.factory = factory
        self.settings = settings
        self.holder = holder or holder_name()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._held: dict[uuid.UUID, _Held] = {}
        self._lock = threading.Lock()
        self._keeper: threading.Thread | None = None

    # ---- life ---------------------------------------------------------------
    def start(self) -> LibraryWatcher:
        self._keeper = threading.Thread(target=self._keep, name="eioku-library-leases", daemon=True)
        self._keeper.start()
        return self

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop every scan and watch (a scan stops between two files) and
        release the leases, within about ``timeout_s`` in all."""
        deadline = time.monotonic() + timeout_s
        self._stop.set()
        self._wake.set()
        with self._lock:
            for held in self._held.values():
                held.stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout_s)
        for library_id in list(self._held):
            self._drop(library_id, release=True, timeout_s=max(0.1, deadline - time.monotonic()))

    def wake(self) -> None:
        """Look at the libraries now (one was added, resumed or asked to rescan)."""
        self._wake.set()
        with self._lock:
            for held in self._held.values():
                held.events.put([])

    def held(self) -> list[uuid.UUID]:
        with self._lock:
            return list(self._held)

    # ---- leases ---------------------------------------------------------------
    def _keep(self) -> None:
        every = self.settings.library_lease_s / 3
        while not self._stop.is_set():
            try:
                self._leases()
            except Exception:  # the database away: try again next round, leases expire meanwhile
                log.warning("library leases: could not renew", exc_info=True)
            self._wake.wait(every)
            self._wake.clear()

    def _leases(self) -> None:
        with UnitOfWork(self.factory) as uow:
            libraries = {lib.library_id: lib for lib in LibraryRepository(uow.session).list()}
        for library_id in [i for i in self._held if i not in libraries]:
            self._drop(library_id, release=False)  # removed
        for library in libraries.values():
            if self._stop.is_set():
                return
            mine = library.library_id in self._held
            if library.paused:
                if mine:
                    self._drop(library.library_id, release=True)
                continue
            with UnitOfWork(self.factory) as uow:
                took = LibraryRepository(uow.session).take_lease(library.library_id, self.holder,
                                                                 self.settings.library_lease_s)
                uow.commit()
            if took and not mine:
                self._hold(library)
            elif not took and mine:
                log.warning("library %s: lease lost to another server", library.name)
                self._drop(library.library_id, release=False)
            elif took:
                self._held[library.library_id].library = library
                self._watch(self._held[library.library_id])

    def _hold(self, library: Library) -> None:
        held = _Held(library)
        held.thread = threading.Thread(target=self._run, args=(held,), daemon=True,
                                       name=f"eioku-library-{library.name[:20]}")
        with self._lock:
            self._held[library.library_id] = held
        self._watch(held)
        held.thread.start()
        log.info("library %s: watching %s (%s)", library.name, library.path,
                 "events and rescans" if library.watch else "rescans only")

    def _drop(self, library_id: uuid.UUID, *, release: bool, timeout_s: float = 5.0) -> None:
        with self._lock:
            held = self._held.pop(library_id, None)
        if held is None:
            return
        held.stop.set()
        held.events.put([])
        self._unwatch(held)
        if held.thread is not None and held.thread is not threading.current_thread():
            held.thread.join(timeout_s)
        if release:
            try:
                with UnitOfWork(self.factory) as uow:
                    LibraryRepository(uow.session).release_lease(library_id, self.holder)
                    uow.commit()
            except Exception:  # it expires by itself
                log.warning("library %s: could not release its lease", library_id, exc_info=True)

    # ---- file events ------------------------------------------------------------
    def _watch(self, held: _Held) -> None:
        """Start or stop the event watch as the library's ``watch`` says."""
        if not held.library.watch:
            self._unwatch(held)
            return
        if held.watch_thread is not None and held.watch_thread.is_alive():
            return
        held.watch_stop = threading.Event()
        held.watch_thread = threading.Thread(
            target=_watch_folder, args=(Path(held.library.path), held.events, held.watch_stop),
            daemon=True, name=f"eioku-watch-{held.library.name[:20]}")
        held.watch_thread.start()

    def _unwatch(self, held: _Held) -> None:
        if held.watch_stop is not None:
            held.watch_stop.set()
        if held.watch_thread is not None:
            held.watch_thread.join(3)
        held.watch_thread = held.watch_stop = None

    # ---- one library --------------------------------------------------------------
    def _run(self, held: _Held) -> None:
        library_id = held.library.library_id
        scanner = Scanner(self.factory, self.settings, self.holder, stop=held.stop)
        settle = self.settings.library_settle_s
        pending: dict[str, float] = {}  # path -> when to look at it
        full_due = 0.0  # now: the first thing a new holder does
        last_state = 0.0
        last_purge = 0.0
        while not held.stop.is_set():
            now = time.monotonic()
            try:
                if now - last_state >= 1.0:
                    last_state = now
                    with UnitOfWork(self.factory) as uow:
                        library = LibraryRepository(uow.session).get(library_id)
                    held.library = library
                    if library.rescan_requested_at is not None or library.scan_state == "pending":
                        full_due = now
                if now >= full_due:
                    report = scanner.scan(library_id)
                    if held.stop.is_set():
                        return
                    if report.error:
                        log.warning("library %s: %s", held.library.name, report.error)
                    for rel in report.unsettled:
                        pending[rel] = now + settle
                    rescan = self.settings.library_rescan_s
                    full_due = time.monotonic() + (rescan if rescan > 0 else float("inf"))
                self._drain(held, pending, settle)
                ready = [rel for rel, when in pending.items() if when <= time.monotonic()]
                if ready:
                    for rel in ready:
                        del pending[rel]
                    report = scanner.paths(library_id, ready)
                    for rel in report.unsettled:
                        pending[rel] = time.monotonic() + max(settle / 2, 0.05)
                if self.settings.missing_grace_s > 0 and now - last_purge >= PURGE_EVERY_S:
                    last_purge = now
                    purge_missing(self.factory, self.settings, library_id=library_id)
            except (LeaseLostError, LibraryNotFoundError):
                return  # the keeper sees it and lets go
            except Exception:
                log.warning("library %s: scan failed; trying again", held.library.name, exc_info=True)
                full_due = time.monotonic() + max(5.0, settle)
            try:
                paths = held.events.get(timeout=TICK_S)
                held.events.put(paths)  # drained with the others next round
            except queue.Empty:
                pass

    def _drain(self, held: _Held, pending: dict[str, float], settle: float) -> None:
        root = Path(held.library.path)
        when = time.monotonic() + settle
        while True:
            try:
                paths = held.events.get_nowait()
            except queue.Empty:
                return
            for raw in paths:
                try:
                    rel = Path(raw).relative_to(root).as_posix()
                except ValueError:
                    continue
                if rel not in ("", "."):
                    pending[rel] = when  # each event pushes the look back: a copy in progress waits


def _watch_folder(root: Path, out: queue.Queue[list[str]], stop: threading.Event) -> None:
    import watchfiles

    try:
        for changes in watchfiles.watch(root, watch_filter=None, debounce=200, step=50,
                                        stop_event=stop, rust_timeout=1000, raise_interrupt=False,
                                        ignore_permission_denied=True):
            out.put([path for _, path in changes])
    except Exception:  # e.g. the folder went away, or inotify's watch limit: rescans still run
        if not stop.is_set():
            log.warning("watching %s stopped (periodic rescans go on; see docs/operations.md)", root,
                        exc_info=True)
