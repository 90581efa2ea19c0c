"""The analyzer interface.

An analyzer turns one decoded video into payloads of its registered
artifact type. It never touches SQL: the worker stores what it returns.
"""

from __future__ import annotations

import bisect
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from eioku_ml.errors import MediaError
from eioku_ml.media.decode import Frame, Probe

if TYPE_CHECKING:
    from eioku_ml.media.framepass import PassState

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Item:
    """One artifact to store: its span and payload (validated by the store).
    ``embedding`` (faces) is used at write time to join library-wide
    identities and is not stored."""

    span_start_ms: int
    span_end_ms: int
    payload: dict[str, Any]
    embedding: tuple[float, ...] | None = None
    schema_version: int = 1  # of the payload's type

    def as_dict(self) -> dict[str, Any]:
        return {"span_start_ms": self.span_start_ms, "span_end_ms": self.span_end_ms,
                "payload": self.payload, "schema_version": self.schema_version}


@dataclass(frozen=True)
class MediaInput:
    path: Path
    probe: Probe

    @property
    def duration_ms(self) -> int:
        return int(round(self.probe.duration_s * 1000))


class Analyzer(ABC):
    """Subclasses set ``name`` (a key of ``eioku.services.pipeline.ANALYZERS``)
    and implement :meth:`_analyze`. Models load lazily, once per process."""

    name: ClassVar[str]
    # can analyse a long video in chunks (analyze_chunk/partial, then merge)
    chunkable: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self._loaded = False
        self._load_lock = threading.Lock()  # a job and the loading ahead (worker/warm.py)

    def load(self) -> None:  # noqa: B027 - optional hook, most analyzers need no model
        """Load models (optional hook). Called once before the first analyze."""

    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._load_lock:  # loaded once, whoever asks first; the other waits for it
            if not self._loaded:
                self.load()
                self._loaded = True

    def analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        self.ensure_loaded()
        return self._analyze(media, progress, context)

    @abstractmethod
    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        """Return the artifacts for this video. ``context`` carries the
        completed artifacts of declared dependencies, by analyzer name."""

    def recorded_config(self, media: MediaInput) -> dict[str, Any]:
        """What this run decided about the file, kept in the run's config when it
        is stored (e.g. the transcript's audio track); not part of its config_hash."""
        return {}

    def analyze_chunk(self, media: MediaInput, window: tuple[int, int], overlap_s: float,
                      progress: Progress) -> dict[str, Any]:
        """What a ``chunkable`` analyzer finds in ``window`` ([start, end) ms), as
        JSON-able data; frame analyzers get theirs from a frame pass instead."""
        raise NotImplementedError(f"{self.name} does not analyse chunks")

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        """The artifacts of a video from its chunks' findings, in order."""
        raise NotImplementedError(f"{self.name} does not analyse chunks")

    def prepare(self, media: MediaInput, context: dict[str, Any], ahead: Any = None) -> dict[str, Any]:
        """Work done ahead while the run waits for what it uses (``prepares`` in its
        spec; worker/prepared.py), as JSON-able data; ``context`` holds only what
        needs no other run (the library's names); ``ahead``: a ``prepared.Ahead``
        (an analyzer that prepares "as it goes" keeps its work there and stops when told).
        By default the whole file's partial, for analyzers whose partial needs
        nothing of what they use."""
        return self.analyze_chunk(media, None, 0.0, lambda _fraction: None)  # type: ignore[arg-type]

    def analyze_prepared(self, media: MediaInput, progress: Progress, context: dict[str, Any],
                         ahead: dict[str, Any]) -> list[Item]:
        """What :meth:`analyze` returns, from the work :meth:`prepare` did ahead."""
        self.use_context(context)  # type: ignore[attr-defined]
        return self.merge([ahead])


@dataclass(frozen=True)
class FrameWant:
    """What a frame analyzer asks the frame pass for."""

    width: int | None  # scaled to this width (never up), aspect kept; None: as decoded
    pixel_format: str = "rgb24"
    every_ms: int | None = None  # one frame per interval; None: every frame


