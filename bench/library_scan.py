"""Library folders: a first scan and a rescan of a tree of files, beside
``os.scandir`` + ``stat`` of the same tree.

The tree: N files (default 10,000) of 16 KiB each, 100 per folder, two levels
deep. The first scan hashes and registers every file and queues its analysis
(the ``metadata`` analyzer only: one run and one job per video); a rescan
where nothing changed stats each file and compares it with what the database
holds. The baseline walks the tree with ``os.scandir`` and stats each file,
nothing else: the floor any rescan stands on. The page cache is warm for all
three (the tree was just written). Usage: ``python -m bench.library_scan [N]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from eioku.config import Settings
from eioku.db.engine import make_engine, make_session_factory
from eioku.services.libraries import Scanner, add_library, holder_name
from eioku.store.libraries import LibraryRepository
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table, summary, timed

FILE_BYTES = 16 * 1024
PER_FOLDER = 100


def make_tree(root: Path, n: int) -> None:
    old = time.time() - 3600  # finished copies: older than any settle time
    for i in range(n):
        folder = root / f"year-{i // (PER_FOLDER * 10):02d}" / f"event-{i // PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"clip-{i:05d}.mp4"
        path.write_bytes(i.to_bytes(8, "little") + os.urandom(FILE_BYTES - 8))
        os.utime(path, (old, old))


def scandir_stat(root: Path) -> int:
    count, stack = 0, [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def main(n: int = 10_000, repeats: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="eioku-bench-tree-") as tmp, bench_database() as url:
        root = Path(tmp) / "media"
        make_tree(root / "library", n)
        settings = Settings(data_dir=Path(tmp) / "data", media_roots=[root], database_url=url,
                            analyzers=["metadata"])
        factory = make_session_factory(make_engine(url))
        with UnitOfWork(factory) as uow:
            library = add_library(uow, str(root / "library"), settings, analyzers=["metadata"])
            holder = holder_name("bench")
            LibraryRepository(uow.session).take_lease(library.library_id, holder, 3600)
            uow.commit()
        scanner = Scanner(factory, settings, holder)
        reports = []
        first = timed(lambda: reports.append(scanner.scan(library.library_id)))
        assert reports[0].added == n and reports[0].queued == n, reports[0]
        rescans = []
        for _ in range(repeats):
            rescans.append(timed(lambda: reports.append(scanner.scan(library.library_id))))
            assert reports[-1].unchanged == n and reports[-1].hashed == 0, reports[-1]
        walks = []
        for _ in range(repeats):
            walks.append(timed(lambda: scandir_stat(root / "library")))
    rescan = summary(rescans)[1]
    walk = summary(walks)[1]
    rows = [
        ["first scan (hash, register, queue)", n, f"{first:.2f}", f"{n / first:,.0f}"],
        ["rescan, nothing changed", n, f"{rescan:.3f}", f"{n / rescan:,.0f}"],
        ["os.scandir + stat", n, f"{walk:.3f}", f"{n / walk:,.0f}"],
    ]
    print_table(f"Library scan: {n} files of {FILE_BYTES // 1024} KiB, {PER_FOLDER} per folder "
                f"(median of {repeats} for the last two)", ["pass", "files", "s", "files/s"], rows)
    return {"files": n, "file_bytes": FILE_BYTES, "first_scan_s": round(first, 3),
            "first_scan_files_per_s": round(n / first), "rescan_s": round(rescan, 4),
            "rescan_files_per_s": round(n / rescan), "scandir_stat_s": round(walk, 4),
            "scandir_stat_files_per_s": round(n / walk)}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
