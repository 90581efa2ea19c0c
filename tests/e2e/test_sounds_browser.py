"""Skip intro / Skip credits and the sounds row in the player, in Debian's
chromium (Playwright), at 1280x800 and on a 390x844 touch phone: the button
shows only while the playhead is inside an intro or credits, says where it
goes, is pressed by click, keyboard (Tab, Enter) and tap, and lands at the
segment's end; the timeline has a Sounds and a Segments row, each span marked
with what it is; axe finds nothing serious. The sample is registered and its
metadata analysed for real; sounds and segments are stored through the real
store."""

from __future__ import annotations

import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import PHONE, browser_fixture, open_player, page_fixture, sample_server, video_time
from tests.factories import payload_for, store_run

SOUNDS = [(0, 4000, "speech"), (4000, 9000, "music"), (9000, 12_000, "silence")]
SEGMENTS = [(1000, 5000, "intro"), (6000, 6500, "black"), (8000, 12_000, "credits")]


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_run(uow, video_id, "audio.event", [(0, 12_000)] + [(s, e) for s, e, _ in SOUNDS], payloads=[
        payload_for("audio.event", label="programme", confidence=1.0, loudness_lufs=-20.0)] + [
        payload_for("audio.event", i, label=label) for i, (_, _, label) in enumerate(SOUNDS)])
    store_run(uow, video_id, "segment", [(s, e) for s, e, _ in SEGMENTS], payloads=[
        payload_for("segment", i, type=kind, shared_with=2 if kind == "intro" else None)
        for i, (_, _, kind) in enumerate(SEGMENTS)])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "sounds",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


browser = browser_fixture()
page = page_fixture("page", viewport={"width": 1280, "height": 800})
phone = page_fixture("phone", **PHONE)  # a 390x844 touch phone


def seek(page: Page, seconds: float) -> None:
    page.evaluate(f"() => {{ const v = document.querySelector('video'); v.pause(); "
                  f"v.currentTime = {seconds}; }}")
    page.wait_for_function(f"() => Math.abs(document.querySelector('video').currentTime - {seconds}) < 0.05")


def at(page: Page, seconds: float) -> None:
    page.wait_for_function(f"() => Math.abs(document.querySelector('video').currentTime - {seconds}) < 0.1")


def no_serious_violation(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_skip_intro_and_credits_by_click_and_keyboard(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    skip = page.locator("button.skip-segment")
    expect(skip).to_be_hidden()  # at 0: before the intro
    seek(page, 2)
    expect(skip).to_be_visible()
    expect(skip).to_have_text("Skip intro")
    expect(skip).to_have_attribute("aria-label", "Skip intro: go to 5 seconds")
    expect(page.get_by_role("status").filter(has_text="Skip intro available")).to_have_count(1)
    assert page.evaluate("() => document.activeElement?.className") != "skip-segment"  # focus left alone
    no_serious_violation(page)
    skip.click()
    at(page, 5)
    expect(skip).to_be_hidden()
    seek(page, 6.2)  # black frames are not offered for skipping
    expect(skip).to_be_hidden()
    seek(page, 9)
    expect(skip).to_have_text("Skip credits")
    skip.focus()
    page.keyboard.press("Enter")
    at(page, 12)
    assert video_time(page) >= 11.9
    # the timeline: a Sounds row and a Segments row, each span saying what it is
    expect(page.get_by_role("group", name="Sounds: Sounds")).to_have_count(1)
    labels = page.locator(".tl-row.kind-sound .seg").evaluate_all("els => els.map((e) => e.dataset.label)")
    assert labels == ["speech", "music", "silence"]
    kinds = page.locator(".tl-row.kind-segment .seg").evaluate_all("els => els.map((e) => e.dataset.label)")
    assert kinds == ["intro", "black", "credits"]
    assert page.locator(".tl-row.kind-transcript .seg[data-label]").count() == 0
    # the summary names each segment in words, a half-second one by one time (not 0:06–0:06);
    # insights, which has no sounds group, does not say nothing was found beside it
    segments = page.get_by_role("region", name="Summary").locator('[data-section="segments"] li')
    expect(segments).to_have_text(["intro 0:01–0:05", "black screen 0:06", "credits 0:08–0:12"])
    expect(page.get_by_role("region", name="Insights")).not_to_contain_text("Nothing found")


def test_skip_intro_by_tap_on_a_phone(server, phone):
    base, video_id = server
    open_player(phone, base, video_id)
    seek(phone, 1.5)
    skip = phone.locator("button.skip-segment")
    expect(skip).to_be_visible()
    box = skip.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a finger's target
    video = phone.locator("video").bounding_box()
    assert video["x"] <= box["x"] and box["x"] + box["width"] <= video["x"] + video["width"] + 1
    width = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px screen"
    no_serious_violation(phone)
    skip.tap()
    at(phone, 5)
    expect(skip).to_be_hidden()
