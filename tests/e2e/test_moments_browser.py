"""Moments in Debian's chromium (Playwright), at 1280x800 and on a 390x844 touch
phone: b in the player marks a moment (note, tags, a range) into a new
collection, then two more into it; the Bookmarks row shows them; the
collection page reorders them, plays them in order (next/previous moment, and
on by itself at a moment's end), exports the timeline (read back with
OpenTimelineIO) and makes one MP4 through a worker. axe reports nothing
serious or critical, dialog open and on the collection page."""

from __future__ import annotations

import re

import httpx
import opentimelineio as otio
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.browser import PHONE, browser_fixture, open_player, page_fixture, sample_server

DESKTOP = (1280, 800)


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "moments") as (_, url, base, video_id):
        yield url, base, video_id


browser = browser_fixture()
page = page_fixture("page", viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
phone = page_fixture("phone", **PHONE)


def no_serious_violation(page: Page) -> None:
    page.wait_for_timeout(300)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def seek(page: Page, seconds: float) -> None:
    page.evaluate(f"() => {{ const v = document.querySelector('video'); v.pause(); "
                  f"v.currentTime = {seconds}; }}")
    page.wait_for_function(f"() => Math.abs(document.querySelector('video').currentTime - {seconds}) < 0.05")


def mark(page: Page, at_s: float, note: str, collection: str, *, new: bool = False, to_s: float | None = None,
         key: bool = True, check=None) -> None:
    seek(page, at_s)
    if key:
        page.locator("body").focus()
        page.keyboard.press("b")
    else:
        page.get_by_role("button", name="Bookmark", exact=True).click()
    dialog = page.get_by_role("dialog", name=re.compile("^Bookmark"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Note").fill(note)
    dialog.get_by_label("Tags (comma separated)").fill("reel, best")
    if to_s is not None:
        dialog.get_by_label("A range").check()
        dialog.get_by_label("Ends at (seconds)").fill(str(to_s))
    select = dialog.get_by_label("Add to collection")
    expect(select.locator("option", has_text="New collection…")).to_have_count(1)
    if new:
        select.select_option(label="New collection…")
        dialog.get_by_label("New collection's name").fill(collection)
    else:
        select.select_option(label=collection)
    if check is not None:
        check(page)
    dialog.get_by_role("button", name="Save bookmark").click()
    expect(dialog).to_have_count(0)


def status(page: Page):
    return page.locator(".moment-status")


def test_mark_with_b_collect_reorder_play_in_order_and_export(page, server, tmp_path):
    url, base, video_id = server
    open_player(page, base, video_id)
    mark(page, 1.0, "the opening", "Reel", new=True, to_s=2.5, check=no_serious_violation)
    mark(page, 4.0, "the middle", "Reel", to_s=6.0)
    mark(page, 9.0, "the end", "Reel", to_s=10.0)
    expect(page.get_by_role("group", name="Bookmark: Bookmarks")).to_be_visible()
    marks = httpx.get(f"{base}/v1/videos/{video_id}/bookmarks").json()["bookmarks"]
    assert [(b["start_ms"], b["end_ms"], b["note"], b["tags"]) for b in marks] == [
        (1000, 2500, "the opening", ["reel", "best"]), (4000, 6000, "the middle", ["reel", "best"]),
        (9000, 10000, "the end", ["reel", "best"])]

    page.goto(f"{base}/collections")
    page.get_by_role("link", name="Reel").click()
    expect(page.get_by_role("heading", name="Reel", exact=True)).to_be_visible()
    items = page.locator(".collection-item")
    expect(items).to_have_count(3)
    # the last moment first
    page.get_by_role("button", name=re.compile(r"^Move up: 3\.")).click()
    page.get_by_role("button", name=re.compile(r"^Move up: 2\.")).click()
    expect(items.first).to_contain_text("0:09")
    cid = page.url.rsplit("/", 1)[1]
    order = httpx.get(f"{base}/v1/collections/{cid}").json()["items"]
    assert [i["start_ms"] for i in order] == [9000, 1000, 4000]
    no_serious_violation(page)

    # plays in order: 1 of 3 at 9 s; next; previous; and on by itself at a moment's end
    expect(status(page)).to_contain_text("Moment 1 of 3")
    page.wait_for_function("() => Math.abs(document.querySelector('.moment-video').currentTime - 9) < 0.1")
    page.get_by_role("button", name="Next moment").click()
    expect(status(page)).to_contain_text("Moment 2 of 3")
    page.wait_for_function("() => Math.abs(document.querySelector('.moment-video').currentTime - 1) < 0.2")
    page.get_by_role("button", name="Previous moment").click()
    expect(status(page)).to_contain_text("Moment 1 of 3")
    page.get_by_role("button", name="Next moment").click()
    page.evaluate("() => { const v = document.querySelector('.moment-video'); v.muted = true; "
                  "v.currentTime = 2.3; v.play(); }")
    expect(status(page)).to_contain_text("Moment 3 of 3", timeout=15_000)
    page.wait_for_function("() => document.querySelector('.moment-video').currentTime >= 3.9")
    # one list of the moments: each plays from it, the one playing marked
    expect(page.locator(".moment-list")).to_have_count(0)
    page.get_by_role("button", name=re.compile(r"^Play: 2\.")).click()
    expect(status(page)).to_contain_text("Moment 2 of 3")
    expect(items.nth(1)).to_have_attribute("aria-current", "true")
    expect(items.nth(2)).not_to_have_attribute("aria-current", "true")

    # export: the editing timeline, read back with OpenTimelineIO's own reader
    with page.expect_download() as download:
        page.get_by_role("link", name="OpenTimelineIO (.otio)").click()
    saved = tmp_path / "reel.otio"
    download.value.save_as(saved)
    clips = list(otio.adapters.read_from_file(str(saved)).video_tracks()[0].find_clips())
    assert [round(c.source_range.start_time.to_seconds(), 2) for c in clips] == [9.0, 1.0, 4.0]
    assert all(c.media_reference.target_url.endswith("/sample.mp4") for c in clips)

    # one MP4, made by a worker while the page shows its progress
    page.get_by_role("button", name="Make one MP4").click()
    expect(page.get_by_text("Waiting for a worker…")).to_be_visible()
    from eioku_ml.worker.daemon import run_pool

    assert run_pool(url, concurrency=1, queues=["compilations"], wait=False, forward_signals=False) == 0
    expect(page.get_by_role("link", name=re.compile("^download"))).to_be_visible(timeout=30_000)


def test_on_a_phone_bookmark_by_button_and_step_through_a_collection(phone, server):
    _, base, video_id = server
    open_player(phone, base, video_id)
    mark(phone, 3.0, "phone mark", "On the phone", new=True, key=False)
    listed = httpx.get(f"{base}/v1/collections").json()["collections"]
    made = [c for c in listed if c["name"] == "On the phone"]
    assert len(made) == 1 and made[0]["item_count"] == 1
    cid = made[0]["collection_id"]
    httpx.post(f"{base}/v1/collections/{cid}/items",
               json={"moments": [{"video_id": video_id, "start_ms": 7000, "end_ms": 8000}]})
    phone.goto(f"{base}/collections/{cid}")
    expect(phone.locator(".collection-item")).to_have_count(2)
    phone.get_by_role("button", name=re.compile(r"^Move down: 1\.")).tap()
    expect(phone.locator(".collection-item").first).to_contain_text("0:07")
    phone.get_by_role("button", name="Next moment").tap()
    expect(status(phone)).to_contain_text("Moment 2 of 2")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the collection page scrolls sideways on a phone ({width}px)"
    no_serious_violation(phone)


def test_a_share_link_plays_its_moment_and_an_altered_one_is_refused(page, server):
    _, base, video_id = server
    made = httpx.post(f"{base}/v1/shares", json={"video_id": video_id, "start_ms": 6000, "end_ms": 8000})
    assert made.status_code == 201, made.text
    page.goto(base + made.json()["url"])
    expect(page.get_by_role("heading", name="sample.mp4")).to_be_visible()
    expect(status(page)).to_contain_text("Moment 1 of 1")
    page.wait_for_function("() => Math.abs(document.querySelector('.moment-video').currentTime - 6) < 0.2")
    no_serious_violation(page)
    page.goto(base + made.json()["url"][:-3] + "abc")
    expect(page.get_by_role("heading", name="This link does not open here")).to_be_visible()


def test_a_combined_query_is_saved_as_a_collection_from_its_results(page, server):
    _, base, video_id = server
    r = httpx.post(f"{base}/v1/videos/{video_id}/bookmarks",
                   json={"start_ms": 2000, "end_ms": 3000, "note": "a toast to the host"})
    assert r.status_code == 201, r.text
    page.goto(f"{base}/search?q=bookmark:toast")
    save = page.get_by_role("button", name="Save as a collection")
    expect(save).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Bookmark sample.mp4 at 0:02"))).to_be_visible()
    page.once("dialog", lambda d: d.accept("Toasts"))
    save.click()
    expect(page.get_by_role("heading", name="Toasts", exact=True)).to_be_visible()
    expect(page.get_by_text("saved from the query bookmark:toast")).to_be_visible()
    expect(page.locator(".collection-item")).to_have_count(1)
    expect(page.get_by_role("button", name="Refresh from the query")).to_be_visible()
