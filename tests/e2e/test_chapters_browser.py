"""Chapters and the summary card in the player, in Debian's chromium
(Playwright), at 1280x800 and on a 390x844 touch phone: the seek bar has a
mark at each chapter start and shows the chapter's title where the pointer
hovers, the chapters track gives the titles, the chapter list goes to a
chapter and marks the one playing, and the summary card shows the sections
that have data (and no others); axe finds nothing serious. The sample is
registered and its metadata analysed for real; chapters, speaker turns, names
and languages are stored through the real store, so every expectation is exact."""

from __future__ import annotations

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import PHONE, browser_fixture, open_player, page_fixture, sample_server, video_time
from tests.factories import payload_for, store_run

LONG_TITLE = "A red car parked in a narrow street, old houses behind it"  # 56 characters: titles go up to 60
CHAPTERS = [(0, 4000, "Invoice, payment"), (4000, 8000, "Office visit"), (8000, 12_000, LONG_TITLE)]
TURNS = [(0, 5000, "Speaker 1"), (5000, 9000, "Speaker 2")]
NAMES = [("Siemens", "org"), ("Siemens", "org"), ("Berlin", "place")]


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_run(uow, video_id, "chapter", [(s, e) for s, e, _ in CHAPTERS], payloads=[
        payload_for("chapter", i, title=t, title_source="shots" if i == 2 else "speech")
        for i, (_, _, t) in enumerate(CHAPTERS)])
    store_run(uow, video_id, "speaker.turn", [(s, e) for s, e, _ in TURNS],
              payloads=[payload_for("speaker.turn", i, speaker=w) for i, (_, _, w) in enumerate(TURNS)])
    store_run(uow, video_id, "entity.mention", [(1000 * i + 500, 1000 * i + 900) for i in range(len(NAMES))],
              payloads=[payload_for("entity.mention", i, name=n, type=t, text=n)
                        for i, (n, t) in enumerate(NAMES)])
    store_run(uow, video_id, "text.language", [(0, 3000)], payloads=[payload_for("text.language", 0)])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "chapters",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


browser = browser_fixture()
page = page_fixture("page", viewport={"width": 1280, "height": 800})
phone = page_fixture("phone", **PHONE)  # a 390x844 touch phone


def no_serious_violation(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def within(inner, outer) -> None:
    """``inner`` lies inside ``outer``'s left and right edges (nothing pokes out sideways)."""
    a, b = inner.bounding_box(), outer.bounding_box()
    assert b["x"] - 1 <= a["x"] and a["x"] + a["width"] <= b["x"] + b["width"] + 1, (a, b)


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px screen"


def chapter_buttons(page: Page):
    return page.get_by_role("region", name="Chapters").get_by_role("button")


def test_seek_bar_marks_hover_title_track_and_list(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    marks = page.locator(".seek-mark")
    expect(marks).to_have_count(2)  # a mark at each start but the first
    titles = [marks.nth(i).get_attribute("data-title") for i in range(2)]
    assert titles == ["Office visit", LONG_TITLE]
    # hovering the seek bar over the second chapter shows its title in the preview
    seek = page.locator("input.seek")
    box = seek.bounding_box()
    duration = page.evaluate("() => document.querySelector('video').duration")
    page.mouse.move(box["x"] + box["width"] * 6.0 / duration, box["y"] + box["height"] / 2)
    expect(page.locator(".seek-preview .seek-chapter")).to_have_text("Office visit")
    # at the very end, the last chapter's long title keeps the preview inside the seek bar
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    expect(page.locator(".seek-preview .seek-chapter")).to_have_text(LONG_TITLE)
    within(page.locator(".seek-preview"), seek)
    within(page.locator(".seek-preview .seek-chapter"), page.locator(".seek-preview"))
    # the chapters track has the titles, not scenes
    cues = page.evaluate("""async () => {
        const track = [...document.querySelector('video').textTracks].find((t) => t.kind === 'chapters');
        track.mode = 'hidden';
        for (let i = 0; i < 50 && !(track.cues && track.cues.length); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        return [track.label, [...track.cues].map((c) => [c.startTime, c.text])];
    }""")
    assert cues == ["Chapters", [[0, "Invoice, payment"], [4, "Office visit"], [8, LONG_TITLE]]]
    # the chapter list goes to a chapter and marks it as the one playing
    buttons = chapter_buttons(page)
    expect(buttons).to_have_count(3)
    expect(buttons.nth(1)).to_contain_text("0:04")
    expect(buttons.nth(1)).to_contain_text("Office visit")
    expect(buttons.nth(0)).to_have_attribute("aria-current", "true")
    buttons.nth(2).click()
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 8) < 0.05")
    expect(buttons.nth(2)).to_have_attribute("aria-current", "true")
    expect(buttons.nth(0)).not_to_have_attribute("aria-current", "true")
    # the timeline has a chapter row, and n walks it like any row
    expect(page.get_by_role("group", name="Chapter: Chapters")).to_have_count(1)
    no_serious_violation(page)


def test_summary_card_shows_only_what_was_found(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    card = page.get_by_role("region", name="Summary")
    expect(card).to_be_visible()
    sections = card.locator(".sum-section")
    expect(sections).to_have_count(4)
    assert [sections.nth(i).get_attribute("data-section") for i in range(4)] == [
        "chapters", "speakers", "names", "languages"]
    expect(card.locator('[data-section="chapters"]')).to_contain_text(
        f"3 chapters: Invoice, payment · Office visit · {LONG_TITLE}")
    expect(card.locator('[data-section="speakers"] li').nth(0)).to_contain_text(
        "Speaker 1 talks 0:05 (56 % of the talk) in")
    # a speaker is a button to its first turn
    first = page.request.get(f"{base}/v1/videos/{video_id}/summary").json()["speakers"][0]["first_ms"]
    card.locator('[data-section="speakers"]').get_by_role("button", name="Speaker 1").click()
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('video').currentTime - {first / 1000}) < 0.05")
    names = card.locator('[data-section="names"] li')
    expect(names.nth(0)).to_contain_text("Siemens organisation · 2×")
    expect(names.nth(1)).to_contain_text("Berlin place · 1×")
    expect(card.locator('[data-section="languages"]')).to_contain_text("English on screen · 1 line")
    # a name is a button to its first mention
    card.get_by_role("button", name="Berlin").click()
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 2.5) < 0.05")
    no_serious_violation(page)


def test_on_a_phone_the_list_and_card_work_by_touch(server, phone):
    base, video_id = server
    open_player(phone, base, video_id)
    buttons = chapter_buttons(phone)
    expect(buttons).to_have_count(3)
    buttons.nth(1).scroll_into_view_if_needed()
    buttons.nth(1).tap()
    phone.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 4) < 0.05")
    assert abs(video_time(phone) - 4) < 0.05
    expect(buttons.nth(1)).to_have_attribute("aria-current", "true")
    height = buttons.nth(1).bounding_box()["height"]
    assert height >= 44, height  # a finger's target
    expect(phone.get_by_role("region", name="Summary")).to_contain_text(re.compile("Siemens"))
    fits_the_screen(phone)
    # the long last title over a 390 px seek bar: shortened, inside the bar, no sideways scroll
    seek = phone.locator("input.seek")
    seek.scroll_into_view_if_needed()
    box = seek.bounding_box()
    phone.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    expect(phone.locator(".seek-preview .seek-chapter")).to_have_text(LONG_TITLE)
    within(phone.locator(".seek-preview"), seek)
    within(phone.locator(".seek-preview .seek-chapter"), phone.locator(".seek-preview"))
    fits_the_screen(phone)
    no_serious_violation(phone)
