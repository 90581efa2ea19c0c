"""File names of downloads: the video's own name, safe in a header.

A title is whatever the user's file was called (any script, quotes, even
newlines in an upload's name), so ``Content-Disposition`` carries it twice
(RFC 6266): ``filename*`` with the name percent-encoded as UTF-8 (RFC 5987),
which every current browser prefers, and ``filename`` with an ASCII stand-in
for the rest. Neither can end the header or hide a path.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')  # ends a header, hides a path, or trips an OS
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._ ()+,=@&'-]+")
MAX_STEM_CHARS = 120


def stem(title: str) -> str:
    """A video's title without its extension, as a file name's first part."""
    name = _UNSAFE.sub("_", PurePosixPath(title.replace("\\", "/")).name)
    base = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    base = " ".join(base.split()).strip(" ._")
    return base[:MAX_STEM_CHARS] or "video"


def clock_part(ms: int) -> str:
    """10500 -> "0m10.5s", for a clip's range in its name."""
    minutes, rest = divmod(max(0, ms), 60_000)
    seconds, millis = divmod(rest, 1000)
    fraction = f".{millis:03d}".rstrip("0") if millis else ""
    return f"{minutes}m{seconds:02d}{fraction}s"


def clip_name(title: str, from_ms: int, to_ms: int) -> str:
    return f"{stem(title)}.clip-{clock_part(from_ms)}-{clock_part(to_ms)}.mp4"


def disposition(filename: str, kind: str = "attachment") -> dict[str, str]:
    """The ``Content-Disposition`` header naming a download ``filename``."""
    readable = _UNSAFE.sub("_", filename)
    fallback = unicodedata.normalize("NFKD", readable).encode("ascii", "ignore").decode()
    fallback = _NOT_ASCII_SAFE.sub("_", fallback).strip(" _") or "download"
    if fallback.startswith("."):
        fallback = "video" + fallback
    value = f'{kind}; filename="{fallback}"'
    if fallback != readable:
        value += f"; filename*=UTF-8''{quote(readable, safe='')}"
    return {"Content-Disposition": value}
