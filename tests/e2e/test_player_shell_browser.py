"""The player's shell in a real browser (Debian's chromium, Playwright), at a desktop
(1280x800) and on a 390x844 touch phone: full screen is the whole player (issue 27,
item 1), analysis in progress is told apart from an empty video (item 6), YouTube's
keys, the clock before playback and a click on the picture (item 7), the controls bar
(one row on a phone, buffered range, scene marks), boxes from the first frame at the
detections' sampling rate, and view settings that persist. Screenshots are saved; axe
finds no serious or critical violation, in full screen too."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.config import Settings
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    IPHONE_USER_AGENT,
    PHONE,
    SCREENSHOTS,
    browser_fixture,
    emulated_page,
    live_server,
    open_player,
)
from tests.media import SAMPLE, copy_with_suffix

TRUTH = json.loads((SAMPLE.parent / "sample.json").read_text())
DURATION_S = TRUTH["duration_s"]
pytestmark = pytest.mark.models

DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {**PHONE, "user_agent": IPHONE_USER_AGENT},
}


@pytest.fixture(scope="module")
def server(pg_cluster, analysed_sample, tmp_path_factory):
    url = pg_cluster.url(pg_cluster.clone(analysed_sample.database))
    data_dir = tmp_path_factory.mktemp("shell-data")
    media = tmp_path_factory.mktemp("shell-media")
    settings = Settings(data_dir=data_dir, media_roots=[SAMPLE.parent.resolve(), media.resolve()],
                        database_url=url)
    with live_server(settings) as base:  # no worker: queued runs stay queued
        yield base, analysed_sample.video_id, media


browser = browser_fixture("--autoplay-policy=no-user-gesture-required")


@pytest.fixture(params=["desktop", "phone"])
def page(browser, request):
    with emulated_page(browser, request.node.name, **DEVICES[request.param]) as pg:
        pg.device = request.param  # type: ignore[attr-defined]
        yield pg


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.device}.png"))  # type: ignore[attr-defined]


def video(page: Page, expression: str) -> Any:
    return page.evaluate(f"() => {{ const v = document.querySelector('video'); return {expression}; }}")


def wait_video(page: Page, condition: str, timeout: float = 10_000) -> None:
    page.wait_for_function(f"() => {{ const v = document.querySelector('video'); "
                           f"return v && ({condition}); }}", timeout=timeout)


def press(page: Page, locator: Any) -> None:
    """A click with a mouse, a tap with a finger."""
    if page.device == "phone":  # type: ignore[attr-defined]
        locator.tap()
    else:
        locator.click()


def serious_violations(page: Page) -> list:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def picture_fraction(page: Page) -> dict:
    """Where the cat's box is, as fractions of the picture actually shown (letterbox removed)."""
    return page.evaluate("""() => {
      const v = document.querySelector('video');
      const box = [...document.querySelectorAll('.box')].find(b => b.textContent.includes('cat'));
      if (!box) return null;
      const r = v.getBoundingClientRect(), b = box.getBoundingClientRect();
      const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
      const w = v.videoWidth * scale, h = v.videoHeight * scale;
      const left = r.left + (r.width - w) / 2, top = r.top + (r.height - h) / 2;
      return {x: (b.left - left) / w, y: (b.top - top) / h, w: b.width / w, h: b.height / h};
    }""")


# ---- item 1: full screen is the whole player ----

