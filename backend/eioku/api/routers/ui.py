"""The web player: one HTML page whose ES modules route by URL, served with the API.

Every asset lives in ``eioku/ui/static`` (no CDN, no web fonts, no build
step); page URLs (``/``, ``/videos/{id}``, ``/people``, ``/people/{id}``, ``/voices``,
``/voices/{id}``, ``/search``, ``/terms``, ``/collections``, ``/collections/{id}``) all answer
with the same page and the modules read the URL.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[2] / "ui" / "static"
router = APIRouter(include_in_schema=False)
# the page may run scripts and styles from this server only; media from it or blob:
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'")


def _page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache",
                                 "X-Content-Type-Options": "nosniff"})


@router.get("/")
@router.get("/people")
@router.get("/voices")
@router.get("/search")
@router.get("/collections")
@router.get("/terms")
def page() -> FileResponse:
    return _page()


@router.get("/people/{person}")
@router.get("/voices/{voice}")
@router.get("/videos/{video_id}")
@router.get("/collections/{collection_id}")
def player_page() -> FileResponse:
    return _page()


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
