"""Device selection: --device cuda uses a GPU where a library can, else the CPU
with one log line per library (this machine has no GPU)."""

from __future__ import annotations

import logging
import sys
import types

import pytest
from eioku_ml.models import device


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(device, "_WARNED", set())


def _fallbacks(caplog):
    return [r.getMessage() for r in caplog.records if "runs on the CPU" in r.getMessage()]


def test_cpu_asked_means_cpu_without_asking_the_libraries(monkeypatch, caplog):
    monkeypatch.setenv("EIOKU_DEVICE", "cpu")
    boom = types.ModuleType("torch")  # a torch that would fail if asked
    monkeypatch.setitem(sys.modules, "torch", boom)
    assert device.for_torch() == "cpu" and not device.onnx_use_cuda()
    assert _fallbacks(caplog) == []


def test_cuda_without_a_gpu_falls_back_once_per_library(monkeypatch, caplog):
    monkeypatch.setenv("EIOKU_DEVICE", "cuda")
    caplog.set_level(logging.WARNING)
    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: False))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    assert [device.for_torch() for _ in range(3)] == ["cpu"] * 3
    assert device.for_ctranslate2() == "cpu"  # the real CTranslate2: no CUDA device here
    assert device.onnx_use_cuda() is False  # the real onnxruntime: CPU provider only
    messages = _fallbacks(caplog)
    assert len(messages) == 3
    assert any("torch" in m for m in messages) and any("CTranslate2" in m for m in messages)


def test_cuda_is_used_where_the_library_sees_a_device(monkeypatch):
    monkeypatch.setenv("EIOKU_DEVICE", "cuda:0")
    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: True))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    fake_ct2 = types.SimpleNamespace(get_cuda_device_count=lambda: 2)
    monkeypatch.setitem(sys.modules, "ctranslate2", fake_ct2)
    fake_ort = types.SimpleNamespace(get_available_providers=lambda: ["CUDAExecutionProvider",
                                                                       "CPUExecutionProvider"])
    monkeypatch.setitem(sys.modules, "onnxruntime", fake_ort)
    assert (device.for_torch(), device.for_ctranslate2(), device.onnx_use_cuda()) == (
        "cuda", "cuda", True)


def test_a_broken_gpu_library_is_a_fallback_not_a_crash(monkeypatch, caplog):
    monkeypatch.setenv("EIOKU_DEVICE", "cuda")

    def broken():
        raise RuntimeError("CUDA driver version is insufficient")

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(
        cuda=types.SimpleNamespace(is_available=broken)))
    assert device.for_torch() == "cpu"
    assert len(_fallbacks(caplog)) == 1