def test_full_screen_is_the_whole_player(server, page):
    base, video_id, _ = server
    cat = TRUTH["shots"][1]
    open_player(page, base, video_id, f"?t={(cat['start_s'] + cat['end_s']) / 2}", picture=True)
    expect(page.locator(".box", has_text="cat")).to_be_visible()
    before = picture_fraction(page)
    press(page, page.get_by_role("button", name="Full screen (f)"))
    page.wait_for_function("() => document.fullscreenElement?.classList.contains('stage')")
    # the whole stage: picture, boxes and the controls bar with every control
    bar = page.locator(".ctl-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_role("button", name="Exit full screen (f)")).to_be_visible()
    expect(page.get_by_role("slider", name="Seek")).to_be_visible()
    size = page.evaluate("() => [innerWidth, innerHeight]")
    rect = page.locator("video").bounding_box()
    assert rect["height"] == pytest.approx(size[1], abs=2)  # no 70vh cap, no black band below
    assert rect["width"] == pytest.approx(size[0], abs=2)
    # the boxes were laid out again for the new size, without a seek
    page.wait_for_function("() => document.querySelector('.box') !== null")
    after = picture_fraction(page)
    assert after is not None and before is not None
    for key in ("x", "y", "w", "h"):
        assert after[key] == pytest.approx(before[key], abs=0.01), (key, before, after)
    # captions show in full screen
    page.keyboard.press("c")
    assert page.evaluate("() => [...document.querySelector('video').textTracks]"
                         ".find(t => t.kind === 'captions').mode") == "showing"
    assert not serious_violations(page)
    shot(page, "player-fullscreen")
    # while playing, the bar rests after a while without the pointer; a move or a tap brings it back
    page.keyboard.press("k")
    wait_video(page, "!v.paused")
    expect(page.locator(".stage.idle")).to_have_count(1, timeout=6000)
    assert float(bar.evaluate("el => getComputedStyle(el).opacity")) == 0
    if page.device == "phone":  # type: ignore[attr-defined]
        page.locator("video").tap()
        expect(page.locator(".stage.idle")).to_have_count(0)
        assert not video(page, "v.paused")  # a tap on a resting picture only wakes the bar
    else:
        page.mouse.move(size[0] / 2, size[1] / 2)
        page.mouse.move(size[0] / 2 + 20, size[1] / 2 + 5)
        expect(page.locator(".stage.idle")).to_have_count(0)
    expect(bar).to_have_css("opacity", "1")
    # messages show in full screen too
    page.keyboard.press("End")
    wait_video(page, "v.paused")
    page.keyboard.press("n")
    expect(page.locator("#toast")).to_contain_text("No next scene")
    assert page.evaluate("() => document.fullscreenElement.contains(document.getElementById('toast'))")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(page.get_by_role("button", name="Full screen (f)")).to_be_visible()


# ---- item 6: analysis in progress is not an empty video ----

def _register(base: str, media, name: str) -> str:
    clip = copy_with_suffix(SAMPLE, media / name, uuid.uuid4().bytes)
    r = httpx.post(f"{base}/v1/videos", json={"path": str(clip), "analyze": True, "analyzers": ["scenes"]},
                   timeout=30)
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


def _external_run(base: str, video_id: str, artifact_type: str) -> str:
    r = httpx.post(f"{base}/v1/videos/{video_id}/runs", timeout=30,
                   json={"artifact_type": artifact_type, "producer": "shell-test", "producer_version": "1"})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def test_analysis_in_progress_is_told_apart_and_fills_in(server, page):
    base, _, media = server
    video_id = _register(base, media, f"in-progress-{page.device}.mp4")  # type: ignore[attr-defined]
    scenes = _external_run(base, video_id, "scene")
    speech = _external_run(base, video_id, "transcript.segment")
    ocr = _external_run(base, video_id, "ocr.text")
    failed = httpx.post(f"{base}/v1/runs/{ocr}/fail", json={"error": "engine crashed"}, timeout=30)
    assert failed.status_code == 200, failed.text
    open_player(page, base, video_id, picture=True)
    found = page.locator(".found")
    # each stage says where it is: Eioku's scenes run waits for a worker, the others run or failed
    stages = page.locator(".stages")
    expect(stages.locator('[data-analyzer="scenes"]')).to_contain_text("queued")
    external = stages.locator('[data-analyzer="external:shell-test"]')
    expect(external).to_have_count(3)  # one per type, though one producer
    expect(external.filter(has_text="Speech")).to_contain_text("running")
    expect(external.filter(has_text="On-screen text")).to_contain_text("failed: engine crashed")
    expect(found.locator('[data-kind="scene"]')).to_have_attribute("data-state", "pending")
    expect(found.locator('[data-kind="transcript"]')).to_contain_text("analysing")
    expect(found.locator('[data-kind="ocr"]')).to_contain_text("analysis failed: engine crashed")
    expect(found.locator('[data-kind="face"]')).to_contain_text("not analysed")
    expect(page.locator(".transcript-empty")).to_have_text("Speech: analysing…")
    expect(page.locator(".tl-row")).to_have_count(0)
    expect(page.locator(".ins-empty")).to_have_text(re.compile(r"^Analysing…"))  # not "nothing found"
    shot(page, "player-analysis-in-progress")
    # the scene run completes: its row fills in without a reload
    cuts = [0, *TRUTH["cuts_s"], DURATION_S]
    arts = [{"span_start_ms": int(a * 1000), "span_end_ms": int(b * 1000),
             "payload": {"scene_index": i, "method": "test", "score": 1.0, "frame_number": int(a * 25)}}
            for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False))]
    added = httpx.post(f"{base}/v1/runs/{scenes}/artifacts", json={"artifacts": arts}, timeout=30)
    assert added.status_code == 201, added.text
    assert httpx.post(f"{base}/v1/runs/{scenes}/complete", timeout=30).status_code == 200
    expect(page.locator('.tl-row[data-row="scene:"] .seg')).to_have_count(len(cuts) - 1, timeout=10_000)
    expect(found.locator('[data-kind="scene"]')).to_have_text(re.compile(rf"Scenes: {len(cuts) - 1}"))
    # unmeasured (no metadata run), the video's length comes from the file: the last scene ends at the end
    last = page.locator('.tl-row[data-row="scene:"] .seg').last.bounding_box()
    inner = page.locator(".tl-inner").bounding_box()
    assert last["x"] + last["width"] == pytest.approx(inner["x"] + inner["width"], abs=2)
    expect(page.locator(".seek-mark")).to_have_count(len(cuts) - 2)
    # the speech run completes with nothing: "nothing found", not "not analysed"
    assert httpx.post(f"{base}/v1/runs/{speech}/complete", timeout=30).status_code == 200
    expect(found.locator('[data-kind="transcript"]')).to_have_text("Speech: nothing found", timeout=10_000)
    expect(page.locator(".transcript-empty")).to_have_text("No speech found.")
    expect(found.locator('[data-kind="face"]')).to_have_attribute("data-state", "none")
    assert not serious_violations(page)


