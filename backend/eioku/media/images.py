"""Pictures the API serves, made once and cached under the data dir:
thumbnails at a time, face crops, and scrub-preview sprite sheets with the
WebVTT file that points into them (``#xywh=`` media fragments)."""

from __future__ import annotations

import contextlib
import errno
import io
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

from eioku.domain.errors import StorageError
from eioku.media.frames import frame_at, frames_every, tile_plan, video_facts
from eioku.media.geometry import scaled_size

TILE_WIDTH = 160
SHEET_COLUMNS = 10
SHEET_ROWS = 10
FACE_SIZE = 160


_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class MediaCache:
    """``<data dir>/cache/<video id>/``: derived pictures and clips of one video.
    Files are written to a temporary name and renamed, so a reader never sees
    half a file and two requests making the same file do no harm.

    With ``max_bytes`` (EIOKU_CACHE_MAX_BYTES) the whole cache is kept under
    that size: after a new file or folder is written, the least recently used
    ones (by modification time, which every hit renews) are deleted until the
    total fits. The one just written is never deleted, even when it alone is
    larger. A failed ``make`` leaves nothing behind."""

    def __init__(self, root: Path, max_bytes: int | None = None) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def dir(self, video_id: uuid.UUID) -> Path:
        return self.root / str(video_id)

    def file(self, video_id: uuid.UUID, name: str, make: Callable[[Path], None]) -> Path:
        target = self.dir(video_id) / name
        if self.cached(video_id, name) is None:
            with self._disk_trouble():
                self._write_file(target, make)
            self._evict(keep=target)
        return target

    @staticmethod
    def _write_file(target: Path, make: Callable[[Path], None]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        os.close(fd)
        try:
            make(Path(tmp))
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def folder(self, video_id: uuid.UUID, name: str, make: Callable[[Path], None]) -> Path:
        target = self.dir(video_id) / name
        if self.cached(video_id, name) is None:
            with self._disk_trouble():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
                try:
                    make(tmp)
                    with contextlib.suppress(OSError):  # made by another request meanwhile
                        tmp.rename(target)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            self._evict(keep=target)
        return target

    @contextlib.contextmanager
    def _disk_trouble(self) -> Iterator[None]:
        """A full or read-only data dir is the server's storage (507), not a bug."""
        try:
            yield
        except OSError as exc:
            if exc.errno not in _NO_ROOM:
                raise
            raise StorageError(f"cannot write the media cache in {self.root}: "
                               f"{exc.strerror or exc} (is the data dir full or read-only?)") from exc

    def cached(self, video_id: uuid.UUID, name: str) -> Path | None:
        """The cached file or folder, marked as just used; None when there is none."""
        target = self.dir(video_id) / name
        try:
            os.utime(target)
        except OSError:
            return None
        return target

    def forget(self, video_id: uuid.UUID) -> None:
        shutil.rmtree(self.dir(video_id), ignore_errors=True)

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(last use, bytes, path) of every cached file and folder."""
        out = []
        for video_dir in _scandir(self.root):
            if not video_dir.is_dir(follow_symlinks=False):
                continue
            for entry in _scandir(Path(video_dir.path)):
                if entry.name.startswith(".tmp-"):
                    continue  # being written
                with contextlib.suppress(OSError):  # deleted meanwhile
                    used = entry.stat(follow_symlinks=False).st_mtime
                    size = (_folder_bytes(Path(entry.path)) if entry.is_dir(follow_symlinks=False)
                            else entry.stat(follow_symlinks=False).st_size)
                    out.append((used, size, Path(entry.path)))
        return out

    def _evict(self, keep: Path) -> None:
        if self.max_bytes is None:
            return
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            total -= size


def _scandir(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _folder_bytes(folder: Path) -> int:
    return sum(e.stat(follow_symlinks=False).st_size for e in _scandir(folder)
               if e.is_file(follow_symlinks=False))


def save_jpeg(image: Image.Image, path: Path, quality: int = 82) -> None:
    image.convert("RGB").save(path, format="JPEG", quality=quality, optimize=True)


def jpeg_bytes(image: Image.Image, quality: int = 82) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def thumbnail(video: Path, t_ms: int, width: int, out: Path) -> None:
    save_jpeg(frame_at(video, t_ms, width), out)


def face_crop(video: Path, t_ms: int, bbox: dict[str, float], analysed_width: int | None,
              out: Path) -> None:
    """A square crop around a face box (given in pixels of the analysed frame),
    with a margin, scaled to FACE_SIZE. The picture is as displayed, the
    analysed frame in coded pixels: an anamorphic video scales x and y apart."""
    image = frame_at(video, t_ms)
    facts = video_facts(video)
    aw, ah = scaled_size(facts.width, facts.height, analysed_width)
    sx = image.width / aw if aw else 1.0
    sy = image.height / ah if ah else 1.0
    cx = (bbox["x"] + bbox["w"] / 2) * sx
    cy = (bbox["y"] + bbox["h"] / 2) * sy
    side = max(bbox["w"] * sx, bbox["h"] * sy) * 1.6
    side = max(16.0, min(side, float(min(image.width, image.height))))
    left = min(max(0.0, cx - side / 2), image.width - side)
    top = min(max(0.0, cy - side / 2), image.height - side)
    crop = image.crop((round(left), round(top), round(left + side), round(top + side)))
    save_jpeg(crop.resize((FACE_SIZE, FACE_SIZE), Image.Resampling.LANCZOS), out)


def _clock(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02}:{m:02}:{s:02}.{ms:03}"


def build_trickplay(video: Path, folder: Path) -> None:
    """Sprite sheets (``0.jpg``, ``1.jpg``…, SHEET_COLUMNS x SHEET_ROWS tiles)
    and ``thumbnails.vtt`` mapping each interval to its tile."""
    facts = video_facts(video)
    interval, count = tile_plan(facts.duration_s)
    shown_w, shown_h = facts.display_width or 160, facts.display_height or 90
    tile_w = min(TILE_WIDTH, shown_w)
    tile_h = max(2, round(shown_h * tile_w / shown_w))
    per_sheet = SHEET_COLUMNS * SHEET_ROWS
    cues = ["WEBVTT", ""]
    sheet: Image.Image | None = None
    for i, picture in enumerate(frames_every(video, interval, count, tile_w)):
        index, slot = divmod(i, per_sheet)
        if slot == 0:
            if sheet is not None:
                save_jpeg(sheet, folder / f"{index - 1}.jpg", quality=70)
            rows = min(SHEET_ROWS, math.ceil((count - i) / SHEET_COLUMNS))
            sheet = Image.new("RGB", (tile_w * SHEET_COLUMNS, tile_h * rows))
        assert sheet is not None
        x, y = (slot % SHEET_COLUMNS) * tile_w, (slot // SHEET_COLUMNS) * tile_h
        sheet.paste(picture.resize((tile_w, tile_h)), (x, y))
        start, end = i * interval, min((i + 1) * interval, max(facts.duration_s, i * interval + 0.001))
        cues += [f"{_clock(start)} --> {_clock(end)}",
                 f"thumbnails/{index}.jpg#xywh={x},{y},{tile_w},{tile_h}", ""]
    if sheet is not None:
        save_jpeg(sheet, folder / f"{(count - 1) // per_sheet}.jpg", quality=70)
    (folder / "thumbnails.vtt").write_text("\n".join(cues), encoding="utf-8")
