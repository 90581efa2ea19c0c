"""Exports of moments (a collection, or a query's results), one module each:

- ``moments``: what is exported — each moment's video, file, span and frame rate;
- ``timelines``: an editing timeline through OpenTimelineIO (.otio, CMX 3600
  EDL, Final Cut Pro 7 XML, FCPXML) referencing the original files;
- ``tables``: CSV and JSON of the moments;
- ``compilation``: one MP4 of them, made by a worker (``compilations`` queue).

The per-video exports (subtitles, chapters, every artifact as JSON) are in
services/exports.py; they move in here when they next change.
"""
