"""The library page's folders section in a real browser (Debian's chromium):
add a folder, follow its first scan, see the videos arrive and a deleted
file's video greyed; no serious accessibility violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.config import Settings
from playwright.sync_api import expect

from tests.e2e.browser import checked_page, chromium, live_server
from tests.integration.library.conftest import make_media


@pytest.fixture
def browser_page(request):
    with chromium() as browser, checked_page(browser, request.node.name, 1300, 900) as page:
        yield page


def test_adding_a_folder_from_the_page(db_url, tmp_path, browser_page):
    root = tmp_path / "media"
    folder = root / "Holidays"
    a, _ = make_media(folder, ["beach.mp4", "2024/hike.mp4"])
    settings = Settings(data_dir=tmp_path / "data", media_roots=[root], database_url=db_url,
                        library_settle_s=0.3, library_lease_s=3, analyzers=["metadata"])
    page = browser_page
    with live_server(settings) as base:
        page.goto(base + "/")
        expect(page.get_by_role("heading", name="Folders")).to_be_visible()
        page.get_by_text("Add a folder").click()
        page.get_by_label("Folder inside a media root").fill(str(folder))
        page.get_by_role("button", name="Add folder").click()
        row = page.locator(".folder", has_text="Holidays")
        expect(row.locator(".folder-counts")).to_have_text("2 files · 0 analysed · 2 queued", timeout=20_000)
        expect(row.locator(".folder-scan")).to_have_text("Up to date, watched")
        expect(page.locator(".card")).to_have_count(2, timeout=10_000)
        a.unlink()
        expect(row.locator(".folder-counts")).to_contain_text("1 missing", timeout=20_000)
        expect(page.locator(".card.missing")).to_have_count(1, timeout=15_000)
        expect(page.locator(".card.missing .card-status")).to_have_text(
            "File missing: kept with its analysis until purged")
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, [v["id"] for v in serious]
