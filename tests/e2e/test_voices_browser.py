"""Voices in a real browser (Debian's chromium through Playwright), at 1280x800
and on a 390x844 touch phone: on the Voices page a voice is renamed (its face's
person takes the name), unlinked from the face the rule gave it and linked by
hand again, merged into another voice and separated again; in the player a
speaker is named in place from its timeline row. Each change shows in the
player's transcript ("Alice: …"). Axe finds no serious or critical violation
on the Voices page, a voice's page and the player's dialog. The sample is
registered and its metadata analysed for real; its transcript, speaker turns
(with voice embeddings) and faces are stored through the real store, so every
expectation is exact: Speaker 1 talks in three turns while one face is on
screen (the rule links them), Speaker 2 in two with nobody shown."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    IPHONE_USER_AGENT,
    PHONE,
    SCREENSHOTS,
    browser_fixture,
    emulated_page,
    open_player,
    sample_server,
    store_transcript,
)
from tests.e2e.layout import boxes, form_rows, same_height, same_row, tall_enough, top_bar_fits
from tests.factories import add_run, payload_for, store_run

LINES = [((300, 1800), "Please pay the invoice before Friday"), ((2300, 3800), "See you at the office"),
         ((4300, 5800), "Friday it is then"), ((6300, 7800), "Bring the receipts")]
TURNS = [(0, 2000, "Speaker 1"), (2000, 4000, "Speaker 2"), (4000, 6000, "Speaker 1"),
         (6000, 8000, "Speaker 2"), (8000, 10_000, "Speaker 1")]
RNG = np.random.default_rng(4)
VOICES = {"Speaker 1": RNG.normal(size=192), "Speaker 2": RNG.normal(size=192)}
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {**PHONE, "user_agent": IPHONE_USER_AGENT},
}


def _unit(v: np.ndarray) -> list[float]:
    return [round(float(x), 5) for x in v / np.linalg.norm(v)]


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_transcript(uow, video_id, LINES)
    store_run(uow, video_id, "speaker.turn", [(s, e) for s, e, _ in TURNS], version="2",
              payloads=[payload_for("speaker.turn", i, speaker=w, embedding=_unit(VOICES[w]))
                        for i, (_, _, w) in enumerate(TURNS)])
    # faces as the worker writes them: a run's clusters joined to library identities
    run = add_run(uow, video_id, "face.detection")
    people = uow.faces.assign("test-faces", {"a": [list(np.eye(128)[1])], "q": [list(np.eye(128)[2])]},
                              0.5, run.run_id)
    bbox = {"x": 100.0, "y": 60.0, "w": 120.0, "h": 120.0}
    shown = [(people["a"], t) for s, e, w in TURNS if w == "Speaker 1" for t in range(s, e, 500)]
    shown += [(people["q"], t) for t in range(10_500, 11_500, 500)]  # in silence
    uow.artifacts.batch_create(run, [{"span_start_ms": t, "span_end_ms": t + 500, "payload": payload_for(
        "face.detection", 0, cluster_id=who, bbox=bbox, frame_number=t // 40)} for who, t in shown])
    uow.runs.complete(run.run_id)


@pytest.fixture
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "voices",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


browser = browser_fixture()


@pytest.fixture(params=["desktop", "phone"])
def page(browser, request):
    with emulated_page(browser, request.node.name, accept_dialogs=True, **DEVICES[request.param]) as pg:
        pg.device = request.param  # type: ignore[attr-defined]
        yield pg


def press(page: Page, locator) -> None:
    """A tap on the phone, a click on the desktop."""
    locator.tap() if page.device == "phone" else locator.click()  # type: ignore[attr-defined]


def no_serious_violation(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    serious = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px screen"


def lines_up(page: Page) -> None:
    """Each form's box or select on its button's row, one height; on the phone each 44px
    tall to tap, and the breadcrumbs' links too, and the top bar fits."""
    phone = page.device == "phone"  # type: ignore[attr-defined]
    for controls in form_rows(page, "main form.inline-form"):
        same_row(controls)
        same_height(controls)
        if phone:
            tall_enough(controls)
    if phone:
        tall_enough(boxes(page, ".crumbs a"))
    top_bar_fits(page, phone)


def voice_ids(base: str, video_id: str) -> dict[str, str]:
    speakers = httpx.get(f"{base}/v1/videos/{video_id}/speakers").json()["speakers"]
    return {s["speaker"]: s["voice_id"] for s in speakers}


def transcript(page: Page, base: str, video_id: str):
    open_player(page, base, video_id)
    lines = page.locator(".transcript-lines .line")
    expect(lines).to_have_count(4)
    return lines


