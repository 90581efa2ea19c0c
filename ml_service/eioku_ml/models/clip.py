"""CLIP on ONNX Runtime: text and pictures in one vector space, with a model
the user supplies (no CLIP-like model ships its weights in any registry).

``EIOKU_CLIP_MODEL`` names a folder in the layout Hugging Face exports use
(optimum, transformers.js): ``text_model.onnx`` and ``vision_model.onnx``
(also looked for in ``onnx/``), ``tokenizer.json``, and optionally
``preprocessor_config.json`` (picture size, mean and std). The text model
takes ``input_ids`` and ``attention_mask`` and gives ``text_embeds``; the
vision model takes ``pixel_values`` (N x 3 x S x S) and gives
``image_embeds``. Vectors are L2-normalised here, so their dot product is
the cosine similarity CLIP ranks by.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np

from eioku_ml.errors import ModelMissingError
from eioku_ml.models import device

MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIP's, when the folder does not say
STD = (0.26862954, 0.26130258, 0.27577711)
MAX_TOKENS = 77


def _find(folder: Path, name: str) -> Path:
    for path in (folder / name, folder / "onnx" / name):
        if path.is_file():
            return path
    raise ModelMissingError(
        f"EIOKU_CLIP_MODEL={folder}: {name} not found there or in {folder / 'onnx'} (a CLIP export "
        "with text_model.onnx, vision_model.onnx and tokenizer.json, e.g. optimum-cli export onnx "
        "--model openai/clip-vit-base-patch32 --task feature-extraction, then split, or a "
        "transformers.js CLIP folder)")


def _unit(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class Clip:
    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not folder.is_dir():
            raise ModelMissingError(f"EIOKU_CLIP_MODEL={folder} is not a folder")
        self.name = f"clip:{folder.name}"  # the model of its vectors: queries must use the same
        options = ort.SessionOptions()
        options.intra_op_num_threads = device.cpu_threads()
        options.inter_op_num_threads = 1
        providers = (["CUDAExecutionProvider", "CPUExecutionProvider"] if device.onnx_use_cuda()
                     else ["CPUExecutionProvider"])
        self.text = ort.InferenceSession(str(_find(folder, "text_model.onnx")), options,
                                         providers=providers)
        self.vision = ort.InferenceSession(str(_find(folder, "vision_model.onnx")), options,
                                           providers=providers)
        self.tokenizer = Tokenizer.from_file(str(_find(folder, "tokenizer.json")))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        config = folder / "preprocessor_config.json"
        pre = json.loads(config.read_text()) if config.is_file() else {}
        crop = pre.get("crop_size", 224)
        self.size = int(crop["height"] if isinstance(crop, dict) else crop)
        shape = self.vision.get_inputs()[0].shape
        if isinstance(shape[-1], int):  # a fixed input size wins over the config
            self.size = shape[-1]
        self.mean = np.array(pre.get("image_mean", MEAN), np.float32)
        self.std = np.array(pre.get("image_std", STD), np.float32)

    @staticmethod
    def _output(session, name: str) -> int:  # type: ignore[no-untyped-def]
        names = [o.name for o in session.get_outputs()]
        return names.index(name) if name in names else 0

    def encode_text(self, texts: list[str]) -> np.ndarray:
        out = []
        wanted = {i.name for i in self.text.get_inputs()}
        for encoding in self.tokenizer.encode_batch(texts):
            feed = {"input_ids": np.array([encoding.ids], np.int64),
                    "attention_mask": np.array([encoding.attention_mask], np.int64)}
            result = self.text.run(None, {k: v for k, v in feed.items() if k in wanted})
            out.append(result[self._output(self.text, "text_embeds")][0])
        return _unit(np.array(out))

    def pixels(self, rgb: np.ndarray) -> np.ndarray:
        """Shortest side to the model's size (bicubic), centre crop, normalise: 3 x S x S."""
        h, w = rgb.shape[:2]
        scale = self.size / min(h, w)
        resized = cv2.resize(rgb, (max(self.size, round(w * scale)), max(self.size, round(h * scale))),
                             interpolation=cv2.INTER_CUBIC)
        top, left = (resized.shape[0] - self.size) // 2, (resized.shape[1] - self.size) // 2
        crop = resized[top:top + self.size, left:left + self.size].astype(np.float32) / 255.0
        return ((crop - self.mean) / self.std).transpose(2, 0, 1)

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([self.pixels(i) for i in images]).astype(np.float32)
        result = self.vision.run(None, {self.vision.get_inputs()[0].name: batch})
        return _unit(result[self._output(self.vision, "image_embeds")])


_MODELS: dict[Path, Clip] = {}
_LOCK = threading.Lock()


def shared(folder: Path) -> Clip:
    """One model per folder and process, loaded on first use."""
    with _LOCK:
        if folder not in _MODELS:
            _MODELS[folder] = Clip(folder)
        return _MODELS[folder]
