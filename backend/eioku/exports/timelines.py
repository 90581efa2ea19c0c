"""An editing timeline of moments through OpenTimelineIO: one clip per moment,
in order, on a video track and an audio track, each referencing the original
file (``file://`` URL, its whole length available) with its source range in
frames of the file's own rate, so an editor lines the clips up on the
original media. Written as .otio, CMX 3600 EDL (video only, one rate: the
first moment's), Final Cut Pro 7 XML and FCPXML by OTIO's adapters."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import opentimelineio as otio

from eioku.domain.errors import ValidationFailedError
from eioku.exports.moments import ExportMoment


class TimelineFormat(StrEnum):
    OTIO = "otio"
    EDL = "edl"
    FCP_XML = "xml"  # Final Cut Pro 7 XML (Premiere, Resolve, Kdenlive read it)
    FCPXML = "fcpxml"  # Final Cut Pro X


ADAPTER = {TimelineFormat.OTIO: "otio_json", TimelineFormat.EDL: "cmx_3600",
           TimelineFormat.FCP_XML: "fcp_xml", TimelineFormat.FCPXML: "fcpx_xml"}
MEDIA_TYPE = {TimelineFormat.OTIO: "application/json", TimelineFormat.EDL: "text/plain",
              TimelineFormat.FCP_XML: "application/xml", TimelineFormat.FCPXML: "application/xml"}


def frames(ms: int, rate: float) -> int:
    return int(round(ms * rate / 1000))


def clip_name(m: ExportMoment) -> str:
    return f"{m.index:03d} {m.filename}"[:120]


def timeline(moments: Sequence[ExportMoment], title: str, *, audio: bool = True) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name=title)
    tracks = [otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)]
    if audio:
        tracks.append(otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio))
    for track in tracks:
        tl.tracks.append(track)
        for m in moments:
            track.append(_clip(m))
    if moments:
        tl.global_start_time = otio.opentime.RationalTime(0, moments[0].fps)
    return tl


def _clip(m: ExportMoment) -> otio.schema.Clip:
    rate = m.fps
    length = frames(m.duration_ms, rate) if m.duration_ms else frames(m.end_ms, rate)
    ref = otio.schema.ExternalReference(
        target_url=m.path.resolve().as_uri(),
        available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                                 otio.opentime.RationalTime(max(length, 1), rate)))
    start = frames(m.start_ms, rate)
    length = max(1, frames(m.end_ms, rate) - start)
    return otio.schema.Clip(
        name=clip_name(m), media_reference=ref,
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                             otio.opentime.RationalTime(length, rate)),
        metadata={"eioku": {"video_id": str(m.video_id), "start_ms": m.start_ms,
                            "end_ms": m.end_ms, "note": m.note}})


def write(moments: Sequence[ExportMoment], title: str, fmt: TimelineFormat) -> str:
    if fmt is TimelineFormat.EDL:
        rates = {round(m.fps, 3) for m in moments}
        if len(rates) > 1:
            raise ValidationFailedError(
                f"an EDL has one frame rate and these moments' files have {len(rates)} "
                f"({', '.join(map(str, sorted(rates)))}): export .otio or Final Cut Pro XML instead",
                field="format")
    tl = timeline(moments, title, audio=fmt is not TimelineFormat.EDL)
    kwargs = {"rate": moments[0].fps} if fmt is TimelineFormat.EDL and moments else {}
    return otio.adapters.write_to_string(tl, adapter_name=ADAPTER[fmt], **kwargs)  # type: ignore[no-any-return]
