"""A real server and a real browser for the web player's tests: uvicorn in a
thread on a free port, worker processes for analysis, and Debian's chromium
driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.db.engine import engine_from_settings, make_engine, make_session_factory
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import REPO_ROOT
from tests.factories import payload_for, store_run
from tests.media import SAMPLE

CHROMIUM = os.environ.get("EIOKU_TEST_CHROMIUM", "/usr/bin/chromium")
# chromium must not reach for the network at start (this machine has none but the registries)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--mute-audio"]
SCREENSHOTS = Path(os.environ.get("EIOKU_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "screenshots"
# a 390x844 touch phone (iPhone 13-like), as options of ``browser.new_context``
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
                         "is_mobile": True, "has_touch": True}
IPHONE_USER_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
                     "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1")


# a page that has not finished after this long is a hung browser (a whole browser test file takes
# about a minute): its chromium is killed so the pending call fails now, with a report of what spun,
# instead of the run waiting for pytest-timeout or, worse, hanging in the page's teardown
PAGE_WATCHDOG_S = float(os.environ.get("EIOKU_TEST_PAGE_WATCHDOG_S", "240"))


class Browser:
    """The module's chromium. If it died (the watchdog killed it, it crashed), the next
    context is opened in a new one, so one hung test does not fail the tests after it."""

    def __init__(self, playwright: Any, args: list[str]) -> None:
        self._playwright, self._args = playwright, args
        self._browser = self._launch()

    def _launch(self) -> Any:
        return self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=self._args)

    def new_context(self, **options: Any) -> Any:
        if not self._browser.is_connected():
            self._browser = self._launch()
        return self._browser.new_context(**options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def close(self) -> None:
        if self._browser.is_connected():
            self._browser.close()


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright."""
    assert chromium_available(), f"no browser at {CHROMIUM}: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        browser = Browser(p, [*CHROMIUM_ARGS, *extra_args])
        yield browser
        browser.close()


def _chromium_processes() -> list[psutil.Process]:
    """This test process's chromium processes (the browser, its zygotes, renderers, GPU, utility)."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                found.append(proc)
        except psutil.Error:
            continue
    return found


def kill_hung_browser(reason: list[str]) -> None:
    """The watchdog's action: say which chromium processes spun (CPU, type), then kill them all."""
    procs = _chromium_processes()
    for proc in procs:
        with suppress(psutil.Error):
            proc.cpu_percent(None)
    time.sleep(1.0)
    lines = []
    for proc in procs:
        with suppress(psutil.Error):
            kind = next((a for a in proc.cmdline() if a.startswith("--type=")), "--type=browser")
            lines.append(f"pid {proc.pid} {kind} cpu {proc.cpu_percent(None):.0f}% "
                         f"threads {proc.num_threads()} rss {proc.memory_info().rss >> 20} MiB")
    load = os.getloadavg()
    reason.append(f"the page hung for {PAGE_WATCHDOG_S:.0f} s (load average {load[0]:.1f}); "
                  f"chromium killed: " + "; ".join(lines))
    print("\n".join(["watchdog: " + reason[-1]]), flush=True)
    for proc in procs:
        with suppress(psutil.Error):
            proc.kill()


@contextmanager
def emulated_page(browser: Any, name: str, *, accept_dialogs: bool = False,
                  **context_options: Any) -> Iterator[Any]:
    """A page in a context of its own (``context_options`` as for
    ``browser.new_context``: viewport, touch, user agent…); afterwards a full-page
    screenshot named after the test, and the test fails if the page raised a
    JavaScript error. ``accept_dialogs`` accepts confirmations (merge, cancel).
    A page still open after ``PAGE_WATCHDOG_S`` has its browser killed (see there)."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors: list[str] = []
    hung: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if accept_dialogs:
        page.on("dialog", lambda d: d.accept())
    watchdog = threading.Timer(PAGE_WATCHDOG_S, kill_hung_browser, args=(hung,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        file_name = re.sub(r"[^\w.-]", "_", name) + ".png"
        page.screenshot(path=str(SCREENSHOTS / file_name), full_page=True)
    finally:
        watchdog.cancel()
        try:
            context.close()
        except Exception:  # the watchdog killed the browser: say so below, not a close error
            if not hung:
                raise
        assert not hung, f"browser hung: {hung[0]}"
    assert not errors, f"JavaScript errors: {errors}"


def checked_page(browser: Any, name: str, width: int, height: int) -> Any:
    """``emulated_page`` at a plain viewport of width x height."""
    return emulated_page(browser, name, viewport={"width": width, "height": height})


def browser_fixture(*extra_args: str) -> Any:
    """A module's ``browser`` fixture: one chromium (``extra_args`` on its command line)."""
    @pytest.fixture(scope="module", name="browser")
    def browser() -> Iterator[Any]:
        with chromium(*extra_args) as b:
            yield b
    return browser