# ---- item 7: the clock, the picture and the keys ----

def test_clock_picture_click_and_youtube_keys(server, page):
    base, video_id, _ = server
    open_player(page, base, video_id, picture=True)
    time = page.locator(".time")
    expect(time).to_have_text("0:00 / 0:12")  # the length before anything plays
    # a click (a tap) on the picture plays, another pauses
    press(page, page.locator("video"))
    wait_video(page, "!v.paused")
    expect(page.get_by_role("button", name="Pause (k)")).to_be_visible()
    press(page, page.locator("video"))
    wait_video(page, "v.paused")
    expect(page.get_by_role("button", name="Play (k)")).to_be_visible()
    # the seek bar's arrows move 5 s, not 10 ms
    page.evaluate("() => { document.querySelector('video').currentTime = 1; }")
    wait_video(page, "Math.abs(v.currentTime - 1) < 0.01")
    page.get_by_role("slider", name="Seek").focus()
    page.keyboard.press("ArrowRight")
    wait_video(page, "Math.abs(v.currentTime - 6) < 0.05")
    page.keyboard.press("ArrowLeft")
    wait_video(page, "Math.abs(v.currentTime - 1) < 0.05")
    page.keyboard.press("End")
    wait_video(page, f"v.currentTime > {DURATION_S - 0.2}")
    page.keyboard.press("Home")
    wait_video(page, "v.currentTime < 0.01")
    page.locator("h1").click()  # the focus leaves the controls: the keys still work
    for digit in (5, 3, 0):
        page.keyboard.press(str(digit))
        wait_video(page, f"Math.abs(v.currentTime - {DURATION_S * digit / 10}) < 0.05")
    page.keyboard.press("l")
    wait_video(page, "Math.abs(v.currentTime - 10) < 0.05")
    page.keyboard.press("j")
    wait_video(page, "Math.abs(v.currentTime - 0) < 0.05")
    page.keyboard.press("4")
    # frame steps while paused: one frame is 1/fps
    fps = page.evaluate("async () => (await (await fetch(location.pathname.replace('/videos/', '/v1/videos/')"
                        " + '/timeline')).json()).fps")
    start = video(page, "v.currentTime")
    page.keyboard.press(".")
    wait_video(page, f"Math.abs(v.currentTime - {start + 1 / fps}) < 0.005")
    page.keyboard.press(",")
    wait_video(page, f"Math.abs(v.currentTime - {start}) < 0.005")
    # speed: > faster, < slower, along 0.25 ... 2
    page.keyboard.press(">")
    assert video(page, "v.playbackRate") == 1.25
    page.keyboard.press("<")
    page.keyboard.press("<")
    assert video(page, "v.playbackRate") == 0.75
    # volume and mute
    volume = video(page, "v.volume")
    page.keyboard.press("ArrowDown")
    assert video(page, "v.volume") == pytest.approx(volume - 0.05, abs=0.001)
    page.keyboard.press("ArrowUp")
    assert video(page, "v.volume") == pytest.approx(volume, abs=0.001)
    page.keyboard.press("m")
    assert video(page, "v.muted") is True
    expect(page.get_by_role("button", name="Unmute (m)")).to_be_visible()
    page.keyboard.press("m")
    assert video(page, "v.muted") is False
    # captions
    page.keyboard.press("c")
    expect(page.get_by_role("button", name="Captions (c)")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("c")
    expect(page.get_by_role("button", name="Captions (c)")).to_have_attribute("aria-pressed", "false")
    # space and k play and pause
    page.keyboard.press("Space")
    wait_video(page, "!v.paused")
    page.keyboard.press("k")
    wait_video(page, "v.paused")
    # ... but space on a focused checkbox presses the checkbox
    press(page, page.get_by_role("button", name="Settings"))
    boxes = page.get_by_role("checkbox", name=re.compile("^Boxes"))
    boxes.focus()
    page.keyboard.press("Space")
    expect(boxes).not_to_be_checked()
    assert video(page, "v.paused") is True
    page.keyboard.press("Space")
    expect(boxes).to_be_checked()
    page.keyboard.press("Escape")
    # the overlay lists them
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for key in ("Space or k", "j / l", "Home / End", "0 … 9", ", / .", "< / >", "↑ / ↓", "m", "c", "f"):
        expect(dialog.get_by_text(key, exact=True)).to_be_visible()
    shot(page, "player-shortcuts")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


# ---- the controls bar ----

def test_controls_bar_one_row_with_buffer_scene_marks_and_menu(server, page):
    base, video_id, _ = server
    open_player(page, base, video_id, picture=True)
    row = page.locator(".ctl-bar .control-row")
    buttons = row.locator("button:visible")
    tops = [b["y"] for b in (buttons.nth(i).bounding_box() for i in range(buttons.count()))]
    assert max(tops) - min(tops) < 2, tops  # one row, on the phone too
    height = row.bounding_box()["height"]
    assert height < 48, height
    bar = page.locator(".stage").bounding_box()
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= page.viewport_size["width"] + 0.5
    for name in ("Play (k)", "Captions (c)", "Settings", "Full screen (f)"):
        expect(row.get_by_role("button", name=name)).to_be_visible()
    phone = page.device == "phone"  # type: ignore[attr-defined]
    expect(row.get_by_role("slider", name="Volume")).to_be_visible(visible=not phone)
    expect(row.get_by_role("button", name="Picture in picture (i)")).to_be_visible(visible=not phone)
    # the buffered range and a mark where each scene starts, its title on hover
    page.wait_for_function("() => { const s = document.querySelector('.seek-buffered span'); "
                           "return s && parseFloat(s.style.width) > 0; }")
    marks = page.locator(".seek-mark")
    expect(marks).to_have_count(len(TRUTH["cuts_s"]))
    seek = page.get_by_role("slider", name="Seek").bounding_box()
    x = seek["x"] + seek["width"] * (TRUTH["cuts_s"][1] + 0.5) / DURATION_S
    y = seek["y"] + seek["height"] / 2
    if phone:  # a finger dragging the seek bar sees the preview too
        cdp = page.context.new_cdp_session(page)
        start = seek["x"] + seek["width"] * 0.1
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start, "y": y}]})
        for step in range(1, 6):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": start + (x - start) * step / 5, "y": y}]})
        expect(page.locator(".seek-preview .seek-chapter")).to_have_text(re.compile(r"^Scene 3"))
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        expect(page.locator(".seek-preview")).to_be_hidden()
    else:
        page.mouse.move(x, y)
        expect(page.locator(".seek-preview .seek-chapter")).to_have_text(re.compile(r"^Scene 3"))
    # the settings menu: speeds 0.25 to 2, boxes, pre-roll (and picture in picture on a phone)
    press(page, row.get_by_role("button", name="Settings"))
    menu = page.get_by_role("group", name="Player settings")
    expect(menu).to_be_visible()
    speed = menu.get_by_label("Speed")
    assert speed.locator("option").evaluate_all("os => os.map(o => Number(o.value))") == \
        [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]
    speed.select_option("0.25")
    assert video(page, "v.playbackRate") == 0.25
    expect(menu.get_by_label("Pre-roll (s)")).to_be_visible()
    expect(menu.get_by_role("button", name="Picture in picture")).to_be_visible(visible=phone)
    shot(page, "player-controls-menu")
    assert not serious_violations(page)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    if not phone:  # the volume slider sets the volume
        page.get_by_role("slider", name="Volume").fill("0.3")
        assert video(page, "v.volume") == pytest.approx(0.3)


