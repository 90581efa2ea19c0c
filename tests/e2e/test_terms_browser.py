"""Names and terms in a real browser (Debian's chromium through Playwright), at
1280x800 and on a 390x844 touch phone: the Names page lists what the sample's
entities run found, most mentioned first, filters by kind and by text, and a
name opens search kept to the moments that mention it; search shows the names
in its hits as links, a note when hits are not English, and each such hit's
language. The filter's select, box and button line up (one height, one row);
the top bar fits the phone (44px links, nothing past its edge). Axe finds no
serious or critical violation on either page. The sample is registered for
real; its transcript, entities and languages runs are stored through the real
store, so every expectation is exact."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import expect

from tests.e2e.browser import (
    IPHONE_USER_AGENT,
    PHONE,
    browser_fixture,
    emulated_page,
    sample_server,
    store_transcript,
)
from tests.e2e.layout import boxes, same_height, same_row, tall_enough, top_bar_fits
from tests.factories import payload_for, store_run

LINES = [((300, 1800), "Siemens opened a plant in Munich"), ((2300, 3800), "the Munich plant makes trains"),
         ((4300, 5800), "Guten Morgen aus München, sagt Siemens")]
MENTIONS = [((300, 800), "Siemens", "org"), ((1300, 1800), "Munich", "place"),
            ((2500, 2900), "Munich", "place"), ((4800, 5300), "München", "place"),
            ((5400, 5800), "Siemens", "org")]
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {**PHONE, "user_agent": IPHONE_USER_AGENT},
}


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_transcript(uow, video_id, LINES)
    store_run(uow, video_id, "entity.mention", [s for s, _, _ in MENTIONS], payloads=[
        payload_for("entity.mention", name=n, type=t, text=n, start=0, end=len(n)) for _, n, t in MENTIONS])
    store_run(uow, video_id, "text.language", [s for s, _ in LINES], payloads=[
        payload_for("text.language", language=lang, source="transcript", spoken="en")
        for lang in ("en", "en", "de")])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "terms",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


browser = browser_fixture()


@pytest.fixture(params=["desktop", "phone"])
def page(browser, request):
    with emulated_page(browser, request.node.name, **DEVICES[request.param]) as pg:
        yield pg


def _serious(page) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_names_page_lists_filters_and_opens_a_names_moments(page, server):
    base, _ = server
    page.goto(f"{base}/terms")
    expect(page.get_by_role("heading", name="Names and terms")).to_be_visible()
    rows = page.locator(".terms-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Munich")  # mentioned twice, first; then Siemens twice
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("2")
    expect(page.locator("main p[role=status]")).to_have_text("3 names and terms")
    assert _serious(page) == []
    # the filter's select, box and button are one height, the two fields and their labels side
    # by side; on the desktop the button on their row, on the phone under them, each 44px tall
    phone = page.viewport_size["width"] < 600
    controls = boxes(page, ".terms-controls select, .terms-controls input, .terms-controls button")
    assert [c["tag"] for c in controls] == ["select", "input", "button"]
    same_height(controls)
    same_row(controls[:2])
    same_row(boxes(page, ".terms-controls label"))
    if phone:
        tall_enough(controls)
    else:
        same_row(controls)
    top_bar_fits(page, phone)
    page.get_by_label("Kind").select_option("org")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{base}/terms?type=org&q=")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("organisation")
    page.goto(f"{base}/terms?q=nch")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("München")
    page.goto(f"{base}/terms?type=org")
    page.get_by_role("link", name="Siemens").click()
    expect(page).to_have_url(f"{base}/search?q=Siemens&mode=keyword&entity=siemens")
    expect(page.get_by_text("Only moments that mention “siemens”.")).to_be_visible()
    hits = page.locator("ol.hits > li")
    expect(hits).to_have_count(2)  # the first and the third line say it
    page.goto(f"{base}/terms?q=planet")
    expect(page.locator("main p[role=status]")).to_have_text("No names or terms match.")


def test_search_shows_names_in_hits_and_says_when_hits_are_not_english(page, server):
    base, _ = server
    page.goto(f"{base}/search?q=Munich+OR+M%C3%BCnchen&mode=keyword")
    hits = page.locator("ol.hits > li")
    expect(hits).to_have_count(3)
    facets = page.locator(".search-facets a")
    expect(facets.first).to_have_text("Munich (2)")
    expect(page.locator(".search-note")).to_contain_text("1 hit in German (de)")
    expect(page.locator(".hit-language")).to_have_count(1)
    expect(page.locator(".hit-language")).to_have_text("de")
    assert _serious(page) == []
    page.get_by_role("link", name="Siemens (2)").click()
    expect(hits).to_have_count(2)
    expect(page.get_by_role("link", name="Siemens (2)")).to_have_attribute("aria-current", "true")
    page.get_by_role("link", name="Show every moment").click()
    expect(hits).to_have_count(3)
