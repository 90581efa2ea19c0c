"""Run every benchmark: ``make bench`` (or ``python -m bench.run``)."""

from bench import ingest, pipeline, queries


def main() -> None:
    ingest.main()
    queries.main()
    pipeline.main()


if __name__ == "__main__":
    main()
