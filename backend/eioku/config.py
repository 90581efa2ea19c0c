"""One place for configuration: environment variables with the ``EIOKU_`` prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from eioku.domain.ocr_languages import parse_languages


def default_data_dir() -> Path:
    """Where Eioku keeps its embedded database, uploads and model cache.

    As root we use ``/var/lib/eioku``: the embedded PostgreSQL runs as an
    unprivileged user and makes every parent folder of its data dir
    world-traversable (o+rx), which must never happen to ``/root``.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/eioku")
    return Path(platformdirs.user_data_dir("eioku"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EIOKU_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    media_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "EIOKU_DATABASE_URL")
    )
    upload_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    # Every other request body (JSON, forms): 413 past it, before it is read into memory.
    body_max_bytes: int = Field(default=1024**2, ge=1024)
    # The body of one batch of artifacts from an external producer (send more batches).
    batch_max_bytes: int = Field(default=32 * 1024**2, ge=1024)
    # Host names the server answers to besides loopback ones (a comma list; "*": any).
    # Without a token only loopback names are accepted unless listed here; with a token
    # and nothing listed, any name is (api/guard.py).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Files registered by path up to this size are hashed inside the request;
    # larger ones answer at once (status "registering") and are hashed after.
    hash_inline_max_bytes: int = Field(default=64 * 1024**2, ge=0)
    # When set, every /v1 request must carry it (Authorization: Bearer, or the
    # eioku_token cookie the web page sets); the page itself and /healthz stay open.
    api_token: str | None = Field(default=None, min_length=1)
    # Stages switched on (EIOKU_ANALYZERS=metadata,scenes,transcript); empty: all of them.
    analyzers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The languages whose audio track the transcript hears first, in order (en,ja or
    # eng,jpn): used when no track is flagged default (docs/models.md, "Which audio track").
    audio_languages: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # One decode per video: frame analyzers queued together run in one frame-pass job.
    # Off: one job per analyzer (e.g. to send only objects to a GPU worker's queue).
    frame_pass: bool = True
    # Videos longer than this are analysed in chunks of this many seconds, one job
    # each, that any worker can take (frame analyzers and the transcript); 0: never.
    chunk_s: float = Field(default=300.0, ge=0)
    # Pin each worker process to a core of its own (round robin): workers do not
    # compete for cores (each analysis is multi-threaded), as on separate machines.
    pin_cpus: bool = False
    # Analysis is batch work: worker processes run this much nicer than the API
    # (os.nice), so pages, jumps and searches stay quick while a library is
    # analysed on the same machine; it costs nothing when the CPU is otherwise idle.
    worker_nice: int = Field(default=10, ge=0, le=19)
    # A worker with no job loads the models of runs waiting in the queue (they wait for
    # other runs of their video), so those runs do not start by loading (worker/warm.py).
    warm_models: bool = True
    # Work done ahead that may be thrown away (the transcript's windows decoded before the
    # words on screen are known; docs/architecture.md, "Waiting without idling"): "auto" does
    # it on machines of 4 or more CPUs, where it uses cores the frame pass leaves idle; on 2
    # it slows the frame pass more than it saves (measured: 53.5 s without, 60.3 s with).
    speculate: Literal["auto", "on", "off"] = "auto"
    # Audio a transcript chunk hears before and after its range, so a sentence
    # across a border is heard whole by the chunk it starts in.
    chunk_overlap_s: float = Field(default=10.0, ge=0, le=120)
    # the longest clip GET /v1/videos/{id}/clip cuts
    clip_max_s: int = Field(default=600, gt=0, le=24 * 3600)
    # Files a browser cannot play as they are get a remux or a proxy (H.264 + AAC) in
    # <data dir>/playback, made by a worker: when the video is registered, or only
    # when it is first played (docs/operations.md).
    playback: Literal["on-register", "on-play"] = "on-register"
    # the tallest picture a proxy has (a remux keeps the original's)
    proxy_max_height: int = Field(default=1080, ge=144, le=4320)
    # The picture and clip cache (<data dir>/cache) is kept under this size:
    # the least recently used files go first.
    cache_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    models_dir: Path | None = None
    # Detections of one label (or face cluster) closer than this merge into one
    # appearance, the unit of "jump to the next dog". Changing it takes effect
    # for new runs; `eioku projections rebuild` re-merges stored ones.
    appearance_gap_ms: int = Field(default=2000, ge=0, le=3_600_000)
    # Optional models (docs/models.md), recorded in each run's config:
    # an ultralytics YOLO weights file (.pt/.onnx, torch extra) replaces
    # SSD-MobileNet for objects in every profile;
    yolo_weights: Path | None = None
    # EasyOCR (torch extra) instead of RapidOCR for on-screen text;
    ocr_engine: Literal["rapidocr", "easyocr"] = "rapidocr"
    # Tesseract also reads these languages (EIOKU_OCR_LANGUAGES=rus+ell+ara), for scripts
    # RapidOCR does not read; Debian's tesseract-ocr-<code> packs (docs/models.md);
    ocr_languages: str | None = Field(default=None, max_length=200)
    # a CTranslate2 Whisper folder (e.g. large-v3) for the high_quality transcript;
    whisper_model_dir: Path | None = None
    # a ResNet-18 Places365 checkpoint (categories_places365.txt beside it) for places.
    places365_weights: Path | None = None
    # How many people speak, when known (`eioku analyze --speakers N`): the speakers
    # analyzer then finds that many instead of deciding how many there are.
    speakers: int | None = Field(default=None, ge=1, le=100)
    # Speech not heard as English is also translated to English (Whisper's translate
    # task) into its segments' ``translation``: a transcript run of its own config.
    translate: bool = False
    # Semantic search's index: "auto" creates pgvector's extension and an HNSW
    # index where the server has it (migration 0011); "off" keeps the exact scan.
    pgvector: Literal["auto", "off"] = "auto"
    # A CLIP ONNX export (folder: text_model.onnx, vision_model.onnx, tokenizer.json):
    # frames are embedded too, and text queries also match pictures.
    clip_model: Path | None = None
    # Library folders (docs/operations.md). A new or changed file is taken once
    # its size and mtime have not changed for this long (a copy in progress waits);
    library_settle_s: float = Field(default=5.0, ge=0, le=3600)
    # every library is also rescanned this often, the fallback for network mounts
    # where no file events arrive (a rescan costs a stat per file); 0: never;
    library_rescan_s: float = Field(default=900.0, ge=0)
    # a video whose files are all gone is kept (greyed, with its analysis) this
    # long, then deleted; 0: only `eioku library purge` deletes it;
    missing_grace_s: float = Field(default=30 * 86400.0, ge=0)
    # a server's hold on a library (one watcher per library) lasts this long unless renewed;
    library_lease_s: float = Field(default=30.0, ge=1, le=3600)
    # `eioku serve` watches and scans the library folders (off: leave them to other servers).
    library_watcher: bool = True

    @field_validator("media_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p.strip()]
        return value

    @field_validator("analyzers", "allowed_hosts", "audio_languages", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [n.strip() for n in value.split(",") if n.strip()]
        return value

    @field_validator("media_roots")
    @classmethod
    def _absolute_roots(cls, roots: list[Path]) -> list[Path]:
        for root in roots:
            if not root.is_absolute():
                raise ValueError(f"media root {root} must be an absolute path")
        return [root.resolve() for root in roots]

    @field_validator("ocr_languages")
    @classmethod
    def _tesseract_languages(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return "+".join(parse_languages(value))

    @field_validator("api_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, url: str | None) -> str | None:
        if url and not url.startswith(("postgresql", "postgres://")):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return url or None

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def playback_dir(self) -> Path:
        """Remuxes and proxies of videos browsers cannot play as they are."""
        return self.data_dir / "playback"

    @property
    def cache_dir(self) -> Path:
        """Thumbnails, scrub previews, face crops and clips: derived, safe to delete."""
        return self.data_dir / "cache"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"


@lru_cache
def get_settings() -> Settings:
    return Settings()
