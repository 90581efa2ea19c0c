"""The picture and clip cache stays under its size limit (EIOKU_CACHE_MAX_BYTES),
the least recently used files going first; a failed make leaves nothing."""

from __future__ import annotations

import os
import uuid

import pytest
from eioku.media.images import MediaCache


def _writer(size: int):
    return lambda tmp: tmp.write_bytes(b"x" * size)


def _age(path, seconds_ago: float) -> None:
    t = path.stat().st_mtime - seconds_ago
    os.utime(path, (t, t))


def test_the_least_recently_used_files_go_first(tmp_path):
    cache = MediaCache(tmp_path, max_bytes=1000)
    a, b = uuid.uuid4(), uuid.uuid4()
    first = cache.file(a, "thumb-0-320.jpg", _writer(400))
    second = cache.file(b, "thumb-0-320.jpg", _writer(400))
    _age(first, 20)
    _age(second, 10)
    assert cache.cached(a, "thumb-0-320.jpg") == first  # a hit: first is now the newest
    third = cache.file(a, "clip-0-1000.mp4", _writer(400))
    assert first.exists() and third.exists() and not second.exists()
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 1000


def test_folders_count_whole_and_the_new_entry_is_kept_even_when_too_large(tmp_path):
    cache = MediaCache(tmp_path, max_bytes=1000)
    video = uuid.uuid4()

    def sheets(folder):
        for i in range(3):
            (folder / f"{i}.jpg").write_bytes(b"x" * 300)

    trickplay = cache.folder(video, "trickplay", sheets)
    _age(trickplay, 10)
    big = cache.file(video, "clip-0-9000.mp4", _writer(1500))
    assert big.exists() and not trickplay.exists()


def test_a_failed_make_leaves_nothing(tmp_path):
    cache = MediaCache(tmp_path, max_bytes=1000)
    video = uuid.uuid4()

    def fail(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("decoder gave up")

    with pytest.raises(RuntimeError):
        cache.file(video, "clip-0-1000.mp4", fail)
    assert list(cache.dir(video).iterdir()) == []
    assert cache.cached(video, "clip-0-1000.mp4") is None
