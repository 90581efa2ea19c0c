"""Small filesystems for the soak (``bench/soak.py``): ext4 in a file, loop-mounted,
so that filling one of them is a disk-full event of its own, and a filler that
writes until ENOSPC. Needs root and a free loop device."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def preflight() -> None:
    """Refuse early, naming what is missing, rather than half-way through a run."""
    if os.geteuid() != 0:
        raise SystemExit("bench.soak needs root (loop-mounted filesystems)")
    for tool in ("mkfs.ext4", "mount", "umount", "losetup"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench.soak needs {tool}")
    if subprocess.run(["losetup", "-f"], capture_output=True).returncode != 0:
        raise SystemExit("bench.soak needs a free loop device (losetup -f failed)")


@contextlib.contextmanager
def loop_disk(image: Path, mountpoint: Path, size_mib: int) -> Iterator[Path]:
    """An ext4 filesystem of ``size_mib`` in ``image`` mounted on ``mountpoint``;
    unmounted and deleted on the way out, even after a failure. No blocks are
    reserved for root (-m 0): the filler and PostgreSQL see the same free space."""
    image.parent.mkdir(parents=True, exist_ok=True)
    mountpoint.mkdir(parents=True, exist_ok=True)
    subprocess.run(["truncate", "-s", f"{size_mib}M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        unmount(mountpoint)
        image.unlink(missing_ok=True)


def unmount(mountpoint: Path) -> None:
    """Unmount, retrying while a process that is still exiting holds a file;
    lazily as a last resort (the loop device is freed when the last user goes)."""
    for _ in range(20):
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode == 0:
            return
        if not os.path.ismount(mountpoint):
            return
        time.sleep(0.5)
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(folder: Path) -> tuple[Path, int]:
    """Write ``folder/soak-fill.bin`` until the filesystem answers ENOSPC (1 MiB
    blocks, then 4 KiB ones for the tail); the file and the bytes written."""
    path = folder / "soak-fill.bin"
    written = 0
    block = b"\0" * (1 << 20)
    with path.open("wb", buffering=0) as out:
        for size in (1 << 20, 4096):
            chunk = block[:size]
            while True:
                try:
                    written += out.write(chunk) or 0
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        with contextlib.suppress(OSError):
            os.fsync(out.fileno())
    return path, written
