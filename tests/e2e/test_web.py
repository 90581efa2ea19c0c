"""The web player in a real browser (Debian's chromium, headless, Playwright),
against a real server on the analysed sample: library, next scene by button and
key, find, a person's row, upload + analysis, renaming, and axe accessibility."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.config import Settings
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    browser_fixture,
    live_server,
    open_player,
    page_fixture,
    video_time,
)
from tests.media import SAMPLE, copy_with_suffix

TRUTH = json.loads((SAMPLE.parent / "sample.json").read_text())
PREROLL_S = 1.0
pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def server(pg_cluster, analysed_sample, tmp_path_factory):
    url = pg_cluster.url(pg_cluster.clone(analysed_sample.database))
    data_dir = tmp_path_factory.mktemp("web-data")
    settings = Settings(data_dir=data_dir, media_roots=[SAMPLE.parent.resolve()], database_url=url)
    with live_server(settings, workers=1) as base:
        yield base, analysed_sample.video_id


browser = browser_fixture()
page = page_fixture("page", viewport={"width": 1400, "height": 1000})


def api(base: str, path: str, **params):
    r = httpx.get(base + path, params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def wait_time(page: Page, expected: float, tol: float = 0.05) -> float:
    page.wait_for_function(
        "([e, t]) => { const v = document.querySelector('video'); "
        "return v !== null && Math.abs(v.currentTime - e) <= t; }", arg=[expected, tol])
    return video_time(page)


def scene_starts(base: str, video_id: str) -> list[int]:
    rows = api(base, f"/v1/videos/{video_id}/timeline")["rows"]
    return [i["start_ms"] for r in rows if r["kind"] == "scene" for i in r["items"]]


def test_library_lists_the_analysed_sample(server, page):
    base, video_id = server
    page.goto(base + "/")
    card = page.get_by_role("article", name="sample.mp4")
    expect(card).to_be_visible()
    expect(card.get_by_text("Analysed", exact=True)).to_be_visible()
    expect(card.get_by_text(re.compile(rf"{len(TRUTH['shots'])} scenes · 1 person"))).to_be_visible()
    poster = card.locator("img.poster")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=poster.element_handle())
    card.get_by_role("link", name="sample.mp4").click()
    expect(page).to_have_url(re.compile(rf"/videos/{video_id}"))


def test_library_search_opens_the_player_at_the_moment(server, page):
    base, video_id = server
    page.goto(base + "/")
    page.get_by_role("searchbox", name="Search the library").fill("invoice")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=invoice"))
    hits = page.locator("ol.hits li")
    expect(hits.first).to_be_visible()
    expected = api(base, "/v1/search", q="invoice")["hits"]
    expect(hits).to_have_count(len(expected))
    first = expected[0]
    expect(hits.first).to_contain_text("sample.mp4")
    expect(hits.first.locator("mark")).to_have_text(re.compile("invoice", re.I))
    hits.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/videos/{video_id}\?t="))
    wait_time(page, first["start_ms"] / 1000, tol=0.01)
    expect(page.get_by_label("Find", exact=True)).to_have_value("invoice")


def test_next_scene_button_lands_before_each_cut(server, page):
    base, video_id = server
    cuts = scene_starts(base, video_id)[1:]
    assert len(cuts) == len(TRUTH["cuts_s"])
    assert all(abs(c / 1000 - t) <= 0.3 for c, t in zip(cuts, TRUTH["cuts_s"], strict=True))
    open_player(page, base, video_id)
    next_scene = page.get_by_role("button", name="Next scene", exact=True)
    for cut in cuts:
        next_scene.click()
        wait_time(page, cut / 1000 - PREROLL_S)
        expect(page.locator(f'.tl-row[data-row="scene:"] .seg.current[data-start="{cut}"]')).to_have_count(1)
    next_scene.click()  # no scene after the last: the position stays
    expect(page.locator("#toast")).to_contain_text("No next scene")
    assert abs(video_time(page) - (cuts[-1] / 1000 - PREROLL_S)) < 0.05
    page.get_by_role("button", name="Previous scene", exact=True).click()
    wait_time(page, cuts[-2] / 1000 - PREROLL_S)


def test_keyboard_walks_scenes_and_is_ignored_while_typing(server, page):
    base, video_id = server
    cuts = scene_starts(base, video_id)[1:]
    open_player(page, base, video_id)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("]")
    wait_time(page, cuts[0] / 1000 - PREROLL_S)
    page.keyboard.press("n")
    wait_time(page, cuts[1] / 1000 - PREROLL_S)
    page.keyboard.press("Shift+N")
    wait_time(page, cuts[0] / 1000 - PREROLL_S)
    page.keyboard.press("l")  # +10 s
    wait_time(page, min(cuts[0] / 1000 - PREROLL_S + 10, TRUTH["duration_s"]), tol=0.1)
    page.keyboard.press("j")
    wait_time(page, cuts[0] / 1000 - PREROLL_S, tol=0.1)
    page.keyboard.press("/")
    expect(page.get_by_label("Find", exact=True)).to_be_focused()
    before = video_time(page)
    page.keyboard.type("nl]")  # typed into the field, not shortcuts
    expect(page.get_by_label("Find", exact=True)).to_have_value("nl]")
    assert video_time(page) == before
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()


def find_and_land(page: Page, query: str, shot: dict) -> None:
    """Type in the player's find box, press Enter, wait until the video is inside ``shot``."""
    field = page.get_by_label("Find", exact=True)
    field.fill(query)
    field.press("Enter")
    page.wait_for_function(
        "([a, b]) => { const v = document.querySelector('video'); "
        "return v !== null && v.currentTime >= a && v.currentTime < b; }",
        arg=[shot["start_s"], shot["end_s"]])


