"""Cost of the entities and languages analyzers (issue 30) on the benchmark
video's speech and on-screen text, without decoding it: a transcript of its
script as the transcript analyzer writes it (sentences as segments, word
times at espeak-ng's 150 words a minute, 3 minutes) and the on-screen lines
it shows (bench/make_video.py's TEXTS, a line every 5 s in every third shot),
read by each analyzer in a fresh process. Prints the CPU seconds of loading
the models and of analysing, and the cost as ``make bench`` counts it:
CPU / (cores x video duration).

Usage: ``python -m bench.text_analyzers [--json]``
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

from bench.make_video import SCRIPT, TEXTS

DURATION_S = 180
WORDS_PER_S = 150 / 60


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def context() -> dict[str, list[SimpleNamespace]]:
    """The benchmark video's transcript segments and OCR lines, as artifacts."""
    words = (SCRIPT * 4).split()[: int(DURATION_S * WORDS_PER_S)]
    text = " ".join(words)
    segments, t = [], 0.0
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        tokens = sentence.split()
        if not tokens:
            continue
        timed = [{"word": " " + w, "start_ms": round((t + i / WORDS_PER_S) * 1000),
                  "end_ms": round((t + (i + 0.8) / WORDS_PER_S) * 1000), "confidence": 0.9}
                 for i, w in enumerate(tokens)]
        end = t + len(tokens) / WORDS_PER_S
        segments.append(SimpleNamespace(artifact_id=uuid.uuid4(), span_start_ms=round(t * 1000),
                                        span_end_ms=round(end * 1000), payload={
                                            "text": sentence, "language": "en", "words": timed}))
        t = end
    lines = []
    for shot in range(12):
        if shot % 3 == 2:
            for k in range(3):
                start = shot * 15 + k * 5
                lines.append(SimpleNamespace(artifact_id=uuid.uuid4(), span_start_ms=start * 1000,
                                             span_end_ms=(start + 5) * 1000,
                                             payload={"text": TEXTS[((shot // 3) * 3 + k) % len(TEXTS)]}))
    return {"transcript": segments, "ocr": lines}


def measure(name: str) -> dict[str, float]:
    """One analyzer in this process: CPU and wall time of loading, then of analysing."""
    from eioku.services.pipeline import ANALYZERS
    from eioku_ml.analyzers import analyzer_class

    ctx = context()
    c0, w0 = _cpu(), time.perf_counter()
    analyzer = analyzer_class(name)(ANALYZERS[name].config("fast"))
    analyzer.ensure_loaded()
    c1, w1 = _cpu(), time.perf_counter()
    items = analyzer.analyze(SimpleNamespace(duration_ms=DURATION_S * 1000), lambda p: None, ctx)
    c2, w2 = _cpu(), time.perf_counter()
    return {"load_cpu_s": round(c1 - c0, 3), "load_wall_s": round(w1 - w0, 3),
            "analyse_cpu_s": round(c2 - c1, 3), "analyse_wall_s": round(w2 - w1, 3),
            "items": len(items), "segments": len(ctx["transcript"]), "lines": len(ctx["ocr"])}


def main() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    results = {}
    for name in ("entities", "languages"):
        out = subprocess.run([sys.executable, "-m", "bench.text_analyzers", "--one", name],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        total = r["load_cpu_s"] + r["analyse_cpu_s"]
        r["x_realtime"] = round(total / (cores * DURATION_S), 4)
        r["x_realtime_warm"] = round(r["analyse_cpu_s"] / (cores * DURATION_S), 4)
        results[name] = r
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return
    print(f"{'analyzer':10s} {'load cpu':>9s} {'analyse cpu':>12s} {'items':>6s} {'x realtime':>11s} "
          f"{'(warm)':>7s}   ({cores} cores, {DURATION_S} s video)")
    for name, r in results.items():
        print(f"{name:10s} {r['load_cpu_s']:8.2f}s {r['analyse_cpu_s']:11.2f}s {r['items']:6d} "
              f"{r['x_realtime']:11.4f} {r['x_realtime_warm']:7.4f}")


if __name__ == "__main__":
    if "--one" in sys.argv:
        print(json.dumps(measure(sys.argv[sys.argv.index("--one") + 1])))
    else:
        main()