def card(page: Page, heading: str):
    return page.locator(".voice-card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def test_rename_link_merge_on_the_voices_page(server, page):
    base, video_id = server
    page.goto(f"{base}/voices")
    expect(page.get_by_role("heading", name="Voices", level=1)).to_be_visible()
    cards = page.locator(".voice-card")
    expect(cards).to_have_count(2)
    ids = voice_ids(base, video_id)
    one, two = ids["Speaker 1"], ids["Speaker 2"]
    person = httpx.get(f"{base}/v1/voices/{one}").json()["person_id"]
    assert person is not None  # the rule linked Speaker 1 to the face on screen while it speaks
    first = card(page, one)
    expect(first).to_contain_text("linked automatically")
    expect(first).to_contain_text("0:06 talking · 3 turns · 1 video")
    # nobody is on screen while Speaker 2 talks: no link, the people to choose from
    expect(card(page, two).get_by_label("Whose face is it?")).to_be_visible()
    no_serious_violation(page)
    fits_the_screen(page)
    lines_up(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"voices-page-{page.device}.png"), full_page=True)  # type: ignore[attr-defined]
    # the voice's page: its unlink button just after the words it undoes, not at the far edge
    page.goto(f"{base}/voices/{one}")
    said = page.get_by_role("region", name="Face").locator(".voice-person p")
    expect(said).to_contain_text("linked automatically")
    words = said.bounding_box()
    unlink = page.get_by_role("button", name=f"Not {person}'s voice: unlink").bounding_box()
    assert words and unlink
    beside = unlink["x"] - (words["x"] + words["width"]) <= 24
    assert beside or unlink["y"] >= words["y"] + words["height"] - 1, (words, unlink)
    fits_the_screen(page)
    lines_up(page)
    page.goto(f"{base}/voices")

    # rename: the voice and its face's person are both Alice
    first.get_by_label(f"Name for {one} and its person").fill("Alice")
    press(page, first.get_by_role("button", name="Save name"))
    alice = card(page, "Alice")
    expect(alice).to_be_visible()
    assert httpx.get(f"{base}/v1/people/{person}").json()["name"] == "Alice"
    # unlink, then link again by hand
    press(page, alice.get_by_role("button", name="Not Alice's voice: unlink"))
    unlinked = card(page, one)
    expect(unlinked.get_by_label("Whose face is it?")).to_be_visible()
    assert httpx.get(f"{base}/v1/voices/{one}").json()["person_id"] is None
    unlinked.get_by_label("Whose face is it?").select_option(person)
    press(page, unlinked.get_by_role("button", name="Link"))
    expect(card(page, "Alice")).to_contain_text("linked by you")
    page.goto(f"{base}/people/{person}")  # her page names her voice
    expect(page.get_by_role("button", name="Play the appearance")).to_be_visible()  # not "Play all 1 …"
    lines_up(page)
    voice = page.get_by_role("region", name="Voice")
    expect(voice).to_contain_text(f"{one} · 0:06 talking · 3 turns · 1 video · linked by you")
    expect(voice.get_by_role("link", name=one)).to_have_attribute("href", f"/voices/{one}")
    lines = transcript(page, base, video_id)
    expect(lines.nth(0)).to_contain_text("Alice: Please pay the invoice")
    expect(lines.nth(1)).to_contain_text(f"{two}: See you at the office")

    # merge Speaker 2's voice into Alice: all four lines are hers; separated, not any more
    page.goto(f"{base}/voices")
    other = card(page, two)
    other.get_by_label("Same voice as").select_option(one)
    press(page, other.get_by_role("button", name="Merge"))
    expect(page.locator(".voice-card")).to_have_count(1)
    expect(card(page, "Alice")).to_contain_text(f"Includes {two}")
    expect(card(page, "Alice")).to_contain_text("5 turns")
    lines = transcript(page, base, video_id)
    expect(lines.nth(1)).to_contain_text("Alice: See you at the office")
    expect(lines.nth(3)).to_contain_text("Alice: Bring the receipts")
    page.goto(f"{base}/voices")
    press(page, card(page, "Alice").get_by_role("button", name=f"Separate {two} again"))
    expect(page.locator(".voice-card")).to_have_count(2)
    lines = transcript(page, base, video_id)
    expect(lines.nth(1)).to_contain_text(f"{two}: See you at the office")
    expect(lines.nth(0)).to_contain_text("Alice: Please pay the invoice")


def test_a_speaker_named_in_the_player_and_its_turns(server, page):
    base, video_id = server
    two = voice_ids(base, video_id)["Speaker 2"]
    open_player(page, base, video_id)
    name = page.get_by_role("button", name=f"Name the speaker {two}")
    name.scroll_into_view_if_needed()
    press(page, name)
    dialog = page.get_by_role("dialog", name=f"Who is “{two}”?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("0:04 talking (40 % of the talk) · 2 turns · first at 0:02")
    no_serious_violation(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"speaker-dialog-{page.device}.png"))  # type: ignore[attr-defined]
    dialog.get_by_label("Name").fill("Bob")
    press(page, dialog.get_by_role("button", name="Save name"))
    expect(dialog).to_have_count(0)
    lines = page.locator(".transcript-lines .line")
    expect(lines.nth(1)).to_contain_text("Bob: See you at the office")
    expect(lines.nth(3)).to_contain_text("Bob: Bring the receipts")
    expect(page.locator('.tl-row[data-row="speaker:Speaker 2"]')).to_have_count(1)
    expect(page.get_by_role("group", name="Speaker: Bob")).to_have_count(1)
    assert httpx.get(f"{base}/v1/voices/Bob").json()["voice_id"] == two

    # Bob's page: his talk time and turns; a turn plays in the player at its time
    page.goto(f"{base}/voices/{two}")
    expect(page.get_by_role("heading", name="Bob", level=1)).to_be_visible()
    expect(page.locator(".voice-head")).to_contain_text("0:04 talking · 2 turns in 1 video")
    turns = page.locator(".voice-turns a")
    expect(turns).to_have_count(2)
    expect(turns.nth(1)).to_have_accessible_name("Play 0:06–0:08 in sample.mp4")
    no_serious_violation(page)
    fits_the_screen(page)
    page.screenshot(path=str(SCREENSHOTS / f"voice-page-{page.device}.png"), full_page=True)  # type: ignore[attr-defined]
    press(page, turns.nth(1))
    page.wait_for_url(f"**/videos/{video_id}?t=*")
    expect(page.locator(".queue-bar")).to_contain_text("Bob")
    page.wait_for_function("() => { const v = document.querySelector('video'); "
                           "return v && v.currentTime >= 4.9 && v.currentTime < 8; }")
