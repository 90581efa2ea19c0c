"""Small builders for test data, through the real store."""

from __future__ import annotations

import uuid
from typing import Any

from eioku.domain.enums import RunStatus
from eioku.domain.models import Run, Video
from eioku.store.uow import UnitOfWork


def add_video(uow: UnitOfWork, **overrides: Any) -> Video:
    token = uuid.uuid4().hex
    fields: dict[str, Any] = {
        "path": f"/media/{token}.mp4", "filename": f"{token}.mp4",
        "content_hash": f"sha256:{token}", "size_bytes": 1000,
    }
    fields.update(overrides)
    video, _ = uow.videos.add(**fields)
    return video


def add_run(
    uow: UnitOfWork, asset_id: uuid.UUID, artifact_type: str, *, profile: str = "fast",
    producer: str = "test-producer", version: str = "1", status: RunStatus = RunStatus.RUNNING,
    config: dict[str, Any] | None = None, input_hash: str = "sha256:input",
) -> Run:
    return uow.runs.create(
        asset_id=asset_id, artifact_type=artifact_type, producer=producer,
        producer_version=version, model_profile=profile, input_hash=input_hash,
        config=config or {}, status=status,
    )


def payload_for(artifact_type: str, i: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid payload of each built-in type."""
    bbox = {"x": 1.0, "y": 2.0, "w": 30.0, "h": 40.0}
    base: dict[str, dict[str, Any]] = {
        "scene": {"scene_index": i, "method": "content", "score": 12.5, "frame_number": i * 10},
        "transcript.segment": {"text": f"hello world {i}", "speaker": None, "confidence": 0.9,
                               "language": "en"},
        "object.detection": {"label": "dog", "confidence": 0.8, "bbox": bbox, "frame_number": i},
        "face.detection": {"confidence": 0.9, "bbox": bbox, "cluster_id": "c1", "frame_number": i},
        "place.classification": {"label": "beach", "confidence": 0.7,
                                 "alternatives": [{"label": "coast", "confidence": 0.2}],
                                 "frame_number": i},
        "ocr.text": {"text": f"INVOICE {i}", "confidence": 0.95,
                     "polygon": [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 10, "y": 5}],
                     "language": "en", "frame_number": i},
        "video.metadata": {"duration_s": 12.0, "fps": 25.0, "width": 640, "height": 360},
        "video.quality": {"decode_ok": True, "video_duration_s": 12.0, "fps": 25.0,
                          "frame_count": 300, "freeze_frame_ratio": 0.0, "flicker_score": 0.1,
                          "blur_score": 100.0, "frame_diff_spike_count": 0, "scene_cut_count": 3,
                          "status": "pass"},
    }
    base["text.embedding"] = {"source": "transcript", "text": f"hello world {i}",
                              "model": "all-MiniLM-L6-v2", "vector": [1.0] + [0.0] * 383}
    base["image.embedding"] = {"model": "clip:test", "vector": [1.0] + [0.0] * 15, "frame_number": i}
    base["speaker.turn"] = {"speaker": f"Speaker {i % 2 + 1}", "confidence": 0.8, "overlap": False}
    base["entity.mention"] = {"name": "Siemens", "type": "org", "text": "Siemens", "source": "transcript",
                              "start": 0, "end": 7, "of_artifact_id": None, "confidence": 0.9}
    base["text.language"] = {"language": "en", "confidence": 0.9, "source": "ocr",
                             "of_artifact_id": None, "spoken": None}
    base["chapter"] = {"chapter_index": i, "title": f"Chapter {i}", "key_phrases": [f"topic {i}"],
                       "title_source": "speech", "reasons": ["topic"] if i else [], "words": 10}
    base["audio.event"] = {"label": ("speech", "music", "silence")[i % 3], "confidence": 0.9,
                           "loudness_lufs": None if i % 3 == 2 else -23.0}
    base["segment"] = {"type": ("intro", "credits", "black")[i % 3], "confidence": 0.8,
                       "evidence": "test", "shared_with": 2 if i % 3 == 0 else None}
    base["bookmark"] = {"bookmark_id": f"00000000-0000-4000-8000-{i:012d}", "note": f"note {i}",
                        "tags": ["reel"], "author": "tester"}
    payload = dict(base[artifact_type])
    payload.update(overrides)
    return payload


def store_run(
    uow: UnitOfWork, asset_id: uuid.UUID, artifact_type: str,
    spans: list[tuple[int, int]], *, payloads: list[dict[str, Any]] | None = None,
    complete: bool = True, **run_kwargs: Any,
) -> Run:
    run = add_run(uow, asset_id, artifact_type, **run_kwargs)
    items = [
        {"span_start_ms": s, "span_end_ms": e,
         "payload": payloads[i] if payloads else payload_for(artifact_type, i)}
        for i, (s, e) in enumerate(spans)
    ]
    uow.artifacts.batch_create(run, items)
    return uow.runs.complete(run.run_id) if complete else run
