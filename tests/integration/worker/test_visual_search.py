"""Optional visual search with a CLIP model the user supplies (EIOKU_CLIP_MODEL).

No CLIP-like model ships its weights in any registry, so the code path runs
on a small randomly initialised model in the published layout (Hugging Face's
ONNX export: text_model.onnx with input_ids/attention_mask -> text_embeds,
vision_model.onnx with pixel_values -> image_embeds, tokenizer.json), like the
YOLO path. It cannot recognise anything; the tests check the plumbing: frames
of the real sample are embedded through the frame pass, stored, projected,
and a text query ranks them exactly as its cosine similarity to the stored
vectors says (computed here with ONNX Runtime on the text model directly).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from eioku.config import Settings, get_settings
from eioku.domain.errors import ValidationFailedError
from eioku.services import analysis, search
from eioku.services.ingest import register_path
from eioku.services.pipeline import resolve
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_pass
from onnx import TensorProto, helper, numpy_helper
from sqlalchemy import text
from tokenizers import Tokenizer, models, pre_tokenizers

from tests.media import SAMPLE

DIM, SIZE = 16, 32
WORDS = ["[UNK]", "a", "red", "cat", "on", "sofa", "space", "station", "cup", "motorcycle"]


def tiny_clip(folder: Path, vision: bool = True) -> Path:
    """A random CLIP in the export layout: 16-d vectors, 32x32 pictures."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    embed = numpy_helper.from_array(rng.normal(size=(len(WORDS), 8)).astype(np.float32), "E")
    wt = numpy_helper.from_array(rng.normal(size=(8, DIM)).astype(np.float32), "Wt")
    text_graph = helper.make_graph([
        helper.make_node("Gather", ["E", "input_ids"], ["tokens"]),
        helper.make_node("ReduceMean", ["tokens"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "Wt"], ["text_embeds"]),
    ], "text", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"]),
                helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, "seq"])],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, [1, DIM])], [embed, wt])
    onnx.save(helper.make_model(text_graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
              folder / "text_model.onnx")
    if vision:
        wv = numpy_helper.from_array(rng.normal(size=(3 * 4, DIM)).astype(np.float32), "Wv")
        shape = numpy_helper.from_array(np.array([-1, 12], np.int64), "shape")
        vision_graph = helper.make_graph([  # mean colour of each 16x16 quarter -> a vector
            helper.make_node("AveragePool", ["pixel_values"], ["pooled"], kernel_shape=[16, 16],
                             strides=[16, 16]),
            helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "Wv"], ["image_embeds"]),
        ], "vision", [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT,
                                                    ["n", 3, SIZE, SIZE])],
            [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["n", DIM])], [wv, shape])
        onnx.save(helper.make_model(vision_graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
                  folder / "vision_model.onnx")
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture
def clip_env(tmp_path, monkeypatch):
    folder = tiny_clip(tmp_path / "clip-tiny")
    monkeypatch.setenv("EIOKU_CLIP_MODEL", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _analyse(session_factory, settings):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        runs = analysis.queue_analysis(uow, video, "fast", ["visual"], settings=settings)
        uow.commit()
    return video, execute_pass(session_factory, [r.run_id for r in runs], AnalyzerCache())


def _text_vector(folder: Path, query: str) -> np.ndarray:
    """The oracle's query vector: ONNX Runtime on the text model, no Eioku code."""
    ids = Tokenizer.from_file(str(folder / "tokenizer.json")).encode(query).ids
    session = ort.InferenceSession(str(folder / "text_model.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input_ids": np.array([ids], np.int64),
                                "attention_mask": np.ones((1, len(ids)), np.int64)})
    return out[0] / np.linalg.norm(out[0])


@pytest.mark.models
def test_frames_are_embedded_and_text_queries_rank_them(session_factory, clip_env):
    video, [outcome] = _analyse(session_factory, get_settings())
    assert outcome.status == "completed", outcome.error
    with UnitOfWork(session_factory) as uow:
        stored = uow.artifacts.get_by_asset(video.video_id, "image.embedding")
        assert [a.span_start_ms for a in stored] == [0, 2000, 4000, 6000, 8000, 10000]
        vectors = {a.artifact_id: np.array(a.payload["vector"]) for a in stored}
        assert all(abs(np.linalg.norm(v) - 1) < 1e-4 and len(v) == DIM for v in vectors.values())
        by_start = {a.span_start_ms: vectors[a.artifact_id] for a in stored}
        # the sample is four shots of 3 s: frames of one shot look more alike than of two
        within = by_start[0] @ by_start[2000]
        assert within > max(by_start[0] @ by_start[t] for t in (4000, 6000, 8000, 10000))
        assert {a.payload["model"] for a in stored} == {"clip:clip-tiny"}
        projected = uow.session.execute(text(
            "SELECT count(*) FROM image_embeddings WHERE asset_id = :v"), {"v": video.video_id}).scalar_one()
        assert projected == len(stored)

        query = "a red cat on a sofa"
        q = _text_vector(clip_env, query)
        expected = sorted(stored, key=lambda a: (-float(vectors[a.artifact_id] @ q), a.span_start_ms))
        pictures = search._pictures(uow.session, query, 10, video.video_id)
        assert [h.start_ms for h in pictures] == [a.span_start_ms for a in expected]
        assert all(abs(h.score - float(vectors[a.artifact_id] @ q)) < 1e-3
                   for h, a in zip(pictures, expected, strict=True))
        # pictures take part in semantic and hybrid search, as moments of their shots
        found = search.search(uow.session, query, mode="hybrid", video_id=video.video_id).hits
        assert "picture" in {h.source for h in found}


def test_visual_is_left_out_without_a_model_and_refused_when_asked(monkeypatch):
    monkeypatch.delenv("EIOKU_CLIP_MODEL", raising=False)
    assert "visual" not in [s.name for s in resolve(settings=Settings())]
    with pytest.raises(ValidationFailedError, match="EIOKU_CLIP_MODEL"):
        resolve(["visual"], settings=Settings())
    with_model = Settings(clip_model=Path("/models/clip"))
    assert "visual" in [s.name for s in resolve(settings=with_model)]


def test_a_clip_folder_without_its_vision_model_fails_the_run_naming_it(session_factory, tmp_path,
                                                                        monkeypatch):
    folder = tiny_clip(tmp_path / "clip-half", vision=False)
    monkeypatch.setenv("EIOKU_CLIP_MODEL", str(folder))
    get_settings.cache_clear()
    try:
        _, [outcome] = _analyse(session_factory, get_settings())
    finally:
        get_settings.cache_clear()
    assert outcome.status == "failed"
    assert "vision_model.onnx" in outcome.error and str(folder) in outcome.error
