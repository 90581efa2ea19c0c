"""Every file plays, in Debian's chromium (Playwright), against a real server
whose worker makes the remuxes and proxies for real: for each file of the
corpus (tests/fixtures/corpus.py) the player shows a decoded picture
(``videoWidth > 0``), time advances, a seek to the middle lands within a
second, thumbnails and a clip export work. While a proxy is made the player
says so with progress, and the timeline already moves; a file that cannot be
played, and a file the browser refuses, say so; a second audio track can be
chosen."""

from __future__ import annotations

import io
import re

import av
import httpx
import pytest
from eioku.config import Settings
from eioku_ml.worker.daemon import run_pool
from playwright.sync_api import Page, expect

from tests.e2e.browser import checked_page, chromium, live_server, start_workers
from tests.fixtures.corpus import ITEMS, SECONDS

PLAYS_WITHIN_MS = 60_000  # the worker may still be making other files' copies


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, corpus, tmp_path_factory):
    """A live server on a fresh database with every corpus file registered (on-register:
    their copies are queued at once), their metadata analysed, and no worker making
    copies yet: see ``workers``."""
    url = pg_cluster.url(pg_cluster.create(template=template_db))
    own = tmp_path_factory.mktemp("own-media")
    (own / "not-a-video.mp4").write_bytes(b"<html>not a video</html>" * 50)
    settings = Settings(data_dir=tmp_path_factory.mktemp("playback-data"), database_url=url,
                        media_roots=[next(iter(corpus.values())).parent, own])
    with live_server(settings, workers=0) as base:
        ids = {}
        for name, path in [*corpus.items(), ("not-a-video.mp4", own / "not-a-video.mp4")]:
            r = httpx.post(f"{base}/v1/videos", json={"path": str(path), "analyze": True,
                                                       "analyzers": ["metadata"]}, timeout=30)
            assert r.status_code == 202, r.text
            ids[name] = r.json()["video_id"]
        # the metadata analysis (durations for the timeline), which reads the originals;
        # the playback copies stay queued for the ``workers`` fixture
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("EIOKU_DATA_DIR", str(settings.data_dir))
            assert run_pool(url, concurrency=1, queues=["analysis.metadata"], wait=False,
                            forward_signals=False) == 0
        yield base, ids, settings


@pytest.fixture(scope="module")
def workers(server):
    """One worker process serving every queue (the playback queue among them)."""
    from eioku_ml.worker.daemon import stop_pool

    pool = start_workers(server[2], 1)
    yield pool
    stop_pool(pool, timeout_s=60)


@pytest.fixture(scope="module")
def browser():
    with chromium("--autoplay-policy=no-user-gesture-required") as b:
        yield b


@pytest.fixture
def page(browser, request):
    with checked_page(browser, request.node.name, 1200, 900) as pg:
        yield pg


def _open(page: Page, base: str, video_id: str, query: str = "") -> None:
    page.goto(f"{base}/videos/{video_id}{query}")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()


def _video(page: Page, expression: str):
    return page.evaluate(f"() => {{ const v = document.querySelector('video'); return {expression}; }}")


def _wait_video(page: Page, condition: str, timeout: float = PLAYS_WITHIN_MS) -> None:
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('video'); return v && ({condition}); }}", timeout=timeout)


