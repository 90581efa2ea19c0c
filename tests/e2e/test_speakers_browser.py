"""Speakers in the player, in Debian's chromium (Playwright): the transcript
says who speaks each line ("Speaker 1: …", a colour per speaker), the
timeline has a row per speaker, the insights list each speaker's talk time
and turns; the page passes axe. The sample is registered and its metadata
analysed for real; its transcript and speaker turns are stored through the
real store (known spans), so every expectation is exact."""

from __future__ import annotations

import uuid

import pytest
from eioku.store.uow import UnitOfWork
from playwright.sync_api import expect

from tests.e2e.browser import checked_page, chromium, sample_server, serious_violations, store_transcript
from tests.factories import payload_for, store_run

LINES = [((500, 2500), "Please pay the invoice before Friday"), ((3000, 5000), "See you at the office"),
         ((5500, 8000), "Friday it is then")]
TURNS = [(0, 2800, "Speaker 1"), (2800, 5200, "Speaker 2"), (5200, 9000, "Speaker 1")]


def store_findings(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    store_transcript(uow, video_id, LINES)
    store_run(uow, video_id, "speaker.turn", [(s, e) for s, e, _ in TURNS],
              payloads=[payload_for("speaker.turn", i, speaker=w) for i, (_, _, w) in enumerate(TURNS)])


@pytest.fixture(scope="module")
def server(pg_cluster, template_db, tmp_path_factory):
    with sample_server(pg_cluster, template_db, tmp_path_factory, "speakers",
                       store_findings) as (_, _, base, video_id):
        yield base, video_id


def test_transcript_timeline_and_insights_say_who_speaks(server, request):
    base, video_id = server
    with chromium() as browser, checked_page(browser, request.node.name, 1280, 800) as page:
        page.goto(f"{base}/videos/{video_id}")
        expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        lines = page.locator(".transcript-lines .line")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_contain_text("Speaker 1: Please pay the invoice")
        expect(lines.nth(1)).to_contain_text("Speaker 2: See you at the office")
        expect(lines.nth(2)).to_contain_text("Speaker 1: Friday it is then")
        colours = [lines.nth(i).locator(".speaker").evaluate("e => getComputedStyle(e).color")
                   for i in range(3)]
        assert colours[0] == colours[2] != colours[1]
        # a row per speaker, named as a speaker for a screen reader
        expect(page.locator('.tl-row[data-row="speaker:Speaker 1"]')).to_have_count(1)
        expect(page.get_by_role("group", name="Speaker: Speaker 2")).to_have_count(1)
        # talk time: Speaker 1 talks 2.8 + 3.8 s of 9 s, in two turns
        speakers = page.locator('.ins-group[data-kind="speaker"] .ins-entry')
        expect(speakers).to_have_count(2)
        expect(speakers.nth(0)).to_contain_text("Speaker 1")
        expect(speakers.nth(0)).to_contain_text("(73 % of the talk) · 2 turns")
        expect(speakers.nth(1)).to_contain_text("(27 % of the talk) · 1 turn")
        assert not (serious := serious_violations(page)), serious