def test_find_invoice_seeks_into_the_text_shot(server, page):
    base, video_id = server
    shot = TRUTH["shots"][TRUTH["text"]["shot"]]
    open_player(page, base, video_id)
    find_and_land(page, "invoice", shot)
    matches = page.locator(".matches button.match")
    expect(matches.first).to_be_visible()
    expect(page.locator(".matches mark").first).to_have_text(re.compile("invoice", re.I))
    assert "q=invoice" in page.url
    # the URL holds the position (written once the seek has finished) and the search:
    # reopening it restores both
    page.wait_for_function("(a) => Number(new URLSearchParams(location.search).get('t')) >= a",
                           arg=shot["start_s"] - 0.01)
    page.goto(page.url)
    expect(page.get_by_label("Find", exact=True)).to_have_value("invoice")
    page.wait_for_function("(a) => { const v = document.querySelector('video'); "
                           "return v !== null && v.currentTime >= a; }", arg=shot["start_s"] - 0.01)


def test_find_by_meaning_lands_on_the_moment_described(server, page):
    """A paraphrase with none of the spoken or shown words: the player's find
    box, set to meaning, lists this video's moments best first (GET /v1/search,
    hybrid) and Enter lands on the best one."""
    base, video_id = server
    shot = TRUTH["shots"][TRUTH["text"]["shot"]]  # the invoice shot
    open_player(page, base, video_id)
    page.get_by_label("in", exact=True).select_option("meaning")
    find_and_land(page, "a bill that is due soon", shot)
    matches = page.locator(".matches button.match")
    expect(matches.first).to_have_attribute("aria-current", "true")
    expect(matches.first).to_contain_text(re.compile("invoice", re.I))


def test_person_row_walks_that_persons_appearances(server, page):
    base, video_id = server
    faces = api(base, f"/v1/videos/{video_id}/appearances", kind="face")["appearances"]
    assert faces
    person = faces[0]["label"]
    starts = [a["start_ms"] for a in faces if a["label"] == person]
    scenes = scene_starts(base, video_id)
    open_player(page, base, video_id)
    page.get_by_role("button", name=re.compile(rf"^Person: {re.escape(person)}$")).click()
    expect(page.locator(".selected-row")).to_have_text(person)
    page.locator("body").click(position={"x": 5, "y": 5})
    for start in starts:
        page.keyboard.press("n")
        shot = max(s for s in scenes if s <= start)
        wait_time(page, max(start - PREROLL_S * 1000, shot) / 1000)
        expect(page.locator(f'.tl-row[data-row="face:{person}"] .seg.current')).to_have_count(1)
    page.keyboard.press("n")
    expect(page.locator("#toast")).to_contain_text(f"No next {person}")


