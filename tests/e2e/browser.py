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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.db.engine import engine_from_settings, make_session_factory
from playwright.sync_api import sync_playwright

from tests.conftest import REPO_ROOT

CHROMIUM = os.environ.get("EIOKU_TEST_CHROMIUM", "/usr/bin/chromium")
# chromium must not reach for the network at start (this machine has none but the registries)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--mute-audio"]
SCREENSHOTS = Path(os.environ.get("EIOKU_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "screenshots"


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright."""
    assert chromium_available(), f"no browser at {CHROMIUM}: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=[*CHROMIUM_ARGS, *extra_args])
        yield browser
        browser.close()


@contextmanager
def checked_page(browser: Any, name: str, width: int, height: int) -> Iterator[Any]:
    """A page in a context of its own; afterwards a full-page screenshot named
    after the test, and the test fails if the page raised a JavaScript error."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    file_name = re.sub(r"[^\w.-]", "_", name) + ".png"
    page.screenshot(path=str(SCREENSHOTS / file_name), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


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