def page_fixture(name: str, **context_options: Any) -> Any:
    """A page fixture called ``name`` on the module's ``browser``: an ``emulated_page``
    (screenshot, JavaScript errors fail the test) with these ``browser.new_context`` options."""
    @pytest.fixture(name=name)
    def page(browser: Any, request: Any) -> Iterator[Any]:
        with emulated_page(browser, request.node.name, **context_options) as pg:
            yield pg
    return page


def wait_video_ready(page: Page, picture: bool = False) -> None:
    """Until the page's video knows its duration (``picture``: and its frame size)."""
    ready = "v.readyState >= 1 && v.videoWidth > 0" if picture else "v.readyState >= 1"
    page.wait_for_function(f"() => {{ const v = document.querySelector('video'); "
                           f"return v !== null && {ready}; }}")


def open_player(page: Page, base: str, video_id: str, query: str = "", *, picture: bool = False) -> None:
    """The player page of a video, its timeline shown and its video's metadata loaded."""
    page.goto(f"{base}/videos/{video_id}{query}")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    wait_video_ready(page, picture)


def video_time(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('video').currentTime"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(settings: Settings, workers: int = 0) -> Iterator[str]:
    """``eioku serve`` in-process: the same app, a real socket, real worker processes."""
    engine = engine_from_settings(settings)  # configured as `eioku serve` configures it
    app = create_app(settings, make_session_factory(engine))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    pool = []
    if workers:
        pool = start_workers(settings, workers)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if pool:
            from eioku_ml.worker.daemon import stop_pool

            stop_pool(pool, timeout_s=60)
        server.should_exit = True
        thread.join(30)
        engine.dispose()


@contextmanager
def sample_server(pg_cluster: Any, template_db: str, tmp_path_factory: Any, name: str,
                  findings: Callable[[UnitOfWork, uuid.UUID], None] | None = None,
                  ) -> Iterator[tuple[Settings, str, str, str]]:
    """A live server on a fresh database with tests/data/sample.mp4 registered and
    its metadata analysed by one worker pass, then ``findings(uow, video_id)``
    stored (and committed): (settings, database url, base url, video id)."""
    from eioku_ml.worker.daemon import run_pool

    url = pg_cluster.url(pg_cluster.create(template=template_db))
    settings = Settings(data_dir=tmp_path_factory.mktemp(f"{name}-data"), database_url=url,
                        media_roots=[SAMPLE.parent.resolve()])
    with live_server(settings, workers=0) as base:
        r = httpx.post(f"{base}/v1/videos", json={"path": str(SAMPLE.resolve()), "analyze": True,
                                                   "analyzers": ["metadata"]}, timeout=30)
        assert r.status_code == 202, r.text
        video_id = r.json()["video_id"]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("EIOKU_DATA_DIR", str(settings.data_dir))
            assert run_pool(url, concurrency=1, queues=["analysis.metadata"], wait=False,
                            forward_signals=False) == 0
        if findings is not None:
            with unit_of_work(url) as uow:
                findings(uow, uuid.UUID(video_id))
                uow.commit()
        yield settings, url, base, video_id


@contextmanager
def unit_of_work(database: str | Settings) -> Iterator[UnitOfWork]:
    """A unit of work on a test server's database: a worker's engine for a
    database url, the API's (``eioku serve``'s) for the server's settings."""
    engine = engine_from_settings(database) if isinstance(database, Settings) else make_engine(database)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            yield uow
    finally:
        engine.dispose()


def store_transcript(uow: UnitOfWork, video_id: uuid.UUID, lines: list[tuple[tuple[int, int], str]]) -> None:
    """A transcript run of ``lines`` ((start_ms, end_ms), text), through the real store."""
    store_run(uow, video_id, "transcript.segment", [s for s, _ in lines],
              payloads=[payload_for("transcript.segment", i, text=t) for i, (_, t) in enumerate(lines)])


def start_workers(settings: Settings, count: int) -> list:
    """Worker processes on the server's database and data dir (playback copies are
    written there, where the server looks for them), never the user's default one."""
    from eioku_ml.worker.daemon import start_pool

    saved = os.environ.get("EIOKU_DATA_DIR")
    os.environ["EIOKU_DATA_DIR"] = str(settings.data_dir)  # the spawned processes read it
    try:
        return start_pool(settings.database_url or "", concurrency=count)
    finally:
        if saved is None:
            del os.environ["EIOKU_DATA_DIR"]
        else:
            os.environ["EIOKU_DATA_DIR"] = saved


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None


def serious_violations(page: Page) -> list[tuple[str, list[Any]]]:
    """axe's serious and critical findings on the page once the network is idle:
    (rule, the first five elements it names)."""
    page.wait_for_load_state("networkidle")
    violations = Axe().run(page).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations
            if v["impact"] in ("serious", "critical")]

