"""``eioku collections``: named, ordered moments across videos — create (or save
from a query), list, show, rename, add, remove, move, refresh, delete, export
(services/collections.py, eioku/exports)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from eioku.cli import JsonOpt, _clock, _Store, _table, app, console, friendly_errors, print_json
from eioku.cli.bookmarks import parse_id

collections_app = typer.Typer(help="Collections: named, ordered moments across videos.",
                              no_args_is_help=True)
app.add_typer(collections_app, name="collections")
Ref = Annotated[str, typer.Argument(help="Collection id.")]


class ExportFormat(StrEnum):
    OTIO = "otio"
    EDL = "edl"
    XML = "xml"
    FCPXML = "fcpxml"
    CSV = "csv"
    JSON = "json"


def _detail(uow: Any, cid: uuid.UUID) -> dict[str, Any]:
    from eioku.api.routers.collections import _detail as detail

    return detail(uow, cid).model_dump(mode="json")


def _print(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(out)
        return
    query = f" (query: {out['query']})" if out["query"] else ""
    _table(f"{out['name']}: {out['item_count']} moment(s){query}",
           ["#", "item", "video", "from", "to", "note"],
           [[i["position"] + 1, i["item_id"], i["filename"], _clock(i["start_ms"]), _clock(i["end_ms"]),
             i["note"]] for i in out["items"]])


def _change(cid: str, as_json: bool, action: Any) -> None:
    with _Store().uow() as uow:
        ref = parse_id(cid, "collection")
        action(uow, ref)
        uow.commit()
        out = _detail(uow, ref)
    _print(out, as_json)


@collections_app.command("create")
@friendly_errors
def collections_create(name: str, query: Annotated[str | None, typer.Option(
        "--query", "-q", help="Save it from a combined query (refresh to find new matches).")] = None,
        as_json: JsonOpt = False) -> None:
    """A new collection, empty or saved from a query."""
    from eioku.services import collections as svc

    with _Store().uow() as uow:
        made = svc.create(uow, name, query)
        uow.commit()
        out = _detail(uow, made.collection_id)
    if as_json:
        print_json(out)
    else:
        console.print(f"{out['collection_id']} created: {out['name']} ({out['item_count']} moments)",
                      highlight=False)


@collections_app.command("list")
@friendly_errors
def collections_list(as_json: JsonOpt = False) -> None:
    """Every collection: its moments and their length."""
    from eioku.api.routers.collections import CollectionOut
    from eioku.store.collections import CollectionStore

    with _Store().uow() as uow:
        found = [CollectionOut.of(c).model_dump(mode="json") for c in CollectionStore(uow.session).list()]
    if as_json:
        print_json({"collections": found})
    else:
        _table("Collections", ["id", "name", "moments", "length", "query"],
               [[c["collection_id"], c["name"], c["item_count"], _clock(c["duration_ms"]), c["query"] or ""]
                for c in found])


@collections_app.command("show")
@friendly_errors
def collections_show(collection_id: Ref, as_json: JsonOpt = False) -> None:
    """A collection's moments, in order."""
    with _Store().uow() as uow:
        out = _detail(uow, parse_id(collection_id, "collection"))
    _print(out, as_json)


@collections_app.command("rename")
@friendly_errors
def collections_rename(collection_id: Ref, name: str, as_json: JsonOpt = False) -> None:
    """Give a collection a new name."""
    from eioku.services import collections as svc

    _change(collection_id, as_json, lambda uow, ref: svc.rename(uow, ref, name))