def test_boxes_and_scrub_preview(server, page):
    base, video_id = server
    cat = TRUTH["shots"][1]
    open_player(page, base, video_id, f"?t={(cat['start_s'] + cat['end_s']) / 2}")
    expect(page.locator(".box", has_text="cat")).to_be_visible()
    seek = page.get_by_role("slider", name="Seek")
    expect(seek).to_have_attribute("aria-valuetext", re.compile(r"4 seconds of 12 seconds"))
    box = seek.bounding_box()
    page.wait_for_function("() => [...document.querySelector('video').textTracks]"
                           ".some(t => t.kind === 'metadata' && t.cues && t.cues.length > 0)")
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    tile = page.locator(".seek-preview .tile")
    expect(tile).to_be_visible()
    assert "thumbnails/" in tile.evaluate("el => el.style.backgroundImage")


def test_upload_from_the_page_gets_analysed(server, page, tmp_path):
    base, _ = server
    clip = copy_with_suffix(SAMPLE, tmp_path / f"upload-{uuid.uuid4().hex[:6]}.mp4", b"\0upload")
    page.goto(base + "/")
    page.get_by_text("Add a video").click()
    page.get_by_label("Video file").set_input_files(str(clip))
    upload = page.locator("form", has=page.get_by_label("Video file"))
    for name in ("quality", "objects", "transcript", "ocr", "faces", "places", "embeddings"):
        upload.get_by_label(name, exact=True).uncheck()
    upload.get_by_role("button", name="Upload and analyse").click()
    expect(upload.get_by_role("status")).to_contain_text("analysis queued")
    card = page.get_by_role("article", name=clip.name)
    expect(card).to_be_visible()
    expect(card.get_by_text("Analysed", exact=True)).to_be_visible(timeout=180_000)
    expect(card.get_by_text(re.compile(rf"{len(TRUTH['shots'])} scenes"))).to_be_visible()
    video_id = card.get_attribute("data-video-id")
    runs = api(base, f"/v1/videos/{video_id}/runs")["runs"]
    assert sorted(r["analyzer"] for r in runs) == ["metadata", "scenes"]
    assert all(r["status"] == "completed" for r in runs)


def test_renaming_a_person_shows_the_name_in_the_player(server, page):
    base, video_id = server
    person = api(base, "/v1/people")["people"][0]["cluster_id"]
    try:
        page.goto(base + "/people")
        page.get_by_label(f"Name for {person}").fill("Alice")
        page.get_by_role("button", name="Save name").click()
        expect(page.get_by_role("heading", name="Alice")).to_be_visible()
        expect(page.get_by_role("img", name="Face of Alice")).to_be_visible()
        open_player(page, base, video_id)
        expect(page.get_by_role("button", name="Person: Alice")).to_be_visible()
        page.get_by_role("button", name="Next Alice").click()
        expect(page.locator(f'.tl-row[data-row="face:{person}"] .seg.current')).to_have_count(1)
        hits = api(base, "/v1/search", q="alice")["hits"]
        assert [h["source"] for h in hits] == ["face"]
    finally:
        httpx.patch(f"{base}/v1/people/{person}", json={"name": None}, timeout=30)


@pytest.mark.parametrize("path", ["/", "/videos/{id}", "/videos/{id}?q=invoice&t=7", "/people",
                                  "/search?q=invoice"])
def test_no_serious_accessibility_violation(server, page, path):
    base, video_id = server
    page.goto(base + path.format(id=video_id))
    expect(page.locator("main > p.loading")).to_have_count(0)  # the page has rendered
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    details = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]
    assert not serious, details


