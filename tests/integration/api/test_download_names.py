"""Downloads are named after the video (subtitles, export.json, clips), and a
hostile title (quotes, newlines, slashes, any script) can neither break the
Content-Disposition header nor hide a path: RFC 5987 ``filename*`` carries
it, an ASCII ``filename`` stands in for it."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from eioku.api.download import clip_name, clock_part, disposition, stem
from eioku.store.uow import UnitOfWork

from tests.factories import add_video, store_run
from tests.integration.api.test_clips import make_av

HOSTILE = 'Holi"day\r\nX-Evil: 1;東京 été.mp4'


def names(header: str) -> tuple[str, str | None]:
    """(filename, decoded filename*) of a Content-Disposition value."""
    plain = re.search(r'filename="([^"]*)"', header)
    star = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert plain is not None, header
    return plain.group(1), unquote(star.group(1), errors="strict") if star else None


@pytest.mark.parametrize(("title", "expected"), [
    ("holiday.mp4", "holiday"),
    ("holiday", "holiday"),
    ("archive.tar.gz", "archive.tar"),
    (".hidden", "hidden"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\clip.mov", "clip"),
    ("", "video"),
    ("  ..  ", "video"),
    ("東京.mp4", "東京"),
])
def test_stem_is_the_title_without_extension_or_folders(title, expected):
    assert stem(title) == expected


def test_clip_names_carry_the_range():
    assert clock_part(10_000) == "0m10s"
    assert clock_part(85_500) == "1m25.5s"
    assert clip_name("holiday.mp4", 10_000, 25_000) == "holiday.clip-0m10s-0m25s.mp4"


@pytest.mark.parametrize("filename", [
    HOSTILE, "plain.vtt", "東京.srt", 'quote".json', "semi;colon.mp4", "ta\tb.vtt", "\u202eevil.mp4",
])
def test_disposition_cannot_break_the_header(filename):
    value = disposition(filename)["Content-Disposition"]
    assert value.isascii() and not re.search(r"[\x00-\x1f\x7f]", value)
    assert value.startswith("attachment; ")
    plain, star = names(value)
    assert "/" not in plain and "\\" not in plain and plain.strip()
    shown = star if star is not None else plain
    assert not re.search(r'[\x00-\x1f\x7f"/\\]', shown)
    if filename.isascii() and re.fullmatch(r"[\w.-]+", filename):
        assert star is None and plain == filename  # nothing to stand in for


def test_disposition_keeps_a_unicode_name():
    plain, star = names(disposition("東京 été.vtt")["Content-Disposition"])
    assert star == "東京 été.vtt"
    assert plain.endswith(".vtt") and "ete" in plain


def test_subtitles_and_export_are_named_after_the_video(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow, filename=HOSTILE)
        store_run(uow, video.video_id, "transcript.segment", [(0, 1000)])
        uow.commit()
    base = f"/v1/videos/{video.video_id}"
    for path, suffix in (("subtitles.vtt", ".vtt"), ("subtitles.srt", ".srt"),
                         ("export.json", ".export.json")):
        r = client.get(f"{base}/{path}")
        assert r.status_code == 200, r.text
        plain, star = names(r.headers["content-disposition"])
        assert star is not None and star.endswith(suffix)
        assert star == f"Holi_day_X-Evil_ 1_東京 été{suffix}", star
        assert "\n" not in r.headers["content-disposition"]
        assert plain.endswith(suffix) and plain.isascii()
    assert client.get(f"{base.replace(str(video.video_id), '0' * 8 + '-0000-0000-0000-' + '0' * 12)}"
                      "/export.json").status_code == 404


def test_clip_is_named_after_the_video_and_range(client, session_factory, media_root):
    source = make_av(media_root / "holiday.mp4", 3)
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow, path=str(source), filename="Holiday in 東京.mp4")
        uow.commit()
    r = client.get(f"/v1/videos/{video.video_id}/clip", params={"from_ms": 500, "to_ms": 2000})
    assert r.status_code == 200, r.text
    plain, star = names(r.headers["content-disposition"])
    assert star == "Holiday in 東京.clip-0m00.5s-0m02s.mp4"
    assert plain.endswith(".clip-0m00.5s-0m02s.mp4") and plain.startswith("Holiday in")
    again = client.get(f"/v1/videos/{video.video_id}/clip", params={"from_ms": 500, "to_ms": 2000})
    assert again.headers["content-disposition"] == r.headers["content-disposition"]  # cached too


def test_export_limits_say_how_long_a_clip_may_be(client, settings):
    r = client.get("/v1/exports/limits")
    assert r.status_code == 200 and r.json() == {"clip_max_s": settings.clip_max_s}
