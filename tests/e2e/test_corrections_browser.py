"""Corrections in Debian's chromium (Playwright), at desktop size (1280x800) and on a
390x844 touch phone: a transcript line is corrected in the page — by pointer and by
keyboard alone — and the transcript and find show the new words; undo brings the
machine's back; a false label is removed from the timeline through its row's dialog
and comes back with the undo bar. axe reports nothing serious or critical, editor
and dialog open. A box at the picture's top edge (the stored ones are 2 px down) has
its label inside the picture, not above it over the video's title.

The sample is registered and its metadata analysed for real; what was "found" in it
is stored through the real store, so every expectation is exact."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from eioku.store.uow import UnitOfWork
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    PHONE,
    browser_fixture,
    page_fixture,
    sample_server,
    store_transcript,
)
from tests.e2e.layout import boxes
from tests.factories import payload_for, store_run

DESKTOP = (1280, 800)
LINES = [((500, 2500), "Please pay the invoice before Fryday"), ((3000, 5000), "See you at the office")]
OBJECTS = [((1000, 4000), "toilet"), ((5000, 8000), "bench")]


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_transcript(uow, video_id, LINES)
    store_run(uow, video_id, "object.detection", [s for s, _ in OBJECTS],
              payloads=[payload_for("object.detection", i, label=label, confidence=0.9)
                        for i, (_, label) in enumerate(OBJECTS)])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "corrections",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


browser = browser_fixture()
page = page_fixture("page", viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
phone = page_fixture("phone", **PHONE)  # a 390x844 touch phone


def open_player(page: Page, base: str, video_id: str) -> None:
    page.goto(f"{base}/videos/{video_id}")
    expect(page.get_by_role("heading", name="Transcript")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Correct the line at"))).to_have_count(len(LINES))


SETTLED = ("() => document.getAnimations().every((a) => a.playState !== 'running') && "
           "['0', '1'].includes(getComputedStyle(document.getElementById('toast')).opacity)")


def no_serious_violation(page: Page) -> None:
    # a message fading in or out (the toast) is measured half transparent: let it settle
    # (a toast asked for a moment ago may start fading in after a first look: look twice)
    for _ in range(2):
        page.wait_for_timeout(250)
        page.wait_for_function(SETTLED)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in serious]


def lines(page: Page):
    return page.locator(".transcript-lines button.line")


def find(page: Page, words: str):
    page.get_by_label("Find", exact=True).fill(words)
    page.get_by_label("Find", exact=True).press("Enter")
    return page.locator(".find .matches button.match")


def machine_text_is_back(base: str, video_id: str) -> None:
    shown = httpx.get(f"{base}/v1/videos/{video_id}/corrections/lines", timeout=30).json()["lines"]
    assert [x["text"] for x in shown] == [t for _, t in LINES]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_box_at_the_top_of_the_picture_keeps_its_label_off_the_title(server, request, size):
    base, video_id = server
    page = request.getfixturevalue("page" if size == "desktop" else "phone")
    page.goto(f"{base}/videos/{video_id}?t=2")
    expect(page.locator(".box", has_text="toilet 90 %")).to_be_visible()
    (label,) = boxes(page, ".box span")
    (picture,) = boxes(page, "video")
    (title,) = boxes(page, ".player-head h1")
    assert picture["top"] <= label["top"] and label["bottom"] <= picture["bottom"], (label, picture)
    assert label["top"] >= title["bottom"], f"the label {label} covers the title {title}"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_line_corrected_in_the_page_is_what_transcript_and_find_show(server, request, size):
    base, video_id = server
    page = request.getfixturevalue("page" if size == "desktop" else "phone")
    open_player(page, base, video_id)
    edit = page.get_by_role("button", name=re.compile("^Correct the line at")).first
    if size == "phone":
        edit.tap()
    else:
        edit.click()
    words = page.get_by_label("Words")
    expect(words).to_be_focused()
    expect(words).to_have_value(LINES[0][1])
    no_serious_violation(page)  # the editor open
    words.fill("Please pay the invoice before Friday noon")
    words.press("Enter")
    expect(lines(page).first).to_contain_text("Please pay the invoice before Friday noon")
    expect(lines(page).first.locator(".corrected-mark")).to_have_text("corrected")
    expect(page.locator(".undo-bar")).to_contain_text("Line corrected.")
    matches = find(page, "noon")
    expect(matches).to_have_count(1)
    expect(matches.first).to_contain_text("Friday noon")
    expect(find(page, "Fryday")).to_have_count(0)
    no_serious_violation(page)
    # undo on the line itself: the machine's words again, in the page and for find
    page.get_by_role("button", name=re.compile("^Undo the correction of the line at")).click()
    expect(lines(page).first).to_contain_text("before Fryday")
    expect(lines(page).first.locator(".corrected-mark")).to_have_count(0)
    matches = find(page, "invoice")  # another query: find lists it afresh
    expect(matches).to_have_count(1)
    expect(matches.first).to_contain_text("before Fryday")
    machine_text_is_back(base, video_id)


def test_keyboard_alone_corrects_timing_cancels_and_undoes(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    edit = page.get_by_role("button", name=re.compile("^Correct the line at")).nth(1)
    edit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Words")).to_be_focused()
    page.keyboard.press("Escape")  # cancel: the line as it was, focus back on its button
    expect(page.get_by_label("Words")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Correct the line at")).nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Start (s)")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("0.2")
    page.keyboard.press("Tab")
    expect(page.get_by_label("End (s)")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("5.5")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Words")).to_have_count(0)
    # the line starts at 0.2 s now: before the other one, and marked as corrected
    expect(lines(page).first).to_contain_text("See you at the office")
    expect(lines(page).first.locator(".corrected-mark")).to_have_count(1)
    shown = httpx.get(f"{base}/v1/videos/{video_id}/corrections/lines", timeout=30).json()["lines"]
    assert (shown[0]["start_ms"], shown[0]["end_ms"]) == (200, 5500)
    # a bad timing is refused with the server's words, in the form
    page.get_by_role("button", name=re.compile("^Correct the line at")).first.press("Enter")
    page.get_by_label("End (s)").fill("0.1")
    page.get_by_label("End (s)").press("Enter")
    expect(page.locator(".line-edit .form-error")).to_contain_text("not after start_ms")
    page.keyboard.press("Escape")
    # Ctrl+Z outside a text field undoes the page's last correction
    page.locator("#main").focus()
    page.keyboard.press("Control+z")
    expect(lines(page).nth(1)).to_contain_text("See you at the office")
    expect(page.locator(".transcript-lines .corrected-mark")).to_have_count(0)
    machine_text_is_back(base, video_id)


def test_a_false_label_is_removed_from_the_timeline_and_comes_back_on_undo(server, page):
    base, video_id = server
    open_player(page, base, video_id)
    row = page.locator(".tl-label.kind-object", has_text="toilet")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Correct the label toilet").click()
    dialog = page.get_by_role("dialog", name="Correct “toilet”")
    expect(dialog).to_be_visible()
    no_serious_violation(page)
    dialog.get_by_role("button", name="Remove “toilet” from this video").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".tl-label.kind-object", has_text="toilet")).to_have_count(0)
    expect(page.locator(".tl-label.kind-object", has_text="bench")).to_have_count(1)
    jump = httpx.get(f"{base}/v1/videos/{video_id}/jump",
                     params={"kind": "object", "label": "toilet", "from_ms": 0}, timeout=30)
    assert jump.status_code == 404
    page.locator(".undo-bar").get_by_role("button", name="Undo").click()
    expect(page.locator(".tl-label.kind-object", has_text="toilet")).to_have_count(1)
    # rename through the dialog's form, by keyboard
    page.locator(".tl-label.kind-object", has_text="bench").get_by_role(
        "button", name="Correct the label bench").click()
    page.get_by_label("Rename to").fill("Bollard")
    page.get_by_label("Rename to").press("Enter")
    expect(page.locator(".tl-label.kind-object", has_text="Bollard")).to_have_count(1)
    page.locator(".undo-bar").get_by_role("button", name="Undo").click()
    expect(page.locator(".tl-label.kind-object", has_text="bench")).to_have_count(1)


def test_a_label_removed_before_the_page_was_opened_is_undone_from_the_corrections_list(server, page):
    base, video_id = server
    r = httpx.post(f"{base}/v1/videos/{video_id}/corrections/labels", timeout=30,
                   json={"artifact_type": "object.detection", "label": "toilet", "action": "remove"})
    assert r.status_code == 201, r.text
    open_player(page, base, video_id)
    expect(page.locator(".tl-label.kind-object", has_text="toilet")).to_have_count(0)
    page.get_by_role("button", name="Corrections", exact=True).click()
    dialog = page.get_by_role("dialog", name="Corrections of this video")
    expect(dialog.get_by_role("listitem")).to_have_count(1)
    expect(dialog).to_contain_text("“toilet” removed · local user")
    no_serious_violation(page)
    dialog.get_by_role("button", name="Undo: “toilet” removed").click()
    expect(dialog).to_contain_text("Nothing corrected")
    expect(page.locator(".tl-label.kind-object", has_text="toilet")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Corrections", exact=True)).to_be_focused()