@pytest.mark.parametrize("token", [
    "tok-" + uuid.uuid4().hex,
    base64.b64encode(os.urandom(30)).decode() + "+/=%41",  # `openssl rand -base64`, and worse
    "schlüssel+ключ/鍵=%",
], ids=["hex", "base64", "non-ascii"])
def test_the_page_asks_for_the_api_token_once(pg_cluster, analysed_sample, browser, tmp_path, token):
    url = pg_cluster.url(pg_cluster.clone(analysed_sample.database))
    settings = Settings(data_dir=tmp_path, media_roots=[SAMPLE.parent.resolve()], database_url=url,
                        api_token=token)
    with live_server(settings) as base:
        context = browser.new_context()
        page = context.new_page()
        asked = []
        refused = []

        def answer(dialog):
            asked.append(dialog.message)
            dialog.accept(settings.api_token)

        page.on("dialog", answer)
        page.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
        page.goto(base + "/")
        expect(page.get_by_role("article", name="sample.mp4")).to_be_visible()
        assert len(asked) == 1 and "API token" in asked[0]
        refused.clear()
        open_player(page, base, analysed_sample.video_id)  # <video>, <track>, <img>: the cookie
        expect(page.get_by_role("button", name="Next scene", exact=True)).to_be_visible()
        page.wait_for_function("() => document.querySelector('video').videoWidth > 0")
        page.wait_for_load_state("networkidle")
        assert len(asked) == 1
        assert refused == []  # nothing the page asked for was refused
        assert page.evaluate("() => document.cookie") == ""  # HttpOnly: no script reads it
        (cookie,) = context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and token not in cookie["value"]
        assert httpx.get(base + "/v1/videos", timeout=10).status_code == 401
        context.close()


def test_rows_hide_filter_zoom_and_the_run_selector(server, page):
    base, video_id = server
    rows = {(r["kind"], r["key"]): r for r in api(base, f"/v1/videos/{video_id}/timeline")["rows"]}
    open_player(page, base, video_id)
    cat_row = page.locator('.tl-row[data-row="object:cat"]')
    expect(cat_row).to_have_count(1)
    page.get_by_role("button", name="Hide the cat row").click()
    expect(cat_row).to_have_count(0)
    page.get_by_text("Rows", exact=True).click()
    page.locator(".rows-menu").get_by_label("cat", exact=True).check()
    expect(cat_row).to_have_count(1)
    # the confidence slider hides weak appearances (and only those)
    threshold = 0.9
    weak = sum(1 for (kind, _), r in rows.items() if kind in ("object", "face", "place")
               for i in r["items"] if i["confidence"] < threshold)
    assert weak > 0
    before = page.locator(".tl-row .seg").count()
    page.get_by_label("Minimum confidence").fill(str(threshold))
    expect(page.locator(".tl-row .seg")).to_have_count(before - weak)
    # zoom: the rows get wider than the view, down to 200 px a second
    width = page.locator(".tl-inner").evaluate("el => el.clientWidth")
    for _ in range(4):
        page.get_by_role("button", name="Zoom in").click()
    zoomed = page.locator(".tl-inner").evaluate("el => el.clientWidth")
    assert zoomed == pytest.approx(max(width, TRUTH["duration_s"] * 200), rel=0.02)
    expect(page.get_by_role("slider", name="Zoom")).to_have_attribute("aria-valuetext",
                                                                    re.compile("seconds visible"))
    page.get_by_role("button", name="Whole video").click()
    # the run selector sets the selection policy through the API
    page.get_by_text("Analysis runs").click()
    (scene_run,) = [r for r in api(base, f"/v1/videos/{video_id}/runs")["runs"]
                    if r["artifact_type"] == "scene"]
    try:
        page.get_by_role("combobox", name="Scenes").select_option(scene_run["run_id"])
        expect(page.locator("#toast")).to_contain_text("Scenes: showing")
        selection = api(base, f"/v1/videos/{video_id}/selection/scene")
        assert (selection["mode"], selection["pinned_run_id"]) == ("pinned", scene_run["run_id"])
    finally:
        httpx.put(f"{base}/v1/videos/{video_id}/selection/scene", json={"mode": "default"}, timeout=30)
