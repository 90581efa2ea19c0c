"""scene: one artifact per shot, from PySceneDetect on downscaled frames.

Every frame is seen (scene cuts are frame-accurate), scaled to
``config["width"]`` pixels wide before detection. In a frame pass it goes
first at each frame and announces cuts as it finds them (``state.cuts_ms``).
"""

from __future__ import annotations

from typing import Any

from scenedetect import AdaptiveDetector, ContentDetector
from scenedetect.common import FrameTimecode

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.media.decode import Frame


class SceneAnalyzer(FrameAnalyzer):
    name = "scenes"
    pass_order = 0  # first at every frame: the others learn of a cut at the frame it happens

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 320)), "bgr24")

    def _detector(self, fps: float) -> Any:
        min_len = FrameTimecode(float(self.config.get("min_scene_len_s", 0.6)), fps).frame_num
        if self.config.get("detector") == "adaptive":
            return AdaptiveDetector(adaptive_threshold=float(self.config.get("threshold", 3.0)),
                                    min_scene_len=min_len)
        return ContentDetector(threshold=float(self.config.get("threshold", 27.0)),
                               min_scene_len=min_len)

    # a chunk primes the detector on the seconds before it (a cut is measured
    # against the frames before it, and none comes sooner than min_scene_len
    # after the last) and lets it look a little past its end (the adaptive one
    # decides a frame after seeing the next ones)
    margin_ms = (3000, 1000)

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.fps = media.probe.fps or 25.0
        self.detector = self._detector(self.fps)
        self.times: dict[int, int] = {}  # frame index -> time, of the frames seen
        self.first_ms: int | None = None
        self.last_ms = 0
        self.cuts: list[tuple[int, int, float]] = []  # (time, frame index, score)

    def take(self, frame: Frame) -> None:
        """Each frame goes to the detector in order (it compares a frame with the
        ones before it), so scenes has no per-frame observations: a chunk keeps
        the cuts inside it, and merging chunks joins their cut lists."""
        self.times[frame.index] = frame.time_ms
        if self._inside(frame.time_ms):
            self.first_ms = frame.time_ms if self.first_ms is None else self.first_ms
            self.last_ms = frame.time_ms
        found = self.detector.process_frame(FrameTimecode(frame.index, self.fps), frame.image)
        score = float(getattr(self.detector, "_frame_score", 0.0) or 0.0)
        self._found([tc.frame_num for tc in found], score)

    def _inside(self, time_ms: int) -> bool:
        return self.window is None or self.window[0] <= time_ms < self.window[1]

    def _found(self, frames: list[int], score: float) -> None:
        first = min(self.times, default=0)
        for number in frames:
            t = self.times.get(number)
            if number > first and t is not None and self._inside(t):
                self.cuts.append((t, number, score))
                self.state.cuts_ms.append(t)

    def _flush(self) -> None:
        if self.times:
            end = FrameTimecode(max(self.times) + 1, self.fps)
            self._found([tc.frame_num for tc in self.detector.post_process(end)], 0.0)

    def finish(self) -> list[Item]:
        self._flush()
        return self._scenes(self.first_ms or 0, self.last_ms, self.cuts)

    def partial(self) -> dict[str, Any]:
        self._flush()
        return {"cuts": self.cuts, "first_ms": self.first_ms, "last_ms": self.last_ms}

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        seen = [p for p in partials if p["first_ms"] is not None]
        cuts = [tuple(c) for p in partials for c in p["cuts"]]
        return self._scenes(seen[0]["first_ms"] if seen else 0,
                            max((p["last_ms"] for p in seen), default=0), cuts)

    def _scenes(self, first_ms: int, last_ms: int, cuts: list[Any]) -> list[Item]:
        starts = [(first_ms, 0, 0.0), *sorted(set(cuts))]
        end_of_video = max(self.media.duration_ms, last_ms)
        method = self.config.get("detector", "content")
        return [Item(start, max(start, starts[i + 1][0] if i + 1 < len(starts) else end_of_video), {
            "scene_index": i, "method": method, "score": round(score, 3), "frame_number": frame})
            for i, (start, frame, score) in enumerate(starts)]
