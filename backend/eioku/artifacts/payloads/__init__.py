"""Built-in payload schemas, one module per artifact type (SPEC §3)."""

from pydantic import BaseModel

from eioku.artifacts.payloads.bookmarks import BookmarkV1
from eioku.artifacts.payloads.chapters import ChapterV1
from eioku.artifacts.payloads.embeddings import ImageEmbeddingV1, TextEmbeddingV1
from eioku.artifacts.payloads.entities import EntityMentionV1, TextLanguageV1
from eioku.artifacts.payloads.faces import FaceDetectionV1
from eioku.artifacts.payloads.metadata import VideoMetadataV1
from eioku.artifacts.payloads.objects import ObjectDetectionV1, ObjectDetectionV2
from eioku.artifacts.payloads.ocr import OcrTextV1
from eioku.artifacts.payloads.places import PlaceClassificationV1, PlaceClassificationV2
from eioku.artifacts.payloads.quality import VideoQualityV1
from eioku.artifacts.payloads.scene import SceneV1
from eioku.artifacts.payloads.sounds import AudioEventV1, SegmentV1
from eioku.artifacts.payloads.speakers import SpeakerTurnV1
from eioku.artifacts.payloads.transcript import TranscriptSegmentV1
from eioku.domain.enums import ArtifactType

BUILTIN_SCHEMAS: list[tuple[str, int, type[BaseModel]]] = [
    (ArtifactType.SCENE, 1, SceneV1),
    (ArtifactType.TRANSCRIPT_SEGMENT, 1, TranscriptSegmentV1),
    (ArtifactType.OBJECT_DETECTION, 1, ObjectDetectionV1),
    (ArtifactType.OBJECT_DETECTION, 2, ObjectDetectionV2),
    (ArtifactType.FACE_DETECTION, 1, FaceDetectionV1),
    (ArtifactType.PLACE_CLASSIFICATION, 1, PlaceClassificationV1),
    (ArtifactType.PLACE_CLASSIFICATION, 2, PlaceClassificationV2),
    (ArtifactType.OCR_TEXT, 1, OcrTextV1),
    (ArtifactType.VIDEO_METADATA, 1, VideoMetadataV1),
    (ArtifactType.VIDEO_QUALITY, 1, VideoQualityV1),
    (ArtifactType.TEXT_EMBEDDING, 1, TextEmbeddingV1),
    (ArtifactType.IMAGE_EMBEDDING, 1, ImageEmbeddingV1),
    (ArtifactType.SPEAKER_TURN, 1, SpeakerTurnV1),
    (ArtifactType.ENTITY_MENTION, 1, EntityMentionV1),
    (ArtifactType.TEXT_LANGUAGE, 1, TextLanguageV1),
    (ArtifactType.CHAPTER, 1, ChapterV1),
    (ArtifactType.BOOKMARK, 1, BookmarkV1),
    (ArtifactType.AUDIO_EVENT, 1, AudioEventV1),
    (ArtifactType.SEGMENT, 1, SegmentV1),
]

__all__ = ["BUILTIN_SCHEMAS"]
