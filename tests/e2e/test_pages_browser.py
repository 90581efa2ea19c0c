"""The person page, the library page and the player's Export panel in a real
browser (Debian's chromium through Playwright), at desktop size (1280x800)
and on a 390x844 touch phone; screenshots saved; axe finds no serious or
critical violation. The server holds a seeded library (no models needed):
Alice in two videos, Bob in one, a video waiting for analysis, and enough
others to need a second page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.config import Settings
from eioku.domain.enums import RunStatus
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.e2e.browser import (
    IPHONE_USER_AGENT,
    PHONE,
    SCREENSHOTS,
    browser_fixture,
    emulated_page,
    live_server,
    unit_of_work,
)
from tests.e2e.layout import boxes, form_rows, same_height, same_row, tall_enough, top_bar_fits
from tests.factories import add_run, add_video, payload_for, store_run
from tests.media import SAMPLE, copy_with_suffix

FILLERS = 104  # with the four named videos: 108, two pages of 100
CLIP_MAX_S = 5
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {**PHONE, "user_agent": IPHONE_USER_AGENT},
}


def seed(settings: Settings) -> dict[str, str]:
    with unit_of_work(settings) as uow:
        alice, bob = (next(iter(uow.faces.assign("m", {"c": [[float(i * 10), 0.0]]}, 0.5).values()))
                      for i in range(2))
        uow.people.rename(alice, "Alice")
        uow.people.rename(bob, "Bob")
        holiday = add_video(uow, path=str(SAMPLE.resolve()), filename="holiday.mp4", duration_ms=12_000,
                            recorded_at=datetime(2024, 5, 1, tzinfo=UTC))
        beach = add_video(uow, path=str(SAMPLE.resolve()), filename="beach day.mp4", duration_ms=12_000,
                          recorded_at=datetime(2024, 6, 1, tzinfo=UTC))
        waiting = add_video(uow, path=str(SAMPLE.resolve()), filename="waiting.mp4", duration_ms=12_000,
                            recorded_at=datetime(2024, 7, 1, tzinfo=UTC))
        bbox = {"x": 100.0, "y": 60.0, "w": 120.0, "h": 120.0}
        face = lambda who: payload_for("face.detection", cluster_id=who, bbox=bbox)  # noqa: E731
        store_run(uow, holiday.video_id, "face.detection", [(1000, 2500), (9500, 10_500), (6000, 7000)],
                  payloads=[face(alice), face(bob), face(alice)])
        store_run(uow, beach.video_id, "face.detection", [(2000, 3000)], payloads=[face(alice)])
        store_run(uow, holiday.video_id, "transcript.segment", [(0, 2000)])
        add_run(uow, waiting.video_id, "scene", status=RunStatus.QUEUED)
        uow.session.execute(text(
            "INSERT INTO videos (video_id, path, filename, content_hash, size_bytes, duration_ms, "
            "recorded_at) SELECT gen_random_uuid(), '/nowhere/f' || i || '.mp4', "
            "'zz filler ' || lpad(i::text, 3, '0') || '.mp4', 'sha256:filler' || i, 1, 1000 * i, "
            "timestamp '2020-01-01' + make_interval(days => i) FROM generate_series(1, :n) i"),
            {"n": FILLERS})
        uow.commit()
    return {"alice": alice, "bob": bob, "holiday": str(holiday.video_id), "beach": str(beach.video_id),
            "waiting": str(waiting.video_id)}


@pytest.fixture(scope="module")
def site(pg_cluster, template_db, tmp_path_factory):
    url = pg_cluster.url(pg_cluster.clone(template_db))
    settings = Settings(data_dir=tmp_path_factory.mktemp("pages-data"), media_roots=[SAMPLE.parent.resolve()],
                        database_url=url, clip_max_s=CLIP_MAX_S)
    ids = seed(settings)
    with live_server(settings) as base:
        yield base, ids, settings


browser = browser_fixture()


def device_page(browser, name: str, device: str) -> Any:
    """A page on ``device`` (see emulated_page), downloads allowed, the
    confirmations of merge and cancel accepted."""
    return emulated_page(browser, name, accept_dialogs=True, accept_downloads=True, **DEVICES[device])


@pytest.fixture(params=["desktop", "phone"])
def page(browser, request):
    with device_page(browser, request.node.name, request.param) as pg:
        pg.device = request.param  # type: ignore[attr-defined]
        yield pg


@pytest.fixture
def desktop(browser, request):
    with device_page(browser, request.node.name, "desktop") as pg:
        yield pg


def no_serious_violation(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px screen"


def toast(page: Page):
    return page.locator("#toast")


# --- the person page -------------------------------------------------------

def test_person_page_shows_every_appearance_by_video(site, page):
    base, ids, _ = site
    page.goto(f"{base}/people/{ids['alice']}")
    expect(page.get_by_role("heading", name="Alice", level=1)).to_be_visible()
    expect(page.get_by_text("3 appearances in 2 videos")).to_be_visible()
    groups = page.locator(".person-video")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).get_by_role("heading")).to_contain_text("holiday.mp4")
    expect(groups.nth(1).get_by_role("heading")).to_contain_text("beach day.mp4")
    links = page.get_by_role("link", name=re.compile(r"^Play \d:\d\d–\d:\d\d in "))
    expect(links).to_have_count(3)
    expect(links.nth(0)).to_have_accessible_name("Play 0:01–0:02 in holiday.mp4")
    first = links.nth(0).locator("img")
    expect(first).to_have_attribute("src", re.compile(rf"/v1/videos/{ids['holiday']}/thumbnail\?t_ms=1000"))
    page.wait_for_function("() => [...document.querySelectorAll('.appearance img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    expect(page.get_by_role("img", name="Face of Alice")).to_be_visible()
    expect(page.get_by_role("button", name="Show more appearances")).to_be_hidden()  # all shown
    expect(page.get_by_role("button", name=re.compile("^Merge"))).to_be_disabled()
    if page.device == "phone":
        fits_the_screen(page)
    no_serious_violation(page)


def test_play_all_plays_each_appearance_in_order(site, desktop):
    base, ids, _ = site
    desktop.goto(f"{base}/people/{ids['alice']}")
    desktop.get_by_role("button", name="Play all 3 appearances").click()
    desktop.wait_for_url(re.compile(rf"/videos/{ids['holiday']}\?t=0\.000"))
    bar = desktop.get_by_role("navigation", name="Play queue")
    expect(bar).to_contain_text("Alice: appearance 1 of 3")
    bar.get_by_role("button", name="Next appearance").click()
    expect(bar).to_contain_text("Alice: appearance 2 of 3 · 0:06–0:07")
    desktop.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 5) < 0.3")
    desktop.get_by_text("Export", exact=True).click()
    no_serious_violation(desktop)  # the player with the queue bar and the Export panel open
    # when the appearance ends (0:07) playing on, the next one plays: in another video
    desktop.evaluate("() => { const v = document.querySelector('video'); v.muted = true; "
                     "v.currentTime = 7.2; v.play(); }")
    desktop.wait_for_url(re.compile(rf"/videos/{ids['beach']}\?t=1\.000"), timeout=15_000)
    bar = desktop.get_by_role("navigation", name="Play queue")
    expect(bar).to_contain_text("Alice: appearance 3 of 3")
    expect(bar.get_by_role("button", name="Next appearance")).to_be_disabled()
    bar.get_by_role("button", name="Previous appearance").click()
    desktop.wait_for_url(re.compile(rf"/videos/{ids['holiday']}\?t=5\.000"))
    desktop.get_by_role("button", name="Stop the queue").click()
    expect(desktop.get_by_role("navigation", name="Play queue")).to_have_count(0)


def test_one_appearance_opens_the_player_there_with_the_queue(site, page):
    base, ids, _ = site
    page.goto(f"{base}/people/{ids['alice']}")
    link = page.get_by_role("link", name="Play 0:02–0:03 in beach day.mp4")
    link.tap() if page.device == "phone" else link.click()
    page.wait_for_url(re.compile(rf"/videos/{ids['beach']}\?t=1\.000"))
    expect(page.get_by_role("navigation", name="Play queue")).to_contain_text("appearance 3 of 3")
    if page.device == "phone":
        fits_the_screen(page)


def test_people_cards_forms_line_up(site, page):
    base, _, _ = site
    page.goto(f"{base}/people")
    expect(page.locator(".person-card")).to_have_count(2)
    phone = page.device == "phone"  # type: ignore[attr-defined]
    rows = form_rows(page, ".person-card form.inline-form")
    assert len(rows) == 4  # each card: its name, and the other to merge with
    for controls in rows:  # the box or select beside its button (Save name wrapped under it), one height
        same_row(controls)
        same_height(controls)
        if phone:
            tall_enough(controls)
    fits_the_screen(page)
    top_bar_fits(page, phone)


def test_merge_by_choosing_faces_and_undo_by_name(site, page):
    base, ids, _ = site
    try:
        page.goto(f"{base}/people/{ids['alice']}")
        merge = page.get_by_role("button", name=re.compile("^Merge"))
        expect(merge).to_be_disabled()
        bob = page.get_by_role("checkbox", name=re.compile("^Bob"))
        bob.tap() if page.device == "phone" else bob.check()
        expect(bob).to_be_checked()
        expect(page.get_by_role("button", name="Merge 1 person into Alice")).to_be_enabled()
        page.get_by_role("button", name="Merge 1 person into Alice").click()
        expect(toast(page)).to_have_text("Merged Bob into Alice")
        expect(page.get_by_text("4 appearances in 2 videos")).to_be_visible()
        expect(page.get_by_role("checkbox", name=re.compile("^Bob"))).to_have_count(0)
        if page.device == "desktop":
            no_serious_violation(page)
        page.get_by_role("button", name="Separate Bob again").click()
        expect(toast(page)).to_have_text("Bob is a separate person again")
        expect(page.get_by_text("3 appearances in 2 videos")).to_be_visible()
        assert httpx.get(f"{base}/v1/people/{ids['bob']}", timeout=30).json()["name"] == "Bob"
    finally:
        httpx.post(f"{base}/v1/people/{ids['bob']}/unmerge", timeout=30)  # (409 when already undone)


def test_rename_on_the_person_page_says_names(site, desktop):
    base, ids, _ = site
    try:
        desktop.goto(f"{base}/people/Alice")  # a name works as the address too
        desktop.wait_for_url(re.compile(rf"/people/{ids['alice']}$"))
        desktop.get_by_label("Name", exact=True).fill("Alicia")
        desktop.get_by_role("button", name="Save name").click()
        expect(toast(desktop)).to_have_text("Alice is now called Alicia")
        expect(desktop.get_by_role("heading", name="Alicia", level=1)).to_be_visible()
        desktop.get_by_label("Name", exact=True).fill("Bob")
        desktop.get_by_role("button", name="Save name").click()
        expect(toast(desktop)).to_contain_text("already belongs to")
    finally:
        httpx.patch(f"{base}/v1/people/{ids['alice']}", json={"name": "Alice"}, timeout=30)


# --- the library page ------------------------------------------------------

def card_titles(page: Page) -> list[str]:
    return page.locator(".card h2").all_inner_texts()


def test_library_sorts_filters_and_pages(site, page):
    base, _, _ = site
    page.goto(base + "/")
    expect(page.locator("#library-count")).to_have_text(f"{FILLERS + 3} videos")
    expect(page.locator(".card")).to_have_count(100)
    pager = page.get_by_role("navigation", name="Pages of videos")
    expect(pager).to_contain_text(f"Page 1 of 2 · videos 1–100 of {FILLERS + 3}")
    controls = boxes(page, ".list-controls :is(input, select), .pager button")
    assert len(controls) == 5, controls  # the title filter, status, sort and the two page buttons
    same_height(controls)  # one height at both sizes
    if page.device == "phone":  # type: ignore[attr-defined]
        tall_enough(controls)
        fits_the_screen(page)
    pager.get_by_role("button", name="Next page").click()
    expect(pager).to_contain_text(f"Page 2 of 2 · videos 101–{FILLERS + 3}")
    expect(page.locator(".card")).to_have_count(FILLERS + 3 - 100)
    assert "page=2" in page.url
    page.get_by_label("Sort by").select_option("-title")
    expect(page.locator(".card").first.locator("h2")).to_have_text(f"zz filler {FILLERS:03d}.mp4")
    assert "page=" not in page.url and "sort=-title" in page.url
    page.get_by_label("Filter by title").fill("BEACH")
    expect(page.locator("#library-count")).to_have_text("1 video match")
    assert card_titles(page) == ["beach day.mp4"]
    expect(pager).to_be_empty()
    page.get_by_label("Filter by title").fill("")
    page.get_by_label("Sort by").select_option("-duration")
    expect(page.locator(".card").first.locator("h2")).to_have_text(f"zz filler {FILLERS:03d}.mp4")
    page.get_by_label("Status").select_option("analysing")
    expect(page.locator("#library-count")).to_have_text("1 video match")
    page.reload()  # the URL holds the view
    expect(page.get_by_label("Status")).to_have_value("analysing")
    expect(page.locator(".card h2")).to_have_text(["waiting.mp4"])  # waits: the select is set before cards
    if page.device == "phone":
        fits_the_screen(page)
    top_bar_fits(page, page.device == "phone")  # type: ignore[attr-defined]
    no_serious_violation(page)


def test_progress_says_the_stage_and_updates_one_card(site, desktop):
    base, ids, settings = site
    desktop.goto(base + "/?sort=-recorded")
    card = desktop.get_by_role("article", name="waiting.mp4")
    status = card.locator(".card-status")
    expect(status).to_have_text(re.compile(r"^Waiting for a worker \(.+\) · 0 of 1 done · 0 %$"))
    # a card with no run at all: no event concerns it, so it must stay the same element
    other = desktop.get_by_role("article", name=f"zz filler {FILLERS:03d}.mp4")
    other.evaluate("el => { el.dataset.sentinel = 'kept'; }")
    with unit_of_work(settings) as uow:  # the site's database (to move a run as a worker would)
        run_id = uow.session.execute(text("SELECT run_id FROM runs WHERE asset_id = :v"),
                                     {"v": ids["waiting"]}).scalar_one()
        uow.runs.start(run_id)
        uow.runs.set_progress(run_id, 0.4)
        uow.session.execute(text("UPDATE runs SET created_at = now() - interval '30 seconds' "
                                 "WHERE run_id = :r"), {"r": run_id})
        uow.commit()
    expect(card.locator(".card-status")).to_have_text(
        re.compile(r"^Analysing: .+ · 0 of 1 done · 40 % · about \d+ s left$"), timeout=15_000)
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "0.4")
    desktop.wait_for_load_state("networkidle")
    desktop.screenshot(path=str(SCREENSHOTS / "library.png"))  # the first screen, for docs/ui.md
    sentinel = other.evaluate("el => el.dataset.sentinel")
    assert sentinel == "kept", "another card was drawn again"
    card.get_by_role("button", name="Cancel analysis of waiting.mp4").click()
    expect(toast(desktop)).to_have_text("Analysis of waiting.mp4 cancelled (1 analyzer stopped)")
    expect(card.locator(".card-status")).to_have_text("Analysed, 1 analyzer failed or cancelled")
    runs = httpx.get(f"{base}/v1/videos/{ids['waiting']}/runs", timeout=30).json()["runs"]
    assert [(r["status"], r["error"]) for r in runs] == [("failed", "cancelled by the user")]


def test_upload_shows_bytes_and_refuses_what_is_not_media(site, page, tmp_path):
    base, _, _ = site
    page.goto(base + "/")
    page.get_by_text("Add a video").click()
    form = page.locator("form", has=page.get_by_label("Video file"))
    status = form.get_by_role("status")
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video at all\n" * 50)
    page.get_by_label("Video file").set_input_files(str(notes))
    form.get_by_role("button", name="Upload and analyse").click()
    expect(status).to_have_text(re.compile(r"^Not a video or audio file: .+"))
    expect(status).to_have_attribute("data-state", "error")
    token = uuid.uuid4().hex[:6]
    clip = copy_with_suffix(SAMPLE, tmp_path / f"Trip to Kyoto {token}.mp4", token.encode())
    page.get_by_label("Video file").set_input_files(str(clip))
    page.evaluate("""() => { window.seen = []; const bar = document.querySelector('.upload-progress');
      new MutationObserver(() => window.seen.push([bar.value, bar.max]))
        .observe(bar, { attributes: true }); }""")
    for box in form.get_by_role("checkbox").all():
        box.uncheck()
    form.get_by_label("scenes", exact=True).check()
    form.get_by_role("button", name="Upload and analyse").click()
    expect(status).to_have_text(f"Uploaded {clip.name}: analysis queued.")
    seen = page.evaluate("() => window.seen")
    # the bytes sent (the file in its multipart body) were counted up to the whole
    assert seen and seen[-1][0] == seen[-1][1] >= clip.stat().st_size, seen[-3:]
    page.get_by_label("Filter by title").fill("Trip to Kyoto")
    expect(page.get_by_role("article", name=clip.name)).to_be_visible()  # its own name, no storage prefix
    if page.device == "phone":
        fits_the_screen(page)


# --- the player's Export panel ----------------------------------------------

def test_export_checks_the_range_and_names_files_after_the_video(site, page):
    base, ids, _ = site
    page.goto(f"{base}/videos/{ids['holiday']}")
    page.get_by_text("Export", exact=True).click()
    frm, to = page.get_by_label("Clip from (s)"), page.get_by_label("to (s)")
    clip = page.get_by_role("button", name="Download clip")
    problem = page.locator("#clip-problem")
    frm.fill("4")
    to.fill("2")
    expect(problem).to_have_text("The clip must end after it starts.")
    expect(clip).to_be_disabled()
    expect(to).to_have_attribute("aria-invalid", "true")
    to.fill("30")
    expect(problem).to_contain_text("must end by the end of the video (0:12)")
    frm.fill("0")
    to.fill("8")
    expect(problem).to_have_text(f"A clip is at most {CLIP_MAX_S} s long on this server; this one is 8 s.")
    frm.fill("1")
    to.fill("3")
    expect(problem).to_be_empty()
    expect(clip).to_be_enabled()
    with page.expect_download() as download:
        clip.click()
    assert download.value.suggested_filename == "holiday.clip-0m01s-0m03s.mp4"
    expect(page.get_by_role("status").filter(has_text="Saved holiday.clip")).to_have_text(
        re.compile(r"^Saved holiday\.clip-0m01s-0m03s\.mp4 \(\d+ kB\)$"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Subtitles (WebVTT)").click()
    assert download.value.suggested_filename == "holiday.vtt"
    assert download.value.path().read_text().startswith("WEBVTT")
    with page.expect_download() as download:
        page.get_by_role("button", name="Everything found (JSON with provenance)").click()
    assert download.value.suggested_filename == "holiday.export.json"
