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

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.fps = media.probe.fps or 25.0
        self.detector = self._detector(self.fps)
        self.times: list[int] = []
        self.cuts: list[tuple[int, float]] = []  # (frame index, score)

    def take(self, frame: Frame) -> None:
        self.times.append(frame.time_ms)
        found = self.detector.process_frame(FrameTimecode(frame.index, self.fps), frame.image)
        score = float(getattr(self.detector, "_frame_score", 0.0) or 0.0)
        for tc in found:
            if 0 < tc.frame_num < len(self.times):
                self.cuts.append((tc.frame_num, score))
                self.state.cuts_ms.append(self.times[tc.frame_num])

    def finish(self) -> list[Item]:
        end = FrameTimecode(len(self.times), self.fps)
        self.cuts += [(tc.frame_num, 0.0) for tc in self.detector.post_process(end)
                      if 0 < tc.frame_num < len(self.times)]
        return self._scenes(self.times, sorted(set(self.cuts)), self.media.duration_ms)

    def _scenes(self, times: list[int], cuts: list[tuple[int, float]], duration_ms: int) -> list[Item]:
        starts = [(0, 0.0), *[(f, s) for f, s in cuts if f < len(times)]]
        items = []
        end_of_video = max(duration_ms, times[-1] if times else 0)
        for i, (frame, score) in enumerate(starts):
            start = times[frame]
            end = times[starts[i + 1][0]] if i + 1 < len(starts) else end_of_video
            method = self.config.get("detector", "content")
            items.append(Item(start, max(start, end), {
                "scene_index": i, "method": method, "score": round(score, 3), "frame_number": frame}))
        return items
