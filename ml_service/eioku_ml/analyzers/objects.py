"""object.detection: objects in sampled frames, decided shot by shot.

The detector is SSD-MobileNet-v2 COCO (default) or an ultralytics YOLO
weights file the user names (``engine: ultralytics-yolo``, see
``detectors.py``). Frames are sampled every ``interval_ms`` and at the start
of every shot; each sample's raw detections (from ``raw_min_confidence``) are
kept, and at the end each shot's are decided together
(``object_filter.decide``): tracked, held to per-class thresholds, asked to
persist, and checked against the rest of the shot. One artifact per kept
object (track): its span runs from its first to its last sample in the shot,
its payload names its best detection and lists every raw detection it was
made of (``frames``, schema v2); the tracks it dropped are counted per label
and reason in the run's config (``dropped``). Version 1 stored every raw detection over
``min_confidence`` as its own artifact.

With ``reuse_still`` (version 3), a sample whose picture is that of its
stretch's anchor (a still camera: a lecture, an interview, a screen
recording; judged cell by cell, ``reuse.py``) takes the anchor's detections
instead of running SSD again: on such footage SSD would find the same. The
anchor is the first sample at or after the last line of a ``refresh_ms``
grid or the last shot start, so what a sample takes over is at most
``refresh_ms`` old, and a chunk of a long video (which also sees its first
anchor in the frames before it, ``margin_ms``) finds what a whole pass
finds. ``threads`` sets OpenCV's threads for the process (the frame
pass runs each analyzer in a thread of its own, and OpenCV's own pool on top
of that only adds the cost of its threads waiting for each other).
"""

from __future__ import annotations

import bisect
from typing import Any

import cv2
from eioku.config import get_settings

from eioku_ml.analyzers import object_filter, reuse
from eioku_ml.analyzers.base import FrameWant, Item, MediaInput, ShotSampling
from eioku_ml.analyzers.detectors import Detector, SsdMobileNet, UltralyticsYolo
from eioku_ml.media.decode import Frame

iou = object_filter.iou  # kept for callers of the version 1 module


class ObjectAnalyzer(ShotSampling):
    name = "objects"

    def load(self) -> None:
        self.default = float(self.config.get("min_confidence", 0.5))
        raw = float(self.config.get("raw_min_confidence", object_filter.FLOOR))
        self.floor = min(raw, self.default)
        self.detector: Detector
        if self.config.get("engine") == "ultralytics-yolo":
            self.detector = UltralyticsYolo(
                str(self.config["weights"]), self.floor,
                int(self.config.get("width", 640)), get_settings().data_dir / "ultralytics")
            self.table: dict[str, float] = {}  # the calibrated table is SSD's
        else:
            self.detector = SsdMobileNet(self.floor)
            self.table = object_filter.THRESHOLDS
        if self.config.get("threads"):
            cv2.setNumThreads(int(self.config["threads"]))
        self.refresh = int(self.config.get("refresh_ms", 10000))
        if self.config.get("reuse_still"):  # a chunk sees its first anchor (see warm)
            self.margin_ms = (self.refresh + 1000, 0)

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 640)), "rgb24",
                         int(self.config.get("interval_ms", 500)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.samples: list[object_filter.Sample] = []
        self.dropped: dict[str, dict[str, int]] = {}

    def begin(self, state: Any, window: tuple[int, int] | None = None) -> None:
        super().begin(state, window)
        self.anchor: tuple[int, Any, list[tuple[str, float, dict[str, float]]]] | None = None
        self.reused = 0  # samples that took an anchor's detections (for measurements)

    def _anchor_ms(self, time_ms: int) -> int:
        """Where the still stretch of a sample at ``time_ms`` may begin: the last
        line of the ``refresh_ms`` grid or the last shot start, whichever is later."""
        grid = time_ms // self.refresh * self.refresh
        return max([grid, *(c for c in (*self.known_starts, *self.state.cuts_ms) if c <= time_ms)])

    def _detect(self, image: Any) -> list[tuple[str, float, dict[str, float]]]:
        return [(label, round(conf, 4), box) for label, conf, box in self.detector(image)]

    def warm(self, frame: Frame) -> None:
        """A frame before a chunk: the anchor of the chunk's first samples, when it
        is one (the first frame at or after an anchor time), is detected here, so a
        chunk reuses what a whole pass would."""
        if not self.config.get("reuse_still") or self.window is None:
            return
        at = self._anchor_ms(frame.time_ms)
        # anchors in the margin's first second are not needed (a grid line follows within
        # the margin) and the cuts there may not be known
        if at > self.window[0] - self.margin_ms[0] + 1000 and (self.anchor is None or self.anchor[0] != at):
            self.anchor = (at, reuse.thumb(frame.image), self._detect(frame.image))

    def observe(self, frame: Frame) -> list[tuple[str, float, dict[str, float]]]:
        """The raw detections of one frame. With ``reuse_still``, the first sample
        at or after an anchor time (see :meth:`_anchor_ms`) is detected and
        anchors a still stretch; a later sample of the stretch whose picture is,
        cell by cell, the anchor's (``reuse``: a still camera) has the anchor's
        detections. A sample that differs is detected alone (it anchors nothing)."""
        if not self.config.get("reuse_still"):
            return self._detect(frame.image)
        at, thumb = self._anchor_ms(frame.time_ms), reuse.thumb(frame.image)
        if self.anchor is not None and self.anchor[0] == at:
            if reuse.same_pixels(thumb, self.anchor[1]):
                self.reused += 1
                return self.anchor[2]
            return self._detect(frame.image)
        found = self._detect(frame.image)
        self.anchor = (at, thumb, found)
        return found

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        self.samples.append(object_filter.Sample(
            time_ms, index, [(label, float(conf), box) for label, conf, box in observation]))

    def shots(self) -> list[list[object_filter.Sample]]:
        """The samples grouped by shot (cuts from the scenes run and this pass)."""
        cuts = sorted({*self.known_starts, *self.state.cuts_ms} - {0})
        groups: dict[int, list[object_filter.Sample]] = {}
        for sample in self.samples:
            groups.setdefault(bisect.bisect_right(cuts, sample.time_ms), []).append(sample)
        self.cuts = cuts
        return [groups[k] for k in sorted(groups)]

    def finish(self) -> list[Item]:
        interval = self.want.every_ms or 500
        items, next_id = [], 0
        self.dropped = {}
        for shot in self.shots():
            i = bisect.bisect_right(self.cuts, shot[0].time_ms)
            shot_end = self.cuts[i] if i < len(self.cuts) else self.media.duration_ms
            kept, dropped = object_filter.decide(shot, self.default, self.table, next_id,
                                                  self.floor)
            next_id += len(kept) + len(dropped)
            for t in dropped:
                reasons = self.dropped.setdefault(t.label, {})
                reasons[t.reason] = reasons.get(t.reason, 0) + 1
            for t in kept:
                start = shot[t.first].time_ms
                end = max(start, min(shot_end, self.media.duration_ms, shot[t.last].time_ms + interval))
                best = max(range(len(t.hits)), key=lambda k: t.hits[k][2])
                frame_number = shot[t.hits[best][0]].frame_number
                items.append(Item(start, end, object_filter.payload(t, frame_number),
                                  schema_version=2))
        return sorted(items, key=lambda it: (it.span_start_ms, it.payload["track_id"]))

    def recorded_config(self, media: MediaInput) -> dict[str, Any]:
        """The objects the run saw but did not keep: tracks per label and reason."""
        return {"dropped": self.dropped} if getattr(self, "dropped", None) else {}
