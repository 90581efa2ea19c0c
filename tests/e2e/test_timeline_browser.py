"""The timeline and the insights beside the video, in Debian's chromium (Playwright),
at desktop size (1280x800, mouse) and on a 390x844 touch phone (issue 27, items 2 and 3
and "insights beside the video").

The sample is registered and its metadata analysed for real; what was "found" in it is
stored through the real store (known spans: a 0.1 s cat, five on-screen texts on one
span, a person twice), so every expectation is exact."""

from __future__ import annotations

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    PHONE,
    browser_fixture,
    open_player,
    page_fixture,
    sample_server,
    store_transcript,
    video_time,
)
from tests.factories import payload_for, store_run

DESKTOP = (1280, 800)
SCENES = [(0, 4000), (4000, 8000), (8000, 12000)]
PERSON = [(1000, 3000), (9000, 11000)]  # person c1: 4 s of 12, twice
CAT = (6000, 6100)  # a tenth of a second: a sliver at any width
OBJECTS = {"dog": [(1000, 3900)], "car": [(500, 2500)], "bus": [(8500, 10000)], "cup": [(3000, 4000)],
           "tree": [(4200, 5000)], "bird": [(10000, 10500)], "cat": [CAT]}
TEXTS = [f"INVOICE {i}" for i in range(1, 6)]  # five on-screen texts on one span
TEXT_SPAN = (5000, 7000)
LINES = [((500, 2500), "Please pay the invoice before Friday"), ((3000, 5000), "See you at the office")]


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "timeline",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_run(uow, video_id, "scene", SCENES,
              payloads=[payload_for("scene", i) for i in range(len(SCENES))])
    store_run(uow, video_id, "face.detection", PERSON,
              payloads=[payload_for("face.detection", i, cluster_id="c1") for i in range(2)])
    spans = [(s, label) for label, found in OBJECTS.items() for s in found]
    store_run(uow, video_id, "object.detection", [s for s, _ in spans],
              payloads=[payload_for("object.detection", i, label=label, confidence=0.9)
                        for i, (_, label) in enumerate(spans)])
    store_run(uow, video_id, "ocr.text", [TEXT_SPAN] * len(TEXTS),
              payloads=[payload_for("ocr.text", i, text=t) for i, t in enumerate(TEXTS)])
    store_transcript(uow, video_id, LINES)


