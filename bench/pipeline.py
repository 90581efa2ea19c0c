"""Pipeline: `eioku analyze` of the benchmark video (3 minutes of 1280x720 with
speech, people and changing text; ``bench/make_video.py``) with every analyzer
and the default profile, against one raw PyAV decode of the same file.

Prints wall time, realtime factor (wall / video duration), the compute of each
analyzer (decode is shared by the frame pass), and OCR's cost and text recall
before (full-resolution detection with the angle classifier) and after (the
fast profile) on the same video.

Usage: ``python -m bench.pipeline [VIDEO]``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path

from eioku_ml.analyzers import analyzer_class
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.media.decode import probe

from bench import make_video
from bench.common import print_table

EIOKU = Path(sys.executable).parent / "eioku"


def raw_decode_s(video: Path) -> float:
    import av

    start = time.perf_counter()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - start


def analyze(video: Path, *args: str, **env_vars: str) -> tuple[float, dict]:
    """`eioku analyze` in a fresh data dir (embedded database): wall seconds and summary."""
    with tempfile.TemporaryDirectory(prefix="eioku-bench-") as data:
        env = {**os.environ, "EIOKU_DATA_DIR": data, **env_vars}
        env.pop("DATABASE_URL", None)
        subprocess.run([str(EIOKU), "db", "upgrade"], env=env, check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run([str(EIOKU), "analyze", str(video), "--json", *args], env=env,
                              check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        (summary,) = json.loads(done.stdout)
        summary["timings"] = _timings(env)
    return wall, summary


def _timings(env: dict[str, str]) -> dict[str, dict]:
    code = ("import json; from eioku.config import get_settings; from eioku.db.server import "
            "database_url; from eioku.db.engine import make_engine; from sqlalchemy import text; "
            "e = make_engine(database_url(get_settings())); c = e.connect(); print(json.dumps("
            "{a: t for a, t in c.execute(text('SELECT analyzer, timings FROM runs'))}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)


CHUNK_S = 45  # the 3-minute video in four chunks


def chunked_workers(video: Path, duration: float) -> dict[str, float]:
    """The same analysis in 45 s chunks with 1 and with 2 worker processes, each
    pinned to a core of its own (EIOKU_PIN_CPUS: as workers on separate one-core
    machines; unpinned, one analysis already keeps both cores of this machine busy)."""
    walls = {}
    for workers in (1, 2):
        walls[str(workers)], summary = analyze(video, "--workers", str(workers),
                                               EIOKU_CHUNK_S=str(CHUNK_S), EIOKU_PIN_CPUS="1")
        assert not summary["failed"], summary["failed"]
    print_table(f"{video.name} in {CHUNK_S} s chunks, one core per worker",
                ["workers", "wall s", "x realtime", "vs 1 worker"],
                [[w, f"{s:.1f}", f"{s / duration:.3f}", f"{s / walls['1']:.2f}"] for w, s in walls.items()])
    return {w: round(s, 1) for w, s in walls.items()}


def _norm(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def ocr_recall(video: Path, truth: dict, config: dict) -> tuple[float, float]:
    """Seconds and the share of shown text lines read (fuzzy match >= 0.8 while shown)."""
    analyzer = analyzer_class("ocr")(config)
    analyzer.ensure_loaded()
    start = time.perf_counter()
    items = analyzer.analyze(MediaInput(video, probe(video)), lambda f: None, {})
    seconds = time.perf_counter() - start
    found = 0
    for shown in truth["texts"]:
        lo, hi = shown["start_s"] * 1000, shown["end_s"] * 1000
        if any(i.span_start_ms < hi and i.span_end_ms > lo and SequenceMatcher(
                None, _norm(i.payload["text"]), _norm(shown["text"])).ratio() >= 0.8 for i in items):
            found += 1
    return seconds, found / max(1, len(truth["texts"]))


def main(video: Path | None = None) -> dict:
    video = video or make_video.build()
    truth_path = video.with_suffix(".json")
    truth = json.loads(truth_path.read_text()) if truth_path.is_file() else None
    duration = probe(video).duration_s
    decode = raw_decode_s(video)
    wall, summary = analyze(video)
    per_analyzer = {}
    rows = [["raw PyAV decode (baseline)", f"{decode:.1f}", f"{decode / duration:.3f}", ""]]
    rows.append(["eioku analyze, all analyzers (wall)", f"{wall:.1f}", f"{wall / duration:.3f}",
                 f"{len(summary['failed'])} failed"])
    for name, t in sorted(summary["timings"].items()):
        own = t.get("infer_s", 0) + t.get("write_s", 0)
        per_analyzer[name] = round(own, 2)
        note = f"shared decode {t.get('decode_s', 0):.1f} s" if t.get("frame_pass_runs") else \
            f"decode {t.get('decode_s', 0):.1f} s"
        rows.append([f"  {name} (own compute)", f"{own:.1f}", f"{own / duration:.3f}", note])
    print_table(f"Pipeline on {video.name} ({duration:.0f} s, 1280x720), fast profile, "
                f"{os.cpu_count()} cores", ["what", "seconds", "x realtime", "note"], rows)
    result = {"video": video.name, "duration_s": round(duration, 1), "wall_s": round(wall, 1),
              "decode_s": round(decode, 2), "realtime_factor": round(wall / duration, 3),
              "per_analyzer_s": per_analyzer}
    chunked_workers(video, duration)
    if truth:
        from eioku.services.pipeline import ANALYZERS

        after = ANALYZERS["ocr"].config("fast")
        before = {k: v for k, v in after.items() if k not in ("det_side_len", "use_cls")}
        ocr_rows = []
        for label, config in (("before: full-size detection + angle model", before),
                              ("after: fast profile", after)):
            seconds, recall = ocr_recall(video, truth, config)
            ocr_rows.append([label, f"{seconds:.1f}", f"{recall:.0%}"])
        print_table(f"OCR alone on {video.name}: {len(truth['texts'])} text lines shown",
                    ["OCR", "seconds", "text recall"], ocr_rows)
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
