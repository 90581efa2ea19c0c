"""Small fixes of issue 25 (item 16): the global jump's position, SRT markup,
the event stream of a video with no runs and the cap on open streams, and
registration's shortcut for an unchanged file."""

from __future__ import annotations

import re

import srt

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video


def test_global_jump_refuses_from_ms_without_from_video(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "object.detection", [
        (1000, 1500, payload_for("object.detection", label="dog"))])
    r = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 5000})
    assert r.status_code == 422, r.text  # before: the position was silently dropped
    assert r.json()["field"] == "from_ms" and "from_video" in r.json()["detail"]
    both = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 0, "from_video": video})
    assert both.status_code == 200 and both.json()["jump_to"]["start_ms"] == 1000
    neither = client.get("/v1/jump/global", params={"kind": "object"})
    assert neither.status_code == 200


def test_srt_keeps_markup_in_the_words_as_text(client, media_root):
    said = "<i>not italic</i> {\\an8}at the top <font color=red>x</font> & more"
    video = _video(client, media_root)
    _external_run(client, video, "transcript.segment", [
        (0, 2000, payload_for("transcript.segment", text=said))])
    r = client.get(f"/v1/videos/{video}/subtitles.srt")
    assert r.status_code == 200
    body = r.text
    assert not re.search(r"<[/a-zA-Z]", body) and "{\\" not in body  # no tag a player reads
    [cue] = srt.parse(body)
    assert " ".join(cue.content.replace("\u200b", "").split("\n")) == said  # the words as said
    vtt = client.get(f"/v1/videos/{video}/subtitles.vtt").text
    assert "&lt;i&gt;not italic&lt;/i&gt;" in vtt  # WebVTT's own escapes, as before
