"""``eioku query``: moments where a combined query holds, in one video or the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eioku.cli import JsonOpt, _Store, _table, _uuid, app, friendly_errors, print_json

QUERY_HELP = ('The query, e.g. \'person:Alice AND said:"budget" WITHIN 10s\' '
              "(docs/api.md, \"Combined queries\").")


@app.command("query")
@friendly_errors
def query(
    text: Annotated[str | None, typer.Argument(help=QUERY_HELP)] = None,
    tree_file: Annotated[Path | None, typer.Option(
        "--tree", help="Read the query as JSON (POST /v1/query's `query`) from this file, - for stdin.",
        allow_dash=True)] = None,
    video: Annotated[str | None, typer.Option(help="One video's id; omitted: the whole library.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    order: Annotated[str, typer.Option(help="rank (longest first) or time (library order).")] = "rank",
    as_json: JsonOpt = False,
) -> None:
    """Moments where conditions on people, speech, objects, places, text on screen,
    scenes… hold together in time (AND, OR, NOT, WITHIN, BEFORE, AFTER, DURING)."""
    from eioku.api.routers.query import QueryIn, QueryOut
    from eioku.db.steps import run
    from eioku.query.plan import Order, query_steps

    if (text is None) == (tree_file is None):
        raise typer.BadParameter("give the query as text or with --tree FILE, one of them")
    if order not in {o.value for o in Order}:
        raise typer.BadParameter("--order is rank or time")
    raw = None
    if tree_file is not None:
        source = typer.get_text_stream("stdin") if str(tree_file) == "-" else tree_file.open()
        with source:
            try:
                raw = json.load(source)
            except (ValueError, RecursionError):
                raise typer.BadParameter("--tree: not JSON") from None
    video_id = _uuid(video) if video else None
    tree = QueryIn(q=text, query=raw, video_id=video_id, limit=limit, order=Order(order)).tree()
    with _Store().uow() as uow:
        result = run(uow.session, query_steps(tree, video_id=video_id, limit=limit, order=Order(order)))
    out = QueryOut.of(tree, result)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    _table(f"{out.query}: {out.total} moment{'' if out.total == 1 else 's'}",
           ["video", "file", "start", "end", "length"],
           [[m.video_id, m.filename, _clock(m.start_ms), _clock(m.end_ms),
             f"{(m.end_ms - m.start_ms) / 1000:.1f} s"] for m in out.moments])


def _clock(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    h, s = divmod(s, 3600)
    return f"{h}:{s // 60:02d}:{s % 60:02d}.{ms:03d}" if h else f"{s // 60}:{s % 60:02d}.{ms:03d}"
