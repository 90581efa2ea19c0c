"""The analyzer interface.

An analyzer turns one decoded video into payloads of its registered
artifact type. It never touches SQL: the worker stores what it returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from eioku_ml.media.decode import Probe

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

    def as_dict(self) -> dict[str, Any]:
        return {"span_start_ms": self.span_start_ms, "span_end_ms": self.span_end_ms,
                "payload": self.payload}


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

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self._loaded = False

    def load(self) -> None:  # noqa: B027 - optional hook, most analyzers need no model
        """Load models (optional hook). Called once before the first analyze."""

    def ensure_loaded(self) -> None:
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
