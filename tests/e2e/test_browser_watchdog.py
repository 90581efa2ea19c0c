"""The browser tests' own safety net: a page that hangs has its chromium killed by
the watchdog, the test fails with a readable reason, and the next page of the same
module gets a new browser (so one hang does not hang or fail the whole run)."""

from __future__ import annotations

import time

import pytest

from tests.e2e import browser as browser_module
from tests.e2e.browser import browser_fixture, emulated_page

browser = browser_fixture()


def test_a_hung_page_is_killed_and_the_next_page_works(browser, monkeypatch):
    monkeypatch.setattr(browser_module, "PAGE_WATCHDOG_S", 3.0)
    started = time.monotonic()
    with pytest.raises(AssertionError, match="browser hung") as failure, \
            emulated_page(browser, "watchdog-hang") as page:
        page.set_content("<p>spinning</p>")
        page.evaluate("() => { while (true) {} }")  # a renderer that never yields
    assert time.monotonic() - started < 60
    assert "chromium killed" in str(failure.value) and "--type=renderer" in str(failure.value)

    with emulated_page(browser, "watchdog-after") as page:  # a new chromium, launched on demand
        page.set_content("<h1>alive</h1>")
        assert page.get_by_role("heading").inner_text() == "alive"
