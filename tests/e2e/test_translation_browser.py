"""Translated speech in the player: a transcript run made with EIOKU_TRANSLATE
(segments with their English, stored through the real store) — the panel shows
each line's English under it, and the settings menu offers English captions,
which switch the track shown; a video without translations offers nothing."""

from __future__ import annotations

import uuid

import pytest
from eioku.store.uow import UnitOfWork
from playwright.sync_api import expect

from tests.e2e.browser import checked_page, chromium, sample_server, serious_violations, store_transcript
from tests.factories import payload_for, store_run

SPOKEN = [((500, 2500), "Bitte bezahlen Sie die Rechnung", "Please pay the invoice"),
          ((3000, 5000), "OK", None),
          ((5500, 8000), "Bis Freitag", "See you on Friday")]


def translated(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_run(uow, video_id, "transcript.segment", [s for s, *_ in SPOKEN],
              payloads=[payload_for("transcript.segment", i, text=said, language="de",
                                    **({"translation": english} if english else {}))
                        for i, (_, said, english) in enumerate(SPOKEN)])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "translation",
                       translated) as (_, _, base, vid):
        yield base, vid


@pytest.fixture(scope="module")
def plain(pg_cluster, template_db, tmp_path_factory):
    def hello(uow: UnitOfWork, vid: uuid.UUID) -> None:
        store_transcript(uow, vid, [((500, 2500), "Hello there")])

    with sample_server(pg_cluster, template_db, tmp_path_factory, "untranslated", hello) as (_, _, base, vid):
        yield base, vid


def showing(page) -> list[str]:
    return page.evaluate("() => [...document.querySelector('video').textTracks]"
                         ".filter(t => t.kind === 'captions' && t.mode === 'showing').map(t => t.label)")


def test_lines_show_their_english_and_captions_switch(server, request):
    base, video_id = server
    with chromium() as browser, checked_page(browser, request.node.name, 1280, 800) as page:
        page.goto(f"{base}/videos/{video_id}")
        lines = page.locator(".transcript-lines .line")
        expect(lines).to_have_count(3)
        expect(lines.nth(0).locator(".translation")).to_have_text("Please pay the invoice")
        assert lines.nth(0).locator(".translation").get_attribute("lang") == "en"
        expect(lines.nth(1).locator(".translation")).to_have_count(0)
        expect(lines.nth(2)).to_contain_text("Bis Freitag")
        expect(lines.nth(2).locator(".translation")).to_have_text("See you on Friday")
        page.get_by_role("button", name="Captions (c)").click()
        assert showing(page) == ["Transcript"]
        page.get_by_role("button", name="Settings").click()
        choice = page.get_by_label("Captions", exact=True)
        expect(choice).to_be_visible()
        choice.select_option("english")
        page.wait_for_function("() => [...document.querySelector('video').textTracks]"
                               ".some(t => t.label === 'English (translated)' && t.mode === 'showing')")
        assert showing(page) == ["English (translated)"]
        cues = page.evaluate("() => new Promise((done) => { const t = [...document.querySelector('video')"
                             ".textTracks].find(t => t.label === 'English (translated)'); "
                             "const read = () => t.cues && t.cues.length "
                             "? done([...t.cues].map(c => c.text)) : setTimeout(read, 50); read(); })")
        assert cues == ["Please pay the invoice", "OK", "See you on Friday"]
        # off and on again: still English; the choice is kept for the next page
        captions = page.get_by_role("button", name="Captions (c)")
        captions.click()
        assert showing(page) == []
        captions.click()
        assert showing(page) == ["English (translated)"]
        page.reload()
        expect(page.locator(".transcript-lines .translation")).to_have_count(2)
        page.wait_for_function("() => [...document.querySelector('video').textTracks]"
                               ".some(t => t.label === 'English (translated)' && t.mode === 'showing')")
        assert not (serious := serious_violations(page)), serious


def test_without_translations_nothing_is_offered(plain, request):
    base, video_id = plain
    with chromium() as browser, checked_page(browser, request.node.name, 1280, 800) as page:
        page.goto(f"{base}/videos/{video_id}")
        expect(page.locator(".transcript-lines .line")).to_have_count(1)
        page.get_by_role("button", name="Settings").click()
        expect(page.get_by_label("Speed")).to_be_visible()
        expect(page.get_by_label("Captions", exact=True)).to_be_hidden()
        page.get_by_role("button", name="Captions (c)").click()
        assert showing(page) == ["Transcript"]
