"""Hypothesis strategies for payloads, spans and policies."""

from __future__ import annotations

from typing import Any

from eioku.domain.enums import ArtifactType
from hypothesis import strategies as st

WORDS = ["invoice", "dog", "cat", "meeting", "budget", "river", "Zürich", "naïve", "total",
         "quarter", "coffee", "report"]

conf = st.floats(0, 1, allow_nan=False)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
pos = st.floats(0, 1e4, allow_nan=False, allow_infinity=False)
frame = st.integers(0, 10**6)
label = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
bbox = st.fixed_dictionaries({"x": pos, "y": pos, "w": pos, "h": pos})
sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)

def unit_vector(seed: int, dim: int = 384) -> list[float]:
    """A reproducible unit vector (text.embedding payloads must have unit length)."""
    import random

    rng = random.Random(seed)
    v = [rng.gauss(0, 1) for _ in range(dim)]
    norm = sum(x * x for x in v) ** 0.5
    return [x / norm for x in v]


PAYLOADS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    ArtifactType.SCENE: st.fixed_dictionaries(
        {"scene_index": st.integers(0, 10_000), "method": st.sampled_from(["content", "adaptive"]),
         "score": finite, "frame_number": frame}),
    ArtifactType.TRANSCRIPT_SEGMENT: st.fixed_dictionaries(
        {"text": sentence, "speaker": st.none() | label, "confidence": conf,
         "language": st.sampled_from(["en", "de", "fr"]),
         "words": st.none() | st.lists(st.fixed_dictionaries(
             {"word": st.sampled_from(WORDS), "start_ms": st.integers(0, 10**6),
              "end_ms": st.integers(0, 10**6), "confidence": conf}), max_size=3)},
        optional={"translation": sentence}),
    ArtifactType.OBJECT_DETECTION: st.fixed_dictionaries(
        {"label": st.sampled_from(["dog", "cat", "person", "cup"]), "confidence": conf,
         "bbox": bbox, "frame_number": frame, "track_id": st.none() | st.integers(0, 1000)}),
    ArtifactType.FACE_DETECTION: st.fixed_dictionaries(
        {"confidence": conf, "bbox": bbox, "cluster_id": st.sampled_from(["c1", "c2", "c3"]),
         "frame_number": frame, "embedding_ref": st.none() | label}),
    ArtifactType.PLACE_CLASSIFICATION: st.fixed_dictionaries(
        {"label": st.sampled_from(["beach", "office", "street"]), "confidence": conf,
         "alternatives": st.lists(st.fixed_dictionaries({"label": label, "confidence": conf}),
                                  max_size=3),
         "frame_number": frame}),
    ArtifactType.OCR_TEXT: st.fixed_dictionaries(
        {"text": sentence, "confidence": conf,
         "polygon": st.lists(st.fixed_dictionaries({"x": finite, "y": finite}), max_size=4),
         "language": st.just("en"), "frame_number": frame},
        optional={"engine": st.sampled_from(["rapidocr", "easyocr", "tesseract"])}),
    ArtifactType.VIDEO_METADATA: st.fixed_dictionaries(
        {"duration_s": pos, "fps": st.none() | pos, "width": st.none() | st.integers(0, 8000),
         "height": st.none() | st.integers(0, 8000), "rotation": st.sampled_from([0, 90, 180, 270]),
         "video_codec": st.none() | label, "audio_codec": st.none() | label,
         "container": st.none() | label, "bit_rate": st.none() | st.integers(0, 10**9),
         "tags": st.dictionaries(label, label, max_size=3),
         "creation_time": st.none() | st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
             lambda d: d.isoformat().replace("+00:00", "Z")),
         "gps": st.none() | st.fixed_dictionaries(
             {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180),
              "altitude": st.none() | finite})}),
    ArtifactType.VIDEO_QUALITY: st.fixed_dictionaries(
        {"decode_ok": st.booleans(), "video_duration_s": pos, "audio_duration_s": st.none() | pos,
         "duration_delta_s": st.none() | pos, "fps": pos, "frame_count": st.integers(0, 10**7),
         "freeze_frame_ratio": conf, "flicker_score": pos, "blur_score": pos,
         "frame_diff_spike_count": st.integers(0, 1000), "scene_cut_count": st.integers(0, 1000),
         "status": st.sampled_from(["pass", "flagged", "reject"]),
         "reasons": st.lists(label, max_size=3)}),
    ArtifactType.TEXT_EMBEDDING: st.fixed_dictionaries(
        {"source": st.sampled_from(["transcript", "ocr", "shot"]), "text": sentence,
         "model": st.just("all-MiniLM-L6-v2"), "vector": st.integers(0, 2**32).map(unit_vector),
         "source_artifact_id": st.none() | st.uuids().map(str)}),
    ArtifactType.IMAGE_EMBEDDING: st.fixed_dictionaries(
        {"model": st.sampled_from(["clip:a", "clip:b"]),
         "vector": st.tuples(st.integers(0, 2**32), st.integers(8, 64)).map(lambda t: unit_vector(*t)),
         "frame_number": frame}),
    ArtifactType.SPEAKER_TURN: st.fixed_dictionaries(
        {"speaker": st.sampled_from(["Speaker 1", "Speaker 2", "Alice"]), "confidence": conf,
         "overlap": st.booleans()}),
    ArtifactType.CHAPTER: st.fixed_dictionaries(
        {"chapter_index": st.integers(0, 500), "title": label, "key_phrases": st.lists(label, max_size=3),
         "title_source": st.sampled_from(["speech", "shots", "none"]),
         "reasons": st.lists(st.sampled_from(["topic", "cut", "speaker", "silence"]), max_size=4),
         "words": st.integers(0, 10_000)}),
    ArtifactType.ENTITY_MENTION: st.fixed_dictionaries(
        {"name": label, "type": st.sampled_from(["person", "org", "place", "date", "amount", "term"]),
         "text": label, "source": st.sampled_from(["transcript", "ocr"]), "start": st.integers(0, 400),
         "end": st.integers(0, 500), "of_artifact_id": st.none() | st.uuids().map(str), "confidence": conf}),
    ArtifactType.TEXT_LANGUAGE: st.fixed_dictionaries(
        {"language": st.sampled_from(["en", "de", "fr", "ja", "und"]), "confidence": conf,
         "source": st.sampled_from(["transcript", "ocr"]), "of_artifact_id": st.none() | st.uuids().map(str),
         "spoken": st.none() | st.sampled_from(["en", "de"])}),
    ArtifactType.AUDIO_EVENT: st.fixed_dictionaries(
        {"label": st.sampled_from(["speech", "music", "singing", "silence", "programme"]),
         "confidence": conf, "loudness_lufs": st.none() | st.floats(-70, 0)},
        optional={"loudness_range_lu": st.none() | st.floats(0, 40),
                  "max_momentary_lufs": st.none() | st.floats(-70, 0)}),
    ArtifactType.SEGMENT: st.fixed_dictionaries(
        {"type": st.sampled_from(["intro", "credits", "black", "silence", "colour_bars"]),
         "confidence": conf},
        optional={"evidence": st.none() | label, "shared_with": st.none() | st.integers(1, 50)}),
    ArtifactType.BOOKMARK: st.fixed_dictionaries(
        {"bookmark_id": st.uuids().map(str), "note": st.none().map(lambda _: "") | label,
         "tags": st.lists(label, max_size=5), "author": st.sampled_from(["local user", "token holder"])}),
}


@st.composite
def spans(draw: st.DrawFn, max_start: int = 60_000, max_len: int = 5_000) -> tuple[int, int]:
    start = draw(st.integers(0, max_start))
    return start, start + draw(st.integers(0, max_len))


@st.composite
def typed_artifact(draw: st.DrawFn, artifact_type: str) -> dict[str, Any]:
    s, e = draw(spans())
    return {"span_start_ms": s, "span_end_ms": e, "payload": draw(PAYLOADS[artifact_type])}
