"""Playback copies: how fast a worker makes them (ml_service/eioku_ml/media/playback.py).

- a **proxy** of a minute of 720p HEVC (25 fps, with AAC sound), beside one raw
  decode of the same file (the floor: a proxy decodes it too);
- a **remux** of a minute of 720p H.264 + AAC in MKV into an MP4 with its index first.

Both files are made once from the sample's real footage (tests/data/sample.mp4,
upscaled to 1280x720 and looped) and cached in bench/.cache. Seconds are the
median of a few runs; "x realtime" is the minute divided by them. On the cores
this process may use (2 on the reference machine).

    python -m bench.playback
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import av
from eioku.media.playability import plan
from eioku_ml.media.playback import prepare

from bench.common import print_table, summary, timed

CACHE = Path(__file__).resolve().parent / ".cache"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sample.mp4"
SECONDS = 60
FPS = 25
SIZE = (1280, 720)


def _footage() -> tuple[list[av.VideoFrame], list[av.AudioFrame]]:
    with av.open(str(SAMPLE)) as src:
        pictures = [f.reformat(width=SIZE[0], height=SIZE[1], format="yuv420p") for f in src.decode(video=0)]
    with av.open(str(SAMPLE)) as src:
        sound = list(src.decode(audio=0))
    return pictures, sound


def make_minute(path: Path, video_codec: str, options: dict[str, str]) -> Path:
    """A minute of 720p at 25 fps with AAC sound: the sample's footage looped."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures, sound = _footage()
    partial = path.with_suffix(".part" + path.suffix)
    with av.open(str(partial), "w", format="matroska" if path.suffix == ".mkv" else None) as out:
        video = out.add_stream(video_codec, rate=FPS, options=options)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.time_base = Fraction(1, FPS)
        audio = out.add_stream("aac", rate=sound[0].sample_rate, layout=sound[0].layout.name)
        out.start_encoding()
        resampler = av.AudioResampler(format="fltp", layout=sound[0].layout.name, rate=sound[0].sample_rate,
                                      frame_size=1024)
        loops = -(-SECONDS * FPS // len(pictures))
        written = 0  # audio samples
        for loop in range(loops):
            for i, picture in enumerate(pictures):
                n = loop * len(pictures) + i
                if n >= SECONDS * FPS:
                    break
                frame = av.VideoFrame.from_ndarray(picture.to_ndarray(), format="yuv420p")
                frame.pts, frame.time_base = n, Fraction(1, FPS)
                for packet in video.encode(frame):
                    out.mux(packet)
            for chunk in sound:
                chunk.pts = None
                for piece in resampler.resample(chunk):
                    piece.pts, piece.time_base = written, Fraction(1, piece.sample_rate)
                    written += piece.samples
                    for packet in audio.encode(piece):
                        out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    partial.rename(path)
    return path


def raw_decode(path: Path) -> int:
    with av.open(str(path)) as src:
        stream = src.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in src.decode(stream))


def main(repeats: int = 3) -> dict:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    hevc = make_minute(CACHE / "playback-hevc-720p.mp4", "libx265",
                       {"preset": "fast", "x265-params": "log-level=error"})
    h264 = make_minute(CACHE / "playback-h264-720p.mkv", "libx264", {"preset": "veryfast"})
    out = CACHE / "playback-out"
    out.mkdir(exist_ok=True)
    proxy_plan, remux_plan = plan(hevc), plan(h264)
    assert (proxy_plan.mode, remux_plan.mode) == ("proxy", "remux"), (proxy_plan, remux_plan)
    encoders: list[str | None] = []

    def proxy() -> None:
        encoders.append(prepare(hevc, out / "proxy.mp4", proxy_plan).encoder)

    runs = {
        "raw decode (HEVC 720p)": [timed(lambda: raw_decode(hevc)) for _ in range(repeats)],
        "proxy (HEVC 720p -> H.264 + AAC)": [timed(proxy) for _ in range(max(2, repeats - 1))],
        "remux (H.264 MKV -> MP4)": [timed(lambda: prepare(h264, out / "remux.mp4", remux_plan))
                                     for _ in range(repeats + 2)],
    }
    rows, results = [], {"cores": cores, "seconds_of_video": SECONDS, "encoder": encoders[-1]}
    for name, samples in runs.items():
        low, median, high = summary(samples)
        rows.append([name, f"{median:.2f}", f"{low:.2f}-{high:.2f}", f"{SECONDS / median:.1f}x"])
        results[name] = {"median_s": round(median, 3), "min_s": round(low, 3), "max_s": round(high, 3),
                         "realtime": round(SECONDS / median, 1)}
    print_table(f"Playback copies of a {SECONDS} s 720p video ({cores} cores, {encoders[-1]})",
                ["operation", "median s", "range s", "x realtime"], rows)
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
