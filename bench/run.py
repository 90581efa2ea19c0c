"""Run every benchmark and write ``bench/results.json``: ``make bench`` (or
``python -m bench.run [--large]``). Each prints its table as it goes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import (
    ingest,
    library_scan,
    load,
    navigation,
    partitioned,
    pipeline,
    playback,
    query,
    semantic,
    workers,
)

RESULTS = Path(__file__).parent / "results.json"
SEMANTIC = Path(__file__).parent / "results-semantic.json"
PARTITIONED = Path(__file__).parent / "results-partitioned.json"


def main(large: bool = False) -> dict:
    results = {"ingest": ingest.main()}
    results.update(navigation.main(large=large))
    results["query"] = query.main()  # combined queries over 1,000 videos, beside single conditions
    # its own file: results.json keeps exactly the keys its readers expect
    SEMANTIC.write_text(json.dumps(semantic.main(), indent=1) + "\n")
    results["pipeline"] = [pipeline.main()]
    results["workers"] = workers.main()
    results["load"] = load.main()
    results["library_scan"] = library_scan.main()
    results["playback"] = playback.main()
    if large:  # the partitioned layout up to 10^7 rows (docs/operations.md)
        PARTITIONED.write_text(json.dumps(partitioned.main(), indent=1) + "\n")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwritten: {RESULTS}, {SEMANTIC}" + (f", {PARTITIONED}" if large else ""))
    return results


if __name__ == "__main__":
    main(large="--large" in sys.argv)
