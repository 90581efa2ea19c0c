"""Analyzers by pipeline name (see eioku.services.pipeline.ANALYZERS)."""

from __future__ import annotations

from eioku_ml.analyzers.base import Analyzer

_MODULES = {
    "metadata": ("eioku_ml.analyzers.metadata", "MetadataAnalyzer"),
    "scenes": ("eioku_ml.analyzers.scenes", "SceneAnalyzer"),
    "quality": ("eioku_ml.analyzers.quality", "QualityAnalyzer"),
    "objects": ("eioku_ml.analyzers.objects", "ObjectAnalyzer"),
    "transcript": ("eioku_ml.analyzers.transcript", "TranscriptAnalyzer"),
    "ocr": ("eioku_ml.analyzers.ocr", "OcrAnalyzer"),
    "faces": ("eioku_ml.analyzers.faces", "FaceAnalyzer"),
    "places": ("eioku_ml.analyzers.places", "PlaceAnalyzer"),
    "embeddings": ("eioku_ml.analyzers.embeddings", "EmbeddingsAnalyzer"),
    "visual": ("eioku_ml.analyzers.visual", "VisualAnalyzer"),
    "speakers": ("eioku_ml.analyzers.speakers", "SpeakersAnalyzer"),
    "chapters": ("eioku_ml.analyzers.chapters", "ChaptersAnalyzer"),
    "entities": ("eioku_ml.analyzers.entities", "EntitiesAnalyzer"),
    "languages": ("eioku_ml.analyzers.languages", "LanguagesAnalyzer"),
    "sounds": ("eioku_ml.analyzers.sounds", "SoundsAnalyzer"),
    "segments": ("eioku_ml.analyzers.segments", "SegmentsAnalyzer"),
}


def analyzer_class(name: str) -> type[Analyzer]:
    """Import lazily: a worker only loads the ML libraries of what it runs."""
    import importlib

    module, cls = _MODULES[name]
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def available() -> list[str]:
    return list(_MODULES)