@collections_app.command("add")
@friendly_errors
def collections_add(collection_id: Ref,
                    video_id: Annotated[str | None, typer.Option("--video", help="A video's moment.")] = None,
                    at_s: Annotated[float, typer.Option("--from", min=0, help="Its start (s).")] = 0,
                    to_s: Annotated[float | None, typer.Option("--to", min=0, help="Its end (s).")] = None,
                    bookmark: Annotated[str | None, typer.Option("--bookmark", help="A bookmark id.")] = None,
                    note: Annotated[str, typer.Option("--note", "-n")] = "",
                    position: Annotated[int | None, typer.Option(min=1, help="Where (1: first).")] = None,
                    as_json: JsonOpt = False) -> None:
    """Add a moment (--video, --from, --to) or a bookmark (--bookmark)."""
    from eioku.services import collections as svc

    if (video_id is None) == (bookmark is None):
        raise typer.BadParameter("give --video (with --from/--to) or --bookmark")
    at = None if position is None else position - 1

    def add(uow: Any, ref: uuid.UUID) -> None:
        if bookmark is not None:
            svc.add_bookmarks(uow, ref, [parse_id(bookmark, "bookmark")], at)
        else:
            assert video_id is not None
            svc.add_moments(uow, ref, [svc.Moment(parse_id(video_id, "video"), round(at_s * 1000),
                                                  None if to_s is None else round(to_s * 1000), note)], at)

    _change(collection_id, as_json, add)


@collections_app.command("remove")
@friendly_errors
def collections_remove(collection_id: Ref, item_id: str, as_json: JsonOpt = False) -> None:
    """Take one moment out (by its item id, see `show`)."""
    from eioku.services import collections as svc

    _change(collection_id, as_json, lambda uow, ref: svc.remove(uow, ref, parse_id(item_id, "item")))


@collections_app.command("move")
@friendly_errors
def collections_move(collection_id: Ref, item_id: str,
                     position: Annotated[int, typer.Argument(min=1, help="The new place (1: first).")],
                     as_json: JsonOpt = False) -> None:
    """Move one moment to another place; the others keep their order."""
    from eioku.services import collections as svc

    def move(uow: Any, ref: uuid.UUID) -> None:
        ids = [i.item_id for i in svc.items(uow, ref)]
        item = parse_id(item_id, "item")
        if item not in ids:
            raise typer.BadParameter(f"{item_id} is not a moment of this collection")
        ids.remove(item)
        ids.insert(min(position - 1, len(ids)), item)
        svc.reorder(uow, ref, ids)

    _change(collection_id, as_json, move)


@collections_app.command("refresh")
@friendly_errors
def collections_refresh(collection_id: Ref, as_json: JsonOpt = False) -> None:
    """Run a saved query again (new videos that match join)."""
    from eioku.services import collections as svc

    _change(collection_id, as_json, lambda uow, ref: svc.refresh(uow, ref))


@collections_app.command("delete")
@friendly_errors
def collections_delete(collection_id: Ref) -> None:
    """Delete a collection (its videos and bookmarks stay)."""
    from eioku.services import collections as svc

    with _Store().uow() as uow:
        svc.delete(uow, parse_id(collection_id, "collection"))
        uow.commit()
    console.print(f"{collection_id} deleted", highlight=False)


@collections_app.command("export")
@friendly_errors
def collections_export(collection_id: Ref, fmt: Annotated[ExportFormat, typer.Option("--format", "-f")],
                       out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: "
                                                                "standard output).")] = None) -> None:
    """The collection as an editing timeline (otio, edl, xml, fcpxml) or CSV/JSON."""
    from eioku.config import get_settings
    from eioku.exports import tables, timelines
    from eioku.exports.moments import of_collection
    from eioku.services import collections as svc

    with _Store().uow() as uow:
        ref = parse_id(collection_id, "collection")
        moments = of_collection(uow, get_settings(), ref)
        title = svc.get(uow, ref).name
    if fmt is ExportFormat.CSV:
        text = tables.to_csv(moments)
    elif fmt is ExportFormat.JSON:
        text = tables.to_json(moments, title)
    else:
        text = timelines.write(moments, title, timelines.TimelineFormat(fmt.value))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        console.print(f"{len(moments)} moments written to {out}", highlight=False)
