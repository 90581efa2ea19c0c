"""``eioku terms``: the names and terms said or shown across the library (or
in one video), with how many mentions and videos — what there is to search for."""

from __future__ import annotations

from typing import Annotated

import typer

from eioku.cli import JsonOpt, _Store, _table, _uuid, app, console, friendly_errors, print_json

TYPES = ("person", "org", "place", "date", "amount", "term")


@app.command("terms")
@friendly_errors
def terms(
    type_: Annotated[str | None, typer.Option("--type", help=f"One kind: {', '.join(TYPES)}.")] = None,
    q: Annotated[str | None, typer.Option(help="Names containing this (any case).")] = None,
    video: Annotated[str | None, typer.Option(help="One video's names and terms, by id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Names and terms with their mentions, most mentioned first: `eioku terms --type org`.
    Jump to a name's next mention with `eioku jump VIDEO --kind entity --label NAME`."""
    from eioku.api.routers.terms import TermOut, TermsOut, VideoTermsOut
    from eioku.domain.enums import ArtifactType
    from eioku.domain.errors import ValidationFailedError
    from eioku.store import terms as store

    if type_ is not None and type_ not in TYPES:
        raise ValidationFailedError(f"--type must be one of {', '.join(TYPES)}", field="type")
    if q is not None and (len(q) > 200 or "\x00" in q):
        raise ValidationFailedError("--q must be at most 200 characters, without NUL", field="q")
    with _Store().uow() as uow:
        if video is not None:
            video_id = _uuid(video)
            uow.videos.get(video_id)
            run_id = store.selected_run(uow.session, video_id, ArtifactType.ENTITY_MENTION)
            found = store.video_terms(uow.session, run_id, type_=type_, limit=limit) if run_id else []
            found = [t for t in found if not q or q.lower() in t.label]
            out: TermsOut | VideoTermsOut = VideoTermsOut(
                video_id=video_id, run_id=run_id, terms=[TermOut.of(t, per_video=True) for t in found])
        else:
            listed, total = store.library_terms(uow.session, type_=type_, q=q or None, limit=limit)
            out = TermsOut(terms=[TermOut.of(t) for t in listed], total=total, limit=limit, offset=0)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    if not out.terms:
        console.print("No names or terms found (run the entities analyzer: "
                      "`eioku analyze VIDEO --analyzers entities`).", highlight=False)
        return
    _table("Names and terms", ["name", "type", "mentions", "videos" if video is None else "first"],
           [[t.name, t.type, t.mentions,
             t.videos if video is None else f"{(t.first_ms or 0) / 1000:.1f} s"] for t in out.terms])


@app.command("languages")
@friendly_errors
def languages(video: Annotated[str, typer.Argument(help="The video id.")],
              as_json: JsonOpt = False) -> None:
    """The languages of a video's speech and on-screen text (its selected languages run)
    and the language its transcript heard: `eioku languages VIDEO`."""
    from eioku.api.routers.terms import languages_of_video

    with _Store().uow() as uow:
        video_id = _uuid(video)
        uow.videos.get(video_id)
        out = languages_of_video(uow.session, video_id)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    if out.spoken:
        console.print(f"Spoken: {out.spoken}", highlight=False)
    if not out.languages:
        console.print("No languages found (run the languages analyzer: "
                      "`eioku analyze VIDEO --analyzers languages`).", highlight=False)
        return
    _table("Languages", ["source", "language", "items", "seconds", "share"],
           [[x.source, x.language, x.items, f"{x.duration_ms / 1000:.1f}", f"{100 * x.share:.0f} %"]
            for x in out.languages])
