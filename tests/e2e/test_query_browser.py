"""Combined queries in the search box, in a real browser at desktop size and on
a touch phone: conditions shown as chips, each removable, the moments the API
answers (each opening the player at its start), a query that cannot be read
marked where, plain search untouched; axe on each page."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, quote, urlparse

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    PHONE,
    browser_fixture,
    emulated_page,
    sample_server,
    store_transcript,
    video_time,
    wait_video_ready,
)
from tests.factories import payload_for, store_run

SIZES = {"desktop": {"viewport": {"width": 1280, "height": 800}}, "phone": PHONE}
LINES = [((500, 2500), "Please pay the budget before Friday"), ((6000, 8000), "Welcome to the beach")]
DOGS = [(1000, 1400), (1500, 1900), (7000, 7400), (7500, 7900)]  # two appearances of a dog
QUERY = 'object:dog AND place:beach AND said:"welcome"'


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_transcript(uow, video_id, LINES)
    store_run(uow, video_id, "object.detection", DOGS,
              payloads=[payload_for("object.detection", i, label="dog") for i in range(len(DOGS))])
    store_run(uow, video_id, "place.classification", [(5000, 9000)],
              payloads=[payload_for("place.classification", label="beach")])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "query", store_findings) as found:
        yield found[2], found[3]


browser = browser_fixture()


@pytest.fixture(params=list(SIZES))
def page(browser, request):
    with emulated_page(browser, request.node.name, **SIZES[request.param]) as pg:
        yield pg


def api_moments(base: str, q: str) -> list[tuple[str, int]]:
    r = httpx.post(f"{base}/v1/query", json={"q": q}, timeout=30)
    assert r.status_code == 200, r.text
    return [(m["video_id"], m["start_ms"]) for m in r.json()["moments"]]


def page_moments(page: Page) -> list[tuple[str, int]]:
    out = []
    for href in page.locator("ol.moments a.hit-link").evaluate_all("links => links.map(a => a.href)"):
        url = urlparse(href)
        out.append((url.path.rsplit("/", 1)[1], round(float(parse_qs(url.query)["t"][0]) * 1000)))
    return out


def no_serious_violation(page: Page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def test_conditions_are_chips_and_removing_one_widens_the_answer(server, page):
    base, video_id = server
    page.goto(base + "/")
    box = page.get_by_label("Search the library")
    box.fill(QUERY)
    box.press("Enter")
    expect(page.get_by_role("heading", name="Moments")).to_be_visible()
    chips = page.get_by_role("list", name="Conditions").get_by_role("listitem")
    expect(chips).to_have_count(3)
    expect(chips.nth(2)).to_contain_text("Said: “welcome”")
    expect(page.locator("main").get_by_role("status")).to_have_text("1 moment")
    assert page_moments(page) == api_moments(base, QUERY) == [(video_id, 7000)]
    no_serious_violation(page)
    page.get_by_role("button", name="Remove Said: “welcome”").click()
    expect(chips).to_have_count(2)
    assert parse_qs(urlparse(page.url).query)["q"] == ["object:dog AND place:beach"]
    expect(page.locator("main").get_by_role("status")).to_have_text("1 moment")
    assert page_moments(page) == api_moments(base, "object:dog AND place:beach") == [(video_id, 7000)]
    page.get_by_role("button", name="Remove Place: beach").click()
    expect(chips).to_have_count(1)
    expect(page.locator("main").get_by_role("status")).to_have_text("2 moments")
    assert page_moments(page) == api_moments(base, "object:dog")
    assert sorted(page_moments(page)) == [(video_id, 1000), (video_id, 7000)]
    # a moment opens the player at its start
    page.locator("ol.moments a.hit-link").first.click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    wait_video_ready(page)
    assert abs(video_time(page) - page_moments_start(page.url)) < 0.5


def page_moments_start(url: str) -> float:
    return float(parse_qs(urlparse(url).query)["t"][0])


def test_time_and_negation_and_a_query_that_cannot_be_read(server, page):
    base, video_id = server
    q = "said:* AND NOT object:*"
    page.goto(f"{base}/search?q={quote(q)}")
    # speech less the dog's two appearances (1.0-1.9 s, 7.0-7.9 s: samples 100 ms apart merged)
    expect(page.locator("main").get_by_role("status")).to_have_text("4 moments")
    assert sorted(page_moments(page)) == sorted(api_moments(base, q))
    page.get_by_label("Order").select_option("time")
    expect(page.locator("main").get_by_role("status")).to_have_text("4 moments")
    assert page_moments(page) == [(video_id, 500), (video_id, 1900), (video_id, 6000), (video_id, 7900)]
    page.goto(f"{base}/search?q=object:dog%20AND%20budget")
    alert = page.locator("main").get_by_role("alert")
    expect(alert).to_contain_text("unexpected 'budget'")
    expect(page.locator(".query-where mark")).to_have_text("budget")
    no_serious_violation(page)


def test_plain_search_is_still_plain(server, page):
    base, _ = server
    page.goto(f"{base}/search?q=welcome%20beach&mode=keyword")
    expect(page.get_by_role("heading", name="Search: welcome beach")).to_be_visible()
    expect(page.get_by_role("list", name="Conditions")).to_have_count(0)
