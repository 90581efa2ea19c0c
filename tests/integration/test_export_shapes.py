"""Exports of what real files carry (``media.clips``, ``media.images``): a
phone's display matrix, anamorphic pixels, HEVC's sample entry and variable
frame rates. Each file is generated with PyAV; each test looks at the picture
or the bytes a user's player would get."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from eioku.media import clips
from eioku.media.frames import frame_at, video_facts
from eioku.media.images import build_trickplay, thumbnail
from PIL import Image

from tests.media import as_phone_portrait, encode_video, make_clip, sample_entries

CODED = (96, 48)  # a phone's coded picture: landscape, shown upright through its matrix


def _marked(n: int, size: tuple[int, int] = CODED):
    """Black frames with a white block in the coded top-left corner."""
    for _ in range(n):
        image = np.zeros((size[1], size[0], 3), np.uint8)
        image[: size[1] // 3, : size[1] // 3] = 255
        yield image


def _bright_corner(image: np.ndarray) -> str:
    h, w = image.shape[:2]
    gray = image if image.ndim == 2 else image.mean(axis=2)
    corners = {"top-left": gray[: h // 4, : w // 4], "top-right": gray[: h // 4, -(w // 4):],
               "bottom-left": gray[-(h // 4):, : w // 4], "bottom-right": gray[-(h // 4):, -(w // 4):]}
    return max(corners, key=lambda k: corners[k].mean())


def _first_frame(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as container:
        return next(container.decode(video=0))


@pytest.fixture
def phone(tmp_path: Path) -> Path:
    # a keyframe every 10 frames: a clip from 0 is copied, one from 40 ms re-encoded
    coded = encode_video(tmp_path / "coded.mp4", _marked(30), size=CODED,
                         options={"g": "10", "keyint_min": "10", "sc_threshold": "0"})
    return as_phone_portrait(coded, tmp_path / "phone.mp4")


def test_a_phone_clip_is_upright_whether_copied_or_reencoded(phone, tmp_path):
    # shown upright, the coded top-left corner is at the top right (a quarter turn clockwise)
    assert _bright_corner(np.asarray(frame_at(phone, 0))) == "top-right"

    copied = tmp_path / "copied.mp4"
    assert clips.make_clip(phone, copied, 0, 800) == "copy"
    frame = _first_frame(copied)  # the packets as they were, the matrix kept beside them
    assert ((frame.width, frame.height), frame.rotation) == (CODED, -90)
    assert _bright_corner(np.asarray(frame_at(copied, 0))) == "top-right"

    reencoded = tmp_path / "reencoded.mp4"
    assert clips.make_clip(phone, reencoded, 40, 800) == "reencode"
    frame = _first_frame(reencoded)  # the picture itself turned: no matrix needed
    assert ((frame.width, frame.height), frame.rotation) == ((48, 96), 0)
    assert _bright_corner(frame.to_ndarray(format="rgb24")) == "top-right"


@pytest.mark.parametrize("container", ["mp4", "matroska"])
def test_a_copied_hevc_clip_is_tagged_hvc1_and_decodes(tmp_path, container):
    """FFmpeg writes HEVC in MP4 as ``hev1``, which Apple's players refuse. From
    Matroska (no decode times for the first B-frames) no frame may be lost."""
    source = encode_video(tmp_path / f"hevc.{'mkv' if container == 'matroska' else 'mp4'}",
                          (np.full((96, 128, 3), i * 4, np.uint8) for i in range(50)),
                          codec="libx265", size=(128, 96),
                          options={"x265-params": "log-level=error:keyint=25"})
    if container == "mp4":
        assert sample_entries(source) == ["hev1"]
    out = tmp_path / "clip.mp4"
    assert clips.make_clip(source, out, 0, 1000) == "copy"
    assert sample_entries(out) == ["hvc1"]
    with av.open(str(out)) as clip:
        assert len(list(clip.decode(video=0))) == 25


ANAMORPHIC = Fraction(64, 45)  # a 720x576 PAL recording shown 16:9


@pytest.fixture
def anamorphic(tmp_path: Path) -> Path:
    """720x576 coded, shown 1024x576; a white block 180 coded pixels wide and
    256 tall, which is shown square (180 * 64/45 = 256)."""
    image = np.zeros((576, 720, 3), np.uint8)
    image[160:416, 270:450] = 255
    return encode_video(tmp_path / "pal.mp4", [image] * 30, size=(720, 576), sar=ANAMORPHIC,
                        options={"g": "10", "keyint_min": "10", "sc_threshold": "0"})


def _block_shape(image: np.ndarray, pixel: Fraction = Fraction(1)) -> float:
    """Width / height of the white block as shown (pixels of shape ``pixel``)."""
    gray = image if image.ndim == 2 else image.mean(axis=2)
    rows, cols = np.nonzero(gray > 128)
    return float((cols.max() - cols.min() + 1) * pixel / (rows.max() - rows.min() + 1))


def test_anamorphic_video_is_shown_at_its_display_aspect(anamorphic, tmp_path):
    facts = video_facts(anamorphic)
    assert (facts.width, facts.height) == (720, 576)  # the analysers' frames: coded pixels
    assert (facts.display_width, facts.display_height) == (1024, 576)

    assert frame_at(anamorphic, 400).size == (1024, 576)
    thumbnail(anamorphic, 400, 320, tmp_path / "thumb.jpg")
    with Image.open(tmp_path / "thumb.jpg") as thumb:
        assert thumb.size == (320, 180)
        assert _block_shape(np.asarray(thumb)) == pytest.approx(1.0, abs=0.05)

    sheets = tmp_path / "trickplay"
    sheets.mkdir()
    build_trickplay(anamorphic, sheets)
    assert "#xywh=0,0,160,90" in (sheets / "thumbnails.vtt").read_text()
    with Image.open(sheets / "0.jpg") as sheet:
        assert _block_shape(np.asarray(sheet.crop((0, 0, 160, 90)))) == pytest.approx(1.0, abs=0.08)


@pytest.mark.parametrize(("from_ms", "method"), [(0, "copy"), (40, "reencode")])
def test_an_anamorphic_clip_keeps_its_pixel_shape(anamorphic, tmp_path, from_ms, method):
    out = tmp_path / "clip.mp4"
    assert clips.make_clip(anamorphic, out, from_ms, 800) == method
    with av.open(str(out)) as clip:
        stream = clip.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (720, 576)
        assert stream.sample_aspect_ratio == ANAMORPHIC
        coded = next(clip.decode(stream)).to_ndarray(format="gray")
    assert _block_shape(coded, stream.sample_aspect_ratio) == pytest.approx(1.0, abs=0.05)
    assert video_facts(out).display_width == 1024


def test_a_turned_anamorphic_clip_turns_its_pixel_shape_too(tmp_path):
    """Turned a quarter, wide pixels become tall ones: the SAR is inverted."""
    image = np.zeros((48, 96, 3), np.uint8)
    coded = encode_video(tmp_path / "coded.mp4", [image] * 10, size=(96, 48), sar=Fraction(2, 1))
    phone = as_phone_portrait(coded, tmp_path / "phone.mp4")
    assert (video_facts(phone).display_width, video_facts(phone).display_height) == (48, 192)
    out = tmp_path / "clip.mp4"
    assert clips.make_clip(phone, out, 40, 400) == "reencode"
    with av.open(str(out)) as clip:
        stream = clip.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (48, 96)
        assert stream.sample_aspect_ratio == Fraction(1, 2)


def test_a_clip_of_variable_frame_rate_video_plays_at_its_own_speed(tmp_path):
    """50 frames a second for 4 s, then 5 a second: re-encoding at the average
    rate made a 4 s range 6.6 s long (slow motion). Frames keep their times."""
    times = [i * 20 for i in range(200)] + [4000 + i * 200 for i in range(20)]
    source = encode_video(tmp_path / "vfr.mp4", (np.full((48, 64, 3), i % 256, np.uint8)
                                                 for i in range(len(times))),
                          size=(64, 48), times_ms=times)
    out = tmp_path / "clip.mp4"
    assert clips.make_clip(source, out, 100, 4100) == "reencode"
    with av.open(str(out)) as clip:
        duration = clip.duration / av.time_base
        frames = [f.time for f in clip.decode(video=0)]
    assert len(frames) == 196  # 0.1 .. 3.98 s every 20 ms, and 4.0 s
    assert duration == pytest.approx(4.0, abs=0.2)  # the range, within a frame of the slow part
    assert frames[-1] - frames[0] == pytest.approx(3.9, abs=0.001)
    assert frames[95] - frames[0] == pytest.approx(1.9, abs=0.001)  # the frame shot at 2.0 s


def test_a_square_pixel_file_is_unchanged(tmp_path):
    """No SAR, no matrix: the thumbnail is the coded picture, unscaled."""
    plain = make_clip(tmp_path / "plain.mp4", _marked(5, (160, 96)), size=(160, 96))
    assert frame_at(plain, 0).size == (160, 96)
    facts = video_facts(plain)
    assert (facts.display_width, facts.display_height) == (160, 96)
