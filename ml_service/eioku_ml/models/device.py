"""Where models run: the worker's ``--device`` (``EIOKU_DEVICE``) asks for
``cuda``; each library is asked whether it can use a GPU here, and when it
cannot, the model runs on the CPU and one log line per library says so.

- faster-whisper (CTranslate2): CUDA devices, float16 weights on a GPU
- torch models (ultralytics YOLO, EasyOCR, Places365): ``torch.cuda``
- ONNX Runtime models (RapidOCR): the ``CUDAExecutionProvider``
- OpenCV DNN (SSD-MobileNet) and dlib from PyPI have no CUDA build: CPU always
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)
_WARNED: set[str] = set()


def cpu_threads() -> int:
    """Threads a model may use on the CPU: the cores this process may run on
    (``EIOKU_PIN_CPUS`` narrows them to one), not the machine's. Passing it
    explicitly also matters for ONNX Runtime, whose default thread pool pins
    its threads to every core of the machine, whatever the process's own
    affinity (two workers pinned to separate cores then fight over both)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def requested() -> str:
    value = os.environ.get("EIOKU_DEVICE", "cpu").strip().lower()
    return "cuda" if value.startswith("cuda") else "cpu"


def _choose(library: str, available: Callable[[], bool]) -> str:
    if requested() != "cuda":
        return "cpu"
    try:
        ok = available()
    except Exception:  # noqa: BLE001 - a library without GPU support at all
        ok = False
    if ok:
        return "cuda"
    if library not in _WARNED:
        _WARNED.add(library)
        log.warning("EIOKU_DEVICE=cuda, but %s sees no usable CUDA device: it runs on the CPU",
                    library)
    return "cpu"


def for_torch() -> str:
    def available() -> bool:
        import torch

        return bool(torch.cuda.is_available())

    return _choose("torch", available)


def for_ctranslate2() -> str:
    def available() -> bool:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count()) > 0

    return _choose("CTranslate2 (faster-whisper)", available)


def onnx_use_cuda() -> bool:
    def available() -> bool:
        import onnxruntime

        return "CUDAExecutionProvider" in onnxruntime.get_available_providers()

    return _choose("ONNX Runtime", available) == "cuda"
