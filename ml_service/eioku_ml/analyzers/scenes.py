"""scene: one artifact per shot, from PySceneDetect on downscaled frames.

Every frame is seen (scene cuts are frame-accurate), scaled to
``config["width"]`` pixels wide before detection.
"""

from __future__ import annotations

from typing import Any

from scenedetect import AdaptiveDetector, ContentDetector
from scenedetect.common import FrameTimecode

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.media.decode import iter_frames


class SceneAnalyzer(Analyzer):
    name = "scenes"

    def _detector(self, fps: float) -> Any:
        min_len = FrameTimecode(float(self.config.get("min_scene_len_s", 0.6)), fps).frame_num
        if self.config.get("detector") == "adaptive":
            return AdaptiveDetector(adaptive_threshold=float(self.config.get("threshold", 3.0)),
                                    min_scene_len=min_len)
        return ContentDetector(threshold=float(self.config.get("threshold", 27.0)),
                               min_scene_len=min_len)

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        fps = media.probe.fps or 25.0
        detector = self._detector(fps)
        times: list[int] = []
        cuts: list[tuple[int, float]] = []  # (frame index, score)
        total = max(1, int(media.probe.duration_s * fps))
        for frame in iter_frames(media.path, width=int(self.config.get("width", 320)),
                                 pixel_format="bgr24"):
            times.append(frame.time_ms)
            found = detector.process_frame(FrameTimecode(frame.index, fps), frame.image)
            score = float(getattr(detector, "_frame_score", 0.0) or 0.0)
            cuts += [(tc.frame_num, score) for tc in found if tc.frame_num > 0]
            if frame.index % 250 == 0:
                progress(min(0.99, frame.index / total))
        cuts += [(tc.frame_num, 0.0) for tc in detector.post_process(FrameTimecode(len(times), fps))
                 if 0 < tc.frame_num < len(times)]
        return self._scenes(times, sorted(set(cuts)), media.duration_ms)

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
