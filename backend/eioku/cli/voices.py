"""``eioku voices``: speakers matched across the library — list, rename, merge,
unmerge, and link to (or unlink from) a person's face."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from eioku.cli import JsonOpt, _Store, _table, app, console, friendly_errors, print_json

voices_app = typer.Typer(help="Voices across the library: list, rename, merge, link to a face.",
                         no_args_is_help=True)
app.add_typer(voices_app, name="voices")
Ref = Annotated[str, typer.Argument(help="Voice id or name (or its person's id or name).")]


def _show(change: Callable[[Any], Any], as_json: bool, verb: str) -> None:
    from eioku.api.routers.voices import VoiceOut
    from eioku.store.voices import VoiceRepository

    with _Store().uow() as uow:
        voice = change(uow.session)
        uow.commit()
        out = VoiceOut.of(VoiceRepository(uow.session).get(voice.voice_id))
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        person = f", linked to {out.person_name or out.person_id} ({out.link})" if out.person_id else ""
        console.print(f"{out.voice_id} {verb}: {out.shown_as}{person}", highlight=False)


@voices_app.command("list")
@friendly_errors
def voices_list(limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
                as_json: JsonOpt = False) -> None:
    """Voices, the most heard first (new speakers runs are matched first)."""
    from eioku.api.routers.voices import VoiceOut, VoicesOut
    from eioku.services.voices import link_voices
    from eioku.store.voices import VoiceRepository

    with _Store().uow() as uow:
        link_voices(uow.session)
        uow.commit()
        out = VoicesOut(voices=[VoiceOut.of(v) for v in VoiceRepository(uow.session).list(limit, 0)])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table("Voices", ["id", "name", "person", "videos", "talk"],
               [[v.voice_id, v.shown_as, _person(v), v.videos, f"{v.talk_ms / 1000:.0f} s"]
                for v in out.voices])


def _person(v: Any) -> str:
    return (v.person_name or v.person_id or "") + (f" ({v.link})" if v.link else "")


@voices_app.command("rename")
@friendly_errors
def voices_rename(voice: Ref, name: Annotated[str, typer.Argument(help="New name ('' removes it).")],
                  as_json: JsonOpt = False) -> None:
    """Name a voice: `eioku voices rename voice-2 Alice` (a linked voice names its person)."""
    from eioku.services import voices

    _show(lambda s: voices.rename(s, voice, name), as_json, "is now")


@voices_app.command("merge")
@friendly_errors
def voices_merge(voice: Ref, into: Annotated[str, typer.Argument(help="Voice that stays.")],
                 as_json: JsonOpt = False) -> None:
    """Merge two voices that are one; undo with `eioku voices unmerge`."""
    from eioku.store.voices import VoiceRepository

    _show(lambda s: VoiceRepository(s).merge(voice, into), as_json, "now holds the merged voice")


@voices_app.command("unmerge")
@friendly_errors
def voices_unmerge(voice: Annotated[str, typer.Argument(help="The merged-away voice id.")],
                   as_json: JsonOpt = False) -> None:
    """Undo a merge: the voice stands on its own again."""
    from eioku.store.voices import VoiceRepository

    _show(lambda s: VoiceRepository(s).unmerge(voice), as_json, "is on its own again")


@voices_app.command("link")
@friendly_errors
def voices_link(voice: Ref, person: Annotated[str, typer.Argument(help="Person id or name.")],
                as_json: JsonOpt = False) -> None:
    """Link a voice to a person's face by hand: one person, one name."""
    from eioku.services import voices

    _show(lambda s: voices.link(s, voice, person), as_json, "linked")


@voices_app.command("unlink")
@friendly_errors
def voices_unlink(voice: Ref, as_json: JsonOpt = False) -> None:
    """Undo a voice's link to a person (the rule will not make it again)."""
    from eioku.services import voices

    _show(lambda s: voices.unlink(s, voice), as_json, "unlinked")
