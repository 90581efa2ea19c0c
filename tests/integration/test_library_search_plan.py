"""Library keyword search (``services.library.search``, also inside hybrid
search) ranks and cuts to the limit first, and makes headlines only for the
rows it returns: ts_headline parses each text again, and building one for
every matching row cost 0.36 s against 0.017 s for find on 30,000 segments."""

from __future__ import annotations

import json
from typing import Any

from eioku.services import library
from eioku.store.uow import UnitOfWork
from sqlalchemy import event

from tests.factories import add_video, payload_for, store_run

MATCHING = 200
LIMIT = 5


def _nodes(plan: dict[str, Any]):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_headlines_only_for_the_rows_returned(engine, session_factory):
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        store_run(uow, video.video_id, "transcript.segment",
                  [(i * 1000, i * 1000 + 900) for i in range(MATCHING)],
                  payloads=[payload_for("transcript.segment", text=f"please pay invoice {i} today")
                            for i in range(MATCHING)])
        store_run(uow, video.video_id, "ocr.text", [(0, 500)],
                  payloads=[payload_for("ocr.text", text="INVOICE")])
        uow.commit()
    executed: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if "ts_rank_cd" in statement:
            executed.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with UnitOfWork(session_factory) as uow:
            hits = library.search(uow.session, "invoice", limit=LIMIT)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(hits) == LIMIT and all("<mark>" in h.snippet.lower() for h in hits)
    [(statement, parameters)] = executed
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    finally:
        raw.close()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes = list(_nodes(plan[0]["Plan"]))
    making = [n for n in nodes if any("ts_headline" in o for o in n.get("Output", []))]
    assert making, "no plan node makes headlines"
    for node in making:  # every node that evaluates ts_headline sees at most LIMIT rows
        assert node["Actual Rows"] * node["Actual Loops"] <= LIMIT, (node["Node Type"], node["Actual Rows"])
    # while ranking did see every matching row
    assert max(n["Actual Rows"] * n["Actual Loops"] for n in nodes) >= MATCHING
