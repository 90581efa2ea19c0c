"""video.metadata: container and stream facts, creation time and GPS."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress

# ISO 6709 as written by phones in QuickTime/MP4 tags, e.g. "+48.8577+002.2950+035.000/"
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/?$")
_GPS_KEYS = ("location", "com.apple.quicktime.location.ISO6709", "location-eng")
_TIME_KEYS = ("creation_time", "com.apple.quicktime.creationdate", "date")


def parse_iso6709(value: str) -> dict[str, float] | None:
    match = _ISO6709.match(value.strip())
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # (false for inf and nan too)
        return None
    gps: dict[str, Any] = {"latitude": lat, "longitude": lon}
    if match.group(3) and math.isfinite(altitude := float(match.group(3))):
        gps["altitude"] = altitude  # 400 digits parse to inf: dropped, not stored
    return gps


def parse_time(value: str) -> str | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def _finite(value: Any) -> Any:
    """Non-finite numbers (a container's nonsense) are dropped: None, never stored."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


class MetadataAnalyzer(Analyzer):
    name = "metadata"

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        p = media.probe
        tags = {k: v[:500] for k, v in p.tags.items()}
        gps = next((g for k in _GPS_KEYS if k in tags and (g := parse_iso6709(tags[k]))), None)
        created = next((t for k in _TIME_KEYS if k in tags and (t := parse_time(tags[k]))), None)
        payload = _finite({
            "duration_s": round(p.duration_s, 3), "fps": round(p.fps, 3) or None,
            "width": p.width or None, "height": p.height or None, "rotation": p.rotation,
            "video_codec": p.video_codec, "audio_codec": p.audio_codec, "container": p.container,
            "bit_rate": p.bit_rate, "tags": tags, "creation_time": created, "gps": gps,
        })
        progress(1.0)
        return [Item(0, media.duration_ms, payload)]
