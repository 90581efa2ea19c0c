"""A worker pinned to one core (EIOKU_PIN_CPUS) keeps its model threads on
that core. ONNX Runtime's default thread pool pins its threads to every core
of the machine whatever the process's affinity; two pinned workers then fight
over both cores (measured: frame chunks ~50 % slower side by side)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = r"""
import glob, json, os
import numpy as np  # OpenBLAS starts its threads now, before the pinning
from eioku_ml.worker.daemon import pin_process
pin_process({{{core}}})
from eioku_ml.models import device
from eioku_ml.analyzers.ocr import OcrAnalyzer
ocr = OcrAnalyzer({{}})
ocr.ensure_loaded()
image = np.full((240, 320, 3), 255, np.uint8)
import cv2
cv2.putText(image, "PINNED 42", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 3)
texts = [t for t, _, _ in ocr._read_raw(image)]
allowed = set()
for status in glob.glob("/proc/self/task/*/status"):
    for line in open(status):
        if line.startswith("Cpus_allowed_list:"):
            allowed.add(line.split(":", 1)[1].strip())
print(json.dumps({{"threads": device.cpu_threads(), "allowed": sorted(allowed), "texts": texts}}))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs CPU affinity and two cores to tell them apart")
def test_ocr_threads_stay_on_the_pinned_core():
    core = max(os.sched_getaffinity(0))  # not core 0, where a default pool starts anyway
    out = subprocess.run([sys.executable, "-c", PROBE.format(core=core)], capture_output=True,
                         text=True, timeout=300, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["threads"] == 1
    assert seen["allowed"] == [str(core)], seen  # every thread of the process, ORT's included
    assert any("42" in t for t in seen["texts"])  # the engine really ran on that core
