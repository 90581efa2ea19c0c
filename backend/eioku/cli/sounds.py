"""``eioku sounds VIDEO`` and ``eioku segments VIDEO``: what is heard when (speech,
music, singing, silence with loudness) and a video's typed segments (intro,
credits, black, silence, colour bars) — what GET /v1/videos/{id}/sounds and
/segments answer."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from eioku.cli import JsonOpt, _clock, _Store, _table, app, console, friendly_errors, print_json


def _lufs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} LUFS"


@app.command("sounds")
@friendly_errors
def sounds(video_id: Annotated[uuid.UUID, typer.Argument(help="The video's id.")],
           label: Annotated[str | None, typer.Option(
               help="Only speech, music, singing or silence.")] = None,
           as_json: JsonOpt = False) -> None:
    """Speech, music, singing and silence over time with their loudness, and the
    whole programme's EBU R128 loudness (run the `sounds` stage on an analysed
    video with `eioku analyze VIDEO --analyzers sounds`)."""
    from eioku.api.routers.sounds import video_sounds
    from eioku.domain.models import NO_OVERRIDE

    with _Store().uow() as uow:
        out = video_sounds(video_id, uow, NO_OVERRIDE, label)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    if out.programme is not None:
        p = out.programme
        console.print(f"programme: {_lufs(p.loudness_lufs)} integrated, range "
                      f"{'-' if p.loudness_range_lu is None else f'{p.loudness_range_lu:.1f} LU'}, "
                      f"loudest moment {_lufs(p.max_momentary_lufs)}; heard: " + ", ".join(
                          f"{k} {v:.0%}" for k, v in out.share.items() if v), highlight=False)
    _table("Sounds", ["start", "end", "sound", "confidence", "loudness"],
           [[_clock(e.start_ms), _clock(e.end_ms), e.label, f"{e.confidence:.2f}",
             _lufs(e.loudness_lufs)] for e in out.events])


@app.command("segments")
@friendly_errors
def segments(video_id: Annotated[uuid.UUID, typer.Argument(help="The video's id.")],
             type_: Annotated[str | None, typer.Option(
                 "--type", help="Only intro, credits, black, silence or colour_bars.")] = None,
             as_json: JsonOpt = False) -> None:
    """A video's intro (shared with its folder), credits, black frames, silences
    and colour bars (the `segments` stage)."""
    from eioku.api.routers.sounds import video_segments
    from eioku.domain.models import NO_OVERRIDE

    with _Store().uow() as uow:
        out = video_segments(video_id, uow, NO_OVERRIDE, type_)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    _table("Segments", ["start", "end", "type", "confidence", "why"],
           [[_clock(s.start_ms), _clock(s.end_ms), s.type, f"{s.confidence:.2f}", s.evidence or ""]
            for s in out.segments])
