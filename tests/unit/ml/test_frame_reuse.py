"""What the objects and OCR analyzers take over from the last sample of a shot
(eioku_ml/analyzers/reuse.py, ocr_lines.py) and what they never do: a frame
that is the last one's (to the noise of compression) is not looked at again,
a line of text whose pixels did not change is not read again, but a changed
character, a moved picture or a cut makes the model run."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from eioku_ml.analyzers import ocr_lines, reuse
from eioku_ml.analyzers.objects import ObjectAnalyzer
from eioku_ml.analyzers.ocr import OcrAnalyzer
from eioku_ml.media.decode import Frame
from eioku_ml.media.framepass import PassState
from skimage import data

pytestmark = pytest.mark.models


def noisy(image: np.ndarray, seed: int, level: int = 3) -> np.ndarray:
    """The picture with the noise a video codec leaves (± ``level`` grey levels)."""
    rng = np.random.default_rng(seed)
    return np.clip(image.astype(np.int16) + rng.integers(-level, level + 1, image.shape),
                   0, 255).astype(np.uint8)


def screen(text: str, shift: int = 0, width: int = 960) -> np.ndarray:
    """A BGR frame: a photo (moved ``shift`` pixels) with ``text`` on a white box."""
    photo = cv2.resize(data.astronaut()[:, :, ::-1], (width + 200, width * 9 // 16 + 200))
    frame = np.ascontiguousarray(photo[100:100 + width * 9 // 16, 100 + shift:100 + shift + width])
    cv2.rectangle(frame, (180, 360), (780, 460), (255, 255, 255), -1)
    cv2.putText(frame, text, (200, 430), cv2.FONT_HERSHEY_SIMPLEX, 1.8, (0, 0, 0), 4)
    return frame


def test_a_still_frame_is_the_same_and_a_changed_character_is_not():
    a = reuse.thumb(screen("TOTAL 1250"))
    assert reuse.same_pixels(reuse.thumb(noisy(screen("TOTAL 1250"), 1)), a)
    assert not reuse.same_pixels(reuse.thumb(screen("TOTAL 1258")), a)  # one digit
    assert not reuse.same_pixels(reuse.thumb(screen("TOTAL 1250.")), a)  # one dot more
    assert not reuse.same_pixels(reuse.thumb(screen("TOTAL 1250", shift=4)), a)  # a slow pan


@pytest.fixture(scope="module")
def reader() -> ocr_lines.LineReader:
    ocr = OcrAnalyzer({"det_side_len": 480, "use_cls": False, "reuse_lines": True, "threads": 1})
    ocr.ensure_loaded()
    assert ocr._lines is not None
    return ocr._lines


def texts(found) -> list[str]:
    return [text for text, score, _ in found if score >= 0.8]


def test_ocr_sessions_do_not_spin(reader):
    sessions = ocr_lines.sessions(reader.engine)
    assert len(sessions) == 2  # detector and recogniser (no angle model)
    for session in sessions:
        options = session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert options.intra_op_num_threads == 1


def test_a_line_is_read_once_while_it_stays(reader):
    reader.forget()
    first = texts(reader(screen("TOTAL 1250")))
    assert "TOTAL 1250" in first
    read = reader.read
    # the picture behind the box pans: the line stays, its box may move a little
    again = texts(reader(noisy(screen("TOTAL 1250", shift=6), 2)))
    assert "TOTAL 1250" in again
    assert reader.read - read < len(first)  # the invoice line was taken over, not read again


@pytest.mark.parametrize("change", ["TOTAL 1258", "TOTAL 12500", "TOTAL 1250 EUR"])
def test_a_changed_character_is_read_again(reader, change):
    reader.forget()
    assert "TOTAL 1250" in texts(reader(screen("TOTAL 1250")))
    assert change in texts(reader(noisy(screen(change), 3)))


def test_a_cut_forgets_the_lines(reader):
    reader.forget()
    reader(screen("EXIT 4"))
    read = reader.read
    reader.forget()
    assert "EXIT 4" in texts(reader(screen("EXIT 4")))
    assert reader.read > read


def test_the_same_text_as_reading_every_frame_again(reader):
    """Over a run of frames (a pan, a changed line, a still stretch), the lines
    taken over are those reading every frame again gives."""
    frames = [screen("ROOM 4B", shift=s) for s in (0, 3, 6)] + \
        [noisy(screen("ROOM 5C", shift=6), k) for k in range(3)]
    reader.forget()
    kept = [texts(reader(f)) for f in frames]
    fresh = []
    for f in frames:
        reader.forget()
        fresh.append(texts(reader(f)))
    assert kept == fresh
    assert any("ROOM 5C" in k for k in kept)


class _Counting:
    """The real SSD detector, counting its calls."""

    def __init__(self, detector) -> None:
        self.detector, self.calls = detector, 0

    def __call__(self, image):
        self.calls += 1
        return self.detector(image)


def _objects(config: dict, cuts: list[int]) -> tuple[ObjectAnalyzer, _Counting]:
    analyzer = ObjectAnalyzer({"interval_ms": 1000, "width": 640, **config})
    analyzer.ensure_loaded()
    analyzer.known_starts, analyzer.last_sample = [0], -1
    analyzer.begin(PassState(cuts_ms=cuts))
    counting = _Counting(analyzer.detector)
    analyzer.detector = counting
    return analyzer, counting


def test_objects_on_a_still_camera_run_once_per_still_stretch():
    photo = np.ascontiguousarray(cv2.resize(data.astronaut(), (640, 360)))  # RGB
    moved = np.ascontiguousarray(cv2.resize(data.astronaut()[20:, 30:], (640, 360)))
    frames = [photo, noisy(photo, 1), noisy(photo, 2), moved, noisy(moved, 3), noisy(moved, 4)]
    reusing, calls = _objects({"reuse_still": True}, cuts=[5000])
    every, _ = _objects({}, cuts=[5000])
    found = [reusing.observe(Frame(i, i * 1000, f)) for i, f in enumerate(frames)]
    fresh = [every.observe(Frame(i, i * 1000, f)) for i, f in enumerate(frames)]
    # SSD on frame 0 (the anchor), 3 and 4 (the picture moved: each alone) and 5 (a new shot)
    assert calls.calls == 4 and reusing.reused == 2
    assert found[1] == found[2] == found[0] and found[3] != found[0]
    for ours, theirs in zip(found, fresh, strict=True):  # what SSD finds on each, to its noise
        assert {label for label, score, _ in ours if score >= 0.5} == \
            {label for label, score, _ in theirs if score >= 0.5}
    assert any(label == "person" for label, _, _ in found[0])


def test_a_still_video_in_chunks_finds_what_a_whole_pass_finds(tmp_path):
    """A still camera (noise only) whose picture moves once: in chunks (each
    seeing its first anchor in the frames before it) the same raw detections,
    sample by sample, as one pass over the whole video, and most samples reused."""
    import av
    from eioku_ml.analyzers.base import MediaInput
    from eioku_ml.media.decode import probe
    from eioku_ml.media.framepass import run_pass

    photo = cv2.resize(data.astronaut(), (640, 360))
    moved = cv2.resize(data.astronaut()[40:, 60:], (640, 360))
    path = tmp_path / "still.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for i in range(240):  # 24 s: the picture moves at 14 s
            image = noisy(photo if i < 140 else moved, i, 2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    media = MediaInput(path, probe(path))

    def observations(window):
        analyzer = ObjectAnalyzer({"interval_ms": 1000, "width": 640, "reuse_still": True,
                                   "refresh_ms": 5000})
        analyzer.ensure_loaded()
        analyzer.start(media, {})
        result = run_pass(path, {"objects": analyzer}, duration_s=media.probe.duration_s,
                          window=window)["objects"]
        assert result.error is None
        return result.partial["observations"], analyzer.reused

    whole, reused = observations((0, 24000))
    parts = [observations(w) for w in ((0, 7300), (7300, 16600), (16600, 24000))]
    chunked = {t: found for part, _ in parts for t, _, found in part}
    # a chunk also samples its first frame (7.3 s, 16.6 s); every other sample is the same
    assert set(chunked) - {t for t, _, _ in whole} == {7300, 16600}
    assert all(chunked[t] == found for t, _, found in whole)
    assert reused >= 12 and any(label == "person" for label, _, _ in whole[0][2])


def test_ocr_reads_each_slide_of_a_still_shot(tmp_path):
    """A still shot (a photo with camera noise) whose text box changes every
    4 s: every line is found in its own span. Version 1's whole-frame check (the
    mean of a 64x36 thumbnail) took a changed box for the same frame."""
    import av
    from eioku.services.pipeline import ANALYZERS
    from eioku_ml.analyzers.base import MediaInput
    from eioku_ml.media.decode import probe

    slides = ["Q AND A", "THANK YOU", "SLIDE 6"]
    path = tmp_path / "slides.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for i in range(120):
            image = noisy(screen(slides[i // 40], width=1280), i, 2)[:, :, ::-1]  # BGR -> RGB
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image),
                                                                   format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    media = MediaInput(path, probe(path))

    def spans(config):
        items = OcrAnalyzer(config).analyze(media, lambda _: None, {"scenes": []})
        return {i.payload["text"]: (i.span_start_ms, i.span_end_ms) for i in items}

    found = spans(ANALYZERS["ocr"].config("fast"))
    old = spans({k: v for k, v in ANALYZERS["ocr"].config("fast").items() if k != "reuse_lines"})
    print(f"\nslides read: version 2 {sorted(found)}, version 1 {sorted(old)}")
    for k, text in enumerate(slides):
        start, end = found[text]
        assert abs(start - 4000 * k) <= 2000 and abs(end - 4000 * (k + 1)) <= 2000, (text, found)
