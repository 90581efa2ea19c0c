"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from eioku import __version__
from eioku.api import errors, hot
from eioku.api.auth import require_token
from eioku.api.guard import Guard
from eioku.api.reads import Reads
from eioku.api.routers import (
    artifacts,
    bookmarks,
    collections,
    corrections,
    events,
    exports,
    health,
    libraries,
    library,
    media,
    moment_exports,
    navigation,
    overview,
    people,
    player,
    query,
    runs,
    session,
    shares,
    sounds,
    speakers,
    status,
    terms,
    ui,
    videos,
    voices,
)
from eioku.config import Settings, get_settings
from eioku.db.engine import engine_from_settings, make_session_factory
from eioku.services import ingest

log = logging.getLogger(__name__)

DESCRIPTION = """Navigate your videos like documents: jump to the next scene, object,
face or place; find words spoken or shown on screen; across one video or the library.
Every analyzer output is a typed, versioned artifact; a selection policy decides which
run is shown."""


def _resume_registrations(factory: sessionmaker[Session], settings: Settings) -> None:
    try:
        ingest.resume_registrations(factory, settings)
        ingest.sweep_orphan_uploads(factory, settings)
    except Exception:  # the server serves anyway; the next start tries again
        log.warning("could not resume registrations", exc_info=True)


def _start_watcher(factory: sessionmaker[Session], settings: Settings):  # type: ignore[no-untyped-def]
    """The library folders' watcher of this server (EIOKU_LIBRARY_WATCHER=0: none)."""
    if not settings.library_watcher:
        return None
    from eioku.services.watcher import LibraryWatcher

    return LibraryWatcher(factory, settings).start()


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None,
    *, hot_path: bool = True,
) -> FastAPI:
    """The API and the web player. ``hot_path=False`` leaves jump, find and
    global jump to FastAPI's routing alone (api/hot.py; its tests compare the two)."""
    settings = settings or get_settings()
    ingest.check_data_dir(settings)  # a clear error now, not on the first upload
    if ingest.sweep_partial_uploads(settings):
        log.info("removed uploads left half written by a stopped server")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        if session_factory is None:
            engine = engine_from_settings(settings)
            app.state.session_factory = make_session_factory(engine)
            app.state.reads = Reads.of(engine)
        await app.state.reads.open()
        # registrations a stopped server left half done are finished in the background
        resume = threading.Thread(target=_resume_registrations, name="eioku-resume-registrations",
                                  args=(app.state.session_factory, settings), daemon=True)
        resume.start()
        app.state.watcher = _start_watcher(app.state.session_factory, settings)
        try:
            yield
        finally:
            if app.state.watcher is not None:
                app.state.watcher.stop()
            await app.state.reads.close()
            if engine is not None:
                engine.dispose()

    app = FastAPI(title="Eioku", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.reads = Reads.of(session_factory.kw["bind"]) if session_factory is not None else None
    errors.install(app)
    checks = [require_token]  # run before every /v1 route, on FastAPI's way and the short one
    protected = [Depends(check) for check in checks]
    # the hot routes first: a request is matched against the routes in order
    for module in (navigation, videos, runs, events, artifacts, people, library, libraries, player,
                   media, exports, status, corrections, speakers, voices, bookmarks, collections, terms,
                   moment_exports, query, shares, overview, sounds):
        app.include_router(module.router, dependencies=protected)
    app.include_router(health.router)
    app.include_router(session.router)  # signing in needs no token
    app.include_router(shares.public)  # a share link opens its moment without the token
    app.include_router(ui.router)
    app.mount("/ui", ui.static_files(), name="ui")
    if hot_path:
        hot.install(app, navigation.hot, dependencies=checks)
    app.add_middleware(Guard, settings=settings)  # outermost: before any other work
    return app
