"""The moments as CSV (one row each) and JSON (with the source's title and where
each moment opens in the player)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from eioku.exports.moments import ExportMoment

COLUMNS = ["index", "video_id", "filename", "path", "start_ms", "end_ms", "length_ms", "fps", "note",
           "player_url"]


def _player(m: ExportMoment) -> str:
    return f"/videos/{m.video_id}?t={m.start_ms / 1000:.3f}"


def _row(m: ExportMoment) -> dict[str, Any]:
    return {"index": m.index, "video_id": str(m.video_id), "filename": m.filename, "path": str(m.path),
            "start_ms": m.start_ms, "end_ms": m.end_ms, "length_ms": m.length_ms,
            "fps": round(m.fps, 3), "note": m.note, "player_url": _player(m)}


def _safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(moments: Sequence[ExportMoment]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for m in moments:
        writer.writerow({k: _safe(v) for k, v in _row(m).items()})
    return out.getvalue()


def to_json(moments: Sequence[ExportMoment], title: str) -> str:
    return json.dumps({"title": title, "count": len(moments),
                       "length_ms": sum(m.length_ms for m in moments),
                       "moments": [_row(m) for m in moments]}, ensure_ascii=False, indent=2)