def test_boxes_from_the_first_frame_at_the_sampling_rate(server, page):
    base, video_id, _ = server
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/boxes?" in r.url else None)
    open_player(page, base, video_id, picture=True)  # no ?t=: nothing seeks
    expect(page.locator(".box").first).to_be_visible()  # the person of the first shot, before any seek
    runs = httpx.get(f"{base}/v1/videos/{video_id}/runs", timeout=30).json()["runs"]
    step = min(r["config"]["interval_ms"] for r in runs
               if r["artifact_type"] in ("object.detection", "face.detection") and r["status"] == "completed")
    asked.clear()
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    wait_video(page, "v.currentTime > 4", timeout=15_000)
    page.evaluate("() => document.querySelector('video').pause()")
    played_ms = video(page, "v.currentTime") * 1000
    assert len(asked) <= played_ms / step + 2, (len(asked), played_ms, step)  # not four a second
    assert len(asked) >= played_ms / step - 2
    expect(page.locator(".box", has_text="cat")).to_be_visible()
    # the picture changes size (a narrower window): the boxes follow without a seek
    before = picture_fraction(page)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"] - 100, "height": size["height"]})
    page.wait_for_timeout(300)
    after = picture_fraction(page)
    for key in ("x", "y", "w", "h"):
        assert after[key] == pytest.approx(before[key], abs=0.01), (key, before, after)