class FrameAnalyzer(Analyzer):
    """An analyzer that is pushed frames by the frame pass
    (``eioku_ml.media.framepass``) and never opens the file itself:
    :meth:`start` for this video, :meth:`take` each frame it is due,
    :meth:`finish` for its items. Run alone, it gets a pass of its own.

    Most analyzers split their work in two: :meth:`observe` (the model, on one
    frame: the costly part) and :meth:`fold` (cheap bookkeeping in time order:
    tracks, spans, clusters). A chunk of a long video only observes, and
    :meth:`partial` returns what it saw; :meth:`merge` folds the chunks'
    observations in order, so a chunked video gets the same artifacts as one
    pass over the whole of it."""

    chunkable = True
    pass_order: ClassVar[int] = 10  # lower sees each frame first (scenes: 0)
    # frames a chunk decodes before its start and after its end for this analyzer
    # (detectors that compare frames need the previous one; see :meth:`warm`)
    margin_ms: ClassVar[tuple[int, int]] = (0, 0)

    @property
    @abstractmethod
    def want(self) -> FrameWant:
        """The frames this analyzer wants."""

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        """Before the first frame: this video and the artifacts of what it uses."""
        self.media, self.context = media, context

    def begin(self, state: PassState, window: tuple[int, int] | None = None) -> None:
        """A pass starts: over the whole video, or over ``window`` (a chunk,
        [start, end) ms), whose observations are kept for :meth:`partial`."""
        self.state, self.window = state, window
        self.observations: list[list[Any]] = []
        self._next_due = 0

    def due(self, time_ms: int) -> bool:
        every = self.want.every_ms
        return every is None or time_ms >= self._next_due

    def mark(self, time_ms: int) -> None:
        """This frame is taken: the next one is due at the next multiple of the
        interval (a fixed grid, so a chunk samples the frames a whole pass would).
        Called by the pass when it decides, before the frame reaches :meth:`take`."""
        every = self.want.every_ms
        if every is not None:
            self._next_due = (time_ms // every + 1) * every

    def push(self, frame: Frame) -> None:
        self.mark(frame.time_ms)
        self.take(frame)

    def take(self, frame: Frame) -> None:
        """One frame (of the size and format of :attr:`want`)."""
        observation = self.observe(frame)
        if self.window is not None:
            self.observations.append([frame.time_ms, frame.index, observation])
        else:
            self.fold(frame.time_ms, frame.index, observation)

    def warm(self, frame: Frame) -> None:  # noqa: B027 - optional hook
        """A frame in the margin before a chunk (see ``margin_ms``): seen, not analysed."""

    def observe(self, frame: Frame) -> Any:
        """What the model sees in one frame, as JSON-able data. (An analyzer that
        overrides :meth:`take`, :meth:`partial` and :meth:`merge` needs neither.)"""
        raise NotImplementedError

    def fold(self, time_ms: int, index: int, observation: Any) -> None:
        """Add one frame's observation, in time order."""
        raise NotImplementedError

    def decode_failed(self, error: MediaError) -> None:
        """The file stopped decoding: by default this run fails with that reason."""
        raise error

    @abstractmethod
    def finish(self) -> list[Item]:
        """This video's artifacts, after the last frame."""

    def partial(self) -> dict[str, Any]:
        """What one chunk found (JSON-able, stored until every chunk is done)."""
        assert self.window is not None
        start, end = self.window
        return {"observations": self.observations,
                "cuts_ms": [c for c in self.state.cuts_ms if start <= c < end]}

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        """The artifacts of a chunked video: every chunk's observations folded in
        time order (after :meth:`start`), as one pass would have."""
        from eioku_ml.media.framepass import PassState

        self.begin(PassState(cuts_ms=[c for p in partials for c in p["cuts_ms"]]))
        for part in partials:
            for time_ms, index, observation in part["observations"]:
                self.fold(time_ms, index, observation)
        return self.finish()

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        from eioku_ml.media.framepass import run_pass

        self.start(media, context)
        (result,) = run_pass(media.path, {self.name: self}, duration_s=media.probe.duration_s,
                             progress=progress).values()
        if result.error is not None:
            raise result.error
        assert result.items is not None
        return result.items


class ShotSampling(FrameAnalyzer):
    """A frame analyzer that also takes the first frame of every shot, so a
    short shot is never missed between two samples: shot starts come from an
    earlier scenes run (``context["scenes"]``) and from the cuts the same pass
    finds (``state.cuts_ms``)."""

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.known_starts = sorted({a.span_start_ms for a in context.get("scenes", [])})
        self.last_sample = -1

    def due(self, time_ms: int) -> bool:
        """At the interval, or the first frame of a new shot."""
        i = bisect.bisect_right(self.known_starts, self.last_sample)
        new_shot = (i < len(self.known_starts) and self.known_starts[i] <= time_ms) or any(
            self.last_sample < s <= time_ms for s in self.state.cuts_ms[-3:])
        return super().due(time_ms) or new_shot

    def mark(self, time_ms: int) -> None:
        super().mark(time_ms)
        self.last_sample = time_ms