def test_the_player_says_a_proxy_is_being_made_then_plays_it(server, page, request):
    base, ids, _ = server
    _open(page, base, ids["mpeg2.ts"])
    notice = page.get_by_role("status").filter(has_text="Preparing playback")
    expect(notice).to_contain_text(re.compile(r"Preparing playback — \d+ %"))
    expect(notice).to_contain_text("MPEG-TS")
    # nothing plays yet, but the timeline already moves: the seek bar, the time and the URL follow
    seek = page.get_by_role("slider", name="Seek")
    seek.fill("2000")
    expect(page.locator(".time")).to_contain_text("0:02 /")
    expect(page).to_have_url(re.compile(r"t=2\.00"))
    request.getfixturevalue("workers")  # now a worker makes the proxy
    expect(notice).to_be_hidden(timeout=PLAYS_WITHIN_MS)
    _wait_video(page, "v.readyState >= 1 && v.videoWidth > 0")
    assert _video(page, "v.currentTime") == pytest.approx(2.0, abs=0.1)  # where the user had moved to
    assert "/stream" in _video(page, "v.currentSrc")


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.name)
def test_every_file_plays(server, workers, page, item):
    base, ids, _ = server
    video_id = ids[item.name]
    _open(page, base, video_id)
    _wait_video(page, "v.readyState >= 1")
    if item.video:
        _wait_video(page, "v.videoWidth > 0", timeout=10_000)
        if item.rotation:  # a portrait phone clip is shown upright
            assert _video(page, "v.videoHeight > v.videoWidth"), item.name
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_video(page, "v.currentTime > 0.3", timeout=15_000)
    duration = _video(page, "v.duration")
    assert duration == pytest.approx(SECONDS, abs=0.2), item.name  # the live WebM too
    page.evaluate("() => { const v = document.querySelector('video'); v.pause(); "
                  "window.__seeked = false; v.addEventListener('seeked', () => { window.__seeked = true; }, "
                  "{ once: true }); v.currentTime = v.duration / 2; }")
    page.wait_for_function("() => window.__seeked === true", timeout=15_000)
    assert _video(page, "v.currentTime") == pytest.approx(duration / 2, abs=1.0)
    if item.video:
        _thumbnail_and_clip(base, video_id)


def _thumbnail_and_clip(base: str, video_id: str) -> None:
    thumb = httpx.get(f"{base}/v1/videos/{video_id}/thumbnail", params={"t_ms": 1000}, timeout=60)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:2] == b"\xff\xd8"
    clip = httpx.get(f"{base}/v1/videos/{video_id}/clip", params={"from_ms": 500, "to_ms": 1500}, timeout=120)
    assert clip.status_code == 200, clip.text
    with av.open(io.BytesIO(clip.content)) as made:
        frames = sum(1 for _ in made.decode(video=0))
    assert frames >= 10  # about a second at 25 fps


def _open_settings(page: Page) -> None:
    if not page.get_by_role("group", name="Player settings").is_visible():
        page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("group", name="Player settings")).to_be_visible()


def test_a_second_audio_track_can_be_chosen(server, workers, page):
    base, ids, _ = server
    _open(page, base, ids["h264-two-audio-subs.mkv"])
    _wait_video(page, "v.readyState >= 1")
    menu = page.get_by_label("Audio")  # in the controls bar's settings menu
    _open_settings(page)
    expect(menu.locator("option")).to_have_text(["eng · aac", "fra · ac3"])
    page.evaluate("() => { document.querySelector('video').currentTime = 1.5; }")
    _wait_video(page, "Math.abs(v.currentTime - 1.5) < 0.05", timeout=10_000)
    _open_settings(page)
    menu.select_option(label="fra · ac3")
    _wait_video(page, "v.currentSrc.includes('audio=1') && v.readyState >= 1")
    assert _video(page, "v.currentTime") == pytest.approx(1.5, abs=0.1)  # the same moment, other sound
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_video(page, "v.currentTime > 1.8", timeout=15_000)
    _open_settings(page)
    menu.select_option(label="eng · aac")
    _wait_video(page, "!v.currentSrc.includes('audio=') && v.readyState >= 1")


def test_a_file_that_cannot_be_played_says_so(server, page):
    base, ids, _ = server
    _open(page, base, ids["not-a-video.mp4"])
    notice = page.get_by_role("status").filter(has_text="This file cannot be played")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("What was found in it is still here")


def test_a_file_the_browser_refuses_says_so(server, page):
    """A <source> that fails fires its own error event and leaves video.error null:
    the page must still say so (here the stream answers garbage as video/mp4)."""
    base, ids, _ = server
    page.route(re.compile(r".*/stream(\?.*)?$"), lambda route: route.fulfill(
        status=200, content_type="video/mp4", body=b"\x00" * 4096))
    _open(page, base, ids["h264.mp4"])
    notice = page.get_by_role("status").filter(has_text="This browser cannot play the video")
    expect(notice).to_be_visible(timeout=15_000)
    assert _video(page, "v.error === null || v.error.code > 0")