def test_view_settings_persist(server, page):
    base, video_id, _ = server
    open_player(page, base, video_id, picture=True)
    page.get_by_role("button", name="Captions (c)").click() if page.device == "desktop" else \
        page.get_by_role("button", name="Captions (c)").tap()  # type: ignore[attr-defined]
    page.evaluate("() => { const v = document.querySelector('video'); v.volume = 0.4; }")
    page.locator("h1").click()
    page.keyboard.press(">")
    page.keyboard.press(">")
    page.get_by_role("button", name="Hide the cat row").click()
    page.get_by_label("Minimum confidence").fill("0.5")
    page.get_by_role("button", name="Zoom in").click()
    zoom = page.evaluate("() => document.querySelector('.tl-inner').style.width")
    page.wait_for_timeout(100)
    page.reload()
    open_player(page, base, video_id, picture=True)
    assert video(page, "v.playbackRate") == 1.5
    assert video(page, "v.volume") == pytest.approx(0.4)
    expect(page.get_by_role("button", name="Captions (c)")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => [...document.querySelector('video').textTracks]"
                         ".find(t => t.kind === 'captions').mode") == "showing"
    expect(page.locator('.tl-row[data-row="object:cat"]')).to_have_count(0)
    expect(page.get_by_label("Minimum confidence")).to_have_value("0.5")
    assert page.evaluate("() => document.querySelector('.tl-inner').style.width") == zoom