browser = browser_fixture()
page = page_fixture("page", viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
phone = page_fixture("phone", **PHONE)  # a 390x844 touch phone


def wait_time(page: Page, expected_s: float, tol: float = 0.1) -> float:
    page.wait_for_function(
        "([e, t]) => Math.abs(document.querySelector('video').currentTime - e) <= t", arg=[expected_s, tol])
    return video_time(page)


def row_point(page: Page, row: str, ms: float, lane_y: float = 0.5) -> tuple[float, float]:
    """Where on screen a time is in a row (x), and a height in it (fraction of the row)."""
    page.locator(f'.tl-row[data-row="{row}"]').scroll_into_view_if_needed()
    inner = page.locator(".tl-inner").bounding_box()
    box = page.locator(f'.tl-row[data-row="{row}"]').bounding_box()
    assert inner and box
    return inner["x"] + inner["width"] * ms / 12_000, box["y"] + box["height"] * lane_y


def wait_for_thumbnails(page: Page) -> None:
    page.wait_for_function("() => [...document.querySelector('video').textTracks]"
                           ".some(t => t.kind === 'metadata' && t.cues && t.cues.length > 0)")


def test_click_seeks_where_it_lands_and_drag_scrubs_with_preview(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    wait_for_thumbnails(page)
    x, y = row_point(page, "scene:", 6000)  # inside the scene that starts at 4 s
    page.mouse.click(x, y)
    wait_time(page, 6.0, tol=0.15)  # not the scene's start (4 s)
    # a drag scrubs: the video follows the pointer, the preview shows the picture there
    x0, y0 = row_point(page, "scene:", 2000)
    x1, _ = row_point(page, "scene:", 9000)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * i / 20, y0)
    wait_time(page, 5.5, tol=0.15)
    expect(page.locator(".tl-tooltip .tile")).to_be_visible()
    expect(page.locator(".tl-tooltip .tl-time")).to_have_text(re.compile(r"0:0[56]\.\d"))
    page.mouse.move(x1, y0)
    page.mouse.up()
    wait_time(page, 9.0, tol=0.15)


def test_hover_names_the_hit_and_double_click_goes_to_its_start(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    # the 0.1 s cat is a sliver, but 24 px of row answer to the pointer, centred on it
    x, y = row_point(page, "object:cat", sum(CAT) / 2)
    width = page.locator('.tl-row[data-row="object:cat"] .seg').bounding_box()["width"]
    assert width < 6
    page.mouse.move(x + 10, y)
    tooltip = page.locator(".tl-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("cat · 0:06.0–0:06.1")
    expect(tooltip).to_contain_text("Double-click: go to its start")
    page.mouse.dblclick(x + 10, y)
    wait_time(page, 6.0, tol=0.02)
    expect(page.locator('.tl-row[data-row="object:cat"] .seg.current')).to_have_count(1)
    # five texts on one span: stacked in lanes, and every one is named under the pointer
    ocr = page.locator('.tl-row[data-row="ocr:"]')
    scene_height = page.locator('.tl-row[data-row="scene:"]').bounding_box()["height"]
    assert ocr.bounding_box()["height"] > 3 * scene_height
    assert sorted(set(ocr.locator(".seg").evaluate_all("els => els.map(e => e.dataset.lane)"))) == \
        ["0", "1", "2", "3"]
    x, y = row_point(page, "ocr:", 6000, lane_y=0.2)
    page.mouse.move(x, y)
    for text in TEXTS:
        expect(tooltip).to_contain_text(f"“{text}”")


def test_zoom_keeps_the_playhead_in_view(server, page):
    base, video_id = server
    open_player(page, base, video_id, "?t=10.5")
    wait_time(page, 10.5)
    for _ in range(4):
        page.get_by_role("button", name="Zoom in").click()
    view = page.locator(".tl-scroll").bounding_box()
    head = page.locator(".tl-playhead").bounding_box()
    assert view["x"] <= head["x"] <= view["x"] + view["width"], (view, head)


def test_wide_screen_shows_picture_timeline_and_insights_without_scrolling(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    picture = page.locator("video").bounding_box()
    scenes = page.locator('.tl-row[data-row="scene:"]').bounding_box()
    insights = page.get_by_role("heading", name="Insights").bounding_box()
    people = page.locator('.ins-group[data-kind="face"] .ins-entry').first.bounding_box()
    assert picture["y"] + picture["height"] <= scenes["y"]  # the timeline under the picture
    assert scenes["y"] + scenes["height"] <= DESKTOP[1]
    assert insights["x"] >= picture["x"] + picture["width"]  # the insights beside it
    assert people["y"] + people["height"] <= DESKTOP[1]
    assert page.evaluate("() => window.scrollY") == 0


def test_insights_share_appearances_groups_and_show_all(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    person = page.locator('.ins-group[data-kind="face"] .ins-entry').first
    expect(person).to_contain_text("c1")
    expect(person).to_contain_text("33 % of the video · 2 appearances")
    # five texts on one 2 s span: 17 % (overlaps counted once, not 83 %), 5 appearances
    expect(page.locator('.ins-group[data-kind="ocr"] .ins-stats')).to_have_text(
        "17 % of the video · 5 appearances")
    objects = page.locator('.ins-group[data-kind="object"]')
    names = objects.locator(".ins-name")
    expect(names).to_have_count(5)  # the top 5 by screen time
    expect(names.first).to_have_text("dog")
    objects.get_by_role("button", name="Show all 7 objects").click()
    expect(names).to_have_count(7)
    expect(objects.locator(".ins-entry").last).to_contain_text("< 1 % of the video · 1 appearance")
    # a person's appearances go to their start; the name selects the timeline row
    person.get_by_text("Appearances of c1").click()
    person.get_by_role("button", name="0:09–0:11").click()
    wait_time(page, 9.0, tol=0.02)
    person.get_by_role("button", name="c1").click()
    expect(page.locator(".selected-row")).to_have_text("c1")
    expect(person.get_by_role("button", name="c1")).to_have_attribute("aria-pressed", "true")
    # a collapsed group stays collapsed on the next visit
    objects.locator("summary").first.click()
    expect(names.first).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", name="Insights")).to_be_visible()
    expect(page.locator('.ins-group[data-kind="object"]')).not_to_have_attribute("open", "")
    expect(page.locator('.ins-group[data-kind="face"]')).to_have_attribute("open", "")


def axe_serious(page: Page) -> list:
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def test_desktop_player_page_is_accessible(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    page.locator('.ins-group[data-kind="face"] summary', has_text="Appearances").first.click()
    assert not axe_serious(page)


def touch(page: Page, kind: str, x: float, y: float, cdp) -> None:
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_phone_fits_and_bars_get_the_width(server, phone):
    base, video_id = server
    open_player(phone, base, video_id)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    timeline = phone.locator(".timeline").bounding_box()
    bars = phone.locator('.tl-row[data-row="scene:"]').bounding_box()
    assert bars["width"] >= 0.85 * timeline["width"]
    # the label sits above its bars
    label = phone.get_by_role("button", name="Person: c1").bounding_box()
    row = phone.locator('.tl-row[data-row="face:c1"]').bounding_box()
    first_bar = phone.locator('.tl-row[data-row="face:c1"] .seg').first.bounding_box()
    assert row["y"] <= label["y"] and label["y"] + label["height"] <= first_bar["y"] + 1
    assert not axe_serious(phone)


def test_phone_tap_seeks_and_a_tapped_sliver_offers_its_start(server, phone):
    base, video_id = server
    open_player(phone, base, video_id)
    tooltip = phone.locator(".tl-tooltip")
    x, y = row_point(phone, "object:cat", 3000, lane_y=0.8)
    phone.touchscreen.tap(x, y)
    wait_time(phone, 3.0, tol=0.2)
    expect(tooltip).to_be_hidden()  # nothing under the finger: a seek, and no tooltip
    x, y = row_point(phone, "scene:", 5000, lane_y=0.8)
    phone.touchscreen.tap(x, y)
    wait_time(phone, 5.0, tol=0.2)  # a tap on a scene seeks where it lands...
    expect(tooltip.get_by_role("button", name=re.compile("Go to Scenes · 0:04.0"))).to_be_visible()
    expect(tooltip).to_be_hidden(timeout=6000)  # ...and what it offered goes by itself
    x, y = row_point(phone, "object:cat", sum(CAT) / 2, lane_y=0.8)
    phone.touchscreen.tap(x - 9, y)  # 9 px beside a sliver under 3 px wide
    go = tooltip.get_by_role("button", name=re.compile(r"Go to cat · 0:06\.0"))
    expect(go).to_be_visible()
    go.click()
    wait_time(phone, 6.0, tol=0.02)
    expect(tooltip).to_be_hidden()
    phone.wait_for_timeout(600)  # not a double tap (that goes to the start at once)
    phone.touchscreen.tap(x - 9, y)
    expect(go).to_be_visible()
    phone.get_by_role("heading", name="Insights").tap()  # a tap elsewhere dismisses it
    expect(tooltip).to_be_hidden()


def test_phone_drag_scrubs_with_the_preview(server, phone):
    base, video_id = server
    open_player(phone, base, video_id)
    wait_for_thumbnails(phone)
    cdp = phone.context.new_cdp_session(phone)
    x0, y = row_point(phone, "scene:", 1000, lane_y=0.8)
    x1, _ = row_point(phone, "scene:", 7000, lane_y=0.8)
    touch(phone, "touchStart", x0, y, cdp)
    for i in range(1, 9):
        touch(phone, "touchMove", x0 + (x1 - x0) * i / 10, y, cdp)
    expect(phone.locator(".tl-tooltip .tile")).to_be_visible()
    wait_time(phone, 5.8, tol=0.2)
    touch(phone, "touchMove", x1, y, cdp)
    touch(phone, "touchEnd", x1, y, cdp)
    wait_time(phone, 7.0, tol=0.2)
    expect(phone.locator(".tl-tooltip")).to_be_hidden()



