"""Scanning a library folder by hand (watching off): what each change on disk
becomes, on real media files and the real store."""

from __future__ import annotations

import os
import time

import pytest
from eioku.services import ingest
from eioku.services.libraries import LeaseLostError, Scanner, purge_missing

from tests.integration.library.conftest import SRT, Lib, make_media, move, settled
from tests.media import tiny_mp4


def test_first_scan_registers_media_below_the_folder_and_queues_it(session_factory, settings, folder):
    make_media(folder, ["a.mp4", "b.mov", "sub/c.mkv", "skip/d.mp4"])
    (folder / "notes.txt").write_text("not media")
    make_media(folder, [".hidden.mp4"], seed=9)
    lib = Lib(session_factory, settings, folder, exclude=["skip"])
    report = lib.scan()
    assert (report.found, report.hashed, report.queued, report.added) == (3, 3, 3, 3)
    assert set(lib.videos()) == {"a.mp4", "b.mov", "c.mkv"}
    assert lib.count("SELECT count(*) FROM runs WHERE status = 'queued' AND analyzer = 'metadata'") == 3
    # their index sits at the end (PyAV's MP4 muxer): a remux each is queued for the player at once
    assert lib.count("SELECT count(*) FROM playback_files WHERE mode = 'remux'") == 3
    row = lib.rows("SELECT scan_state, scan_found, scan_hashed, scan_queued FROM libraries")[0]
    assert tuple(row) == ("idle", 3, 3, 3)


def test_a_rescan_where_nothing_changed_hashes_nothing(session_factory, settings, folder, monkeypatch):
    make_media(folder, ["a.mp4", "b.mp4", "c/d.mp4"])
    lib = Lib(session_factory, settings, folder)
    lib.scan()

    def no_hash(path):
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(ingest, "content_hash", no_hash)
    report = lib.scan()
    assert (report.unchanged, report.hashed, report.added, report.gone) == (3, 0, 0, 0)


def test_rename_move_delete_change_and_a_subtitle_end_as_described(session_factory, settings, folder):
    a, b, c, d = make_media(folder, ["a.mp4", "b.mp4", "c.mp4", "d.mp4"])
    lib = Lib(session_factory, settings, folder)
    lib.scan()
    before = lib.videos()
    runs_before = lib.count("SELECT count(*) FROM runs")

    move(a, folder / "a renamed.mp4")                    # rename
    move(b, folder / "deeper" / "b.mp4")                 # move into a subfolder
    c.unlink()                                           # delete
    tiny_mp4(d, seed=42)                                 # change its content
    (folder / "a renamed.en.srt").write_bytes(SRT)       # subtitles beside one
    settled(d, folder / "a renamed.en.srt")
    report = lib.scan()
    assert (report.moved, report.gone, report.missing, report.changed, report.subtitles) == (2, 1, 1, 1, 1)
    assert report.hashed == 1  # moves are found by inode, size and mtime: only d is hashed

    after = lib.videos()
    assert after["a renamed.mp4"][0] == before["a.mp4"][0]           # same video, new path
    assert after["a renamed.mp4"][1] == str(folder / "a renamed.mp4")
    assert after["b.mp4"][0] == before["b.mp4"][0]
    assert after["b.mp4"][1] == str(folder / "deeper" / "b.mp4")
    assert after["c.mp4"] == (before["c.mp4"][0], str(c), True)       # kept, marked missing
    new_d = lib.rows("SELECT video_id FROM videos WHERE path = :p AND missing_since IS NULL", p=str(d))
    assert len(new_d) == 1 and new_d[0][0] != before["d.mp4"][0]     # new content: a new video
    assert lib.count("SELECT count(*) FROM videos WHERE video_id = :v AND missing_since IS NOT NULL",
                     v=before["d.mp4"][0]) == 1                       # the old content: missing
    assert lib.count("SELECT count(*) FROM videos") == 5              # nothing duplicated
    assert lib.count("SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 2
    # nothing lost: every run stays; only the new content got runs (the subtitle run is one more)
    assert lib.count("SELECT count(*) FROM runs") == runs_before + 1 + 1
    assert lib.count("SELECT count(*) FROM runs WHERE asset_id = :v", v=new_d[0][0]) == 1
    sidecar = lib.rows("SELECT r.status, r.producer, r.config FROM runs r WHERE r.asset_id = :v "
                       "AND r.producer = 'sidecar'", v=before["a.mp4"][0])
    assert [(s, p, c["language"]) for s, p, c in sidecar] == [("completed", "sidecar", "en")]
    assert lib.count("SELECT count(*) FROM transcript_fts WHERE asset_id = :v AND tsv @@ "
                     "to_tsquery('simple', 'invoice')", v=before["a.mp4"][0]) == 1


def test_a_file_still_being_written_is_taken_once_stable(session_factory, settings, folder):
    lib = Lib(session_factory, settings, folder)
    growing = folder / "growing.mp4"
    tiny_mp4(folder / "whole.mp4", seed=3)
    data = (folder / "whole.mp4").read_bytes()
    (folder / "whole.mp4").unlink()
    growing.write_bytes(data[: len(data) // 2])            # half copied, just now
    report = lib.scan(wait=0)
    assert report.unsettled == ["growing.mp4"] and report.hashed == 0
    assert lib.count("SELECT count(*) FROM videos") == 0
    with growing.open("ab") as fh:                         # the copy ends
        fh.write(data[len(data) // 2:])
    report = lib.scan(wait=5)                              # waits for it to settle
    assert report.hashed == 1 and not report.unsettled
    assert lib.count("SELECT count(*) FROM videos") == 1
    assert lib.rows("SELECT size_bytes FROM videos")[0][0] == len(data)


def test_a_copy_is_no_new_video_and_a_restored_file_is_no_longer_missing(session_factory, settings,
                                                                          folder):
    (a,) = make_media(folder, ["a.mp4"])
    (folder / "notes.txt").write_text("the folder is never empty")
    lib = Lib(session_factory, settings, folder)
    lib.scan()
    (folder / "copy of a.mp4").write_bytes(a.read_bytes())
    settled(folder / "copy of a.mp4")
    lib.scan()
    assert lib.count("SELECT count(*) FROM videos") == 1
    saved = a.read_bytes()
    a.unlink()
    lib.scan()
    assert lib.videos()["copy of a.mp4"][2] is False       # its other file holds it
    (folder / "copy of a.mp4").unlink()
    lib.scan()
    assert next(iter(lib.videos().values()))[2] is True     # now missing
    a.write_bytes(saved)
    settled(a)
    lib.scan()
    (video_id, path, missing), = lib.videos().values()
    assert (path, missing) == (str(a), False)
    assert lib.count("SELECT count(*) FROM runs WHERE asset_id = :v", v=video_id) == 1


def test_missing_videos_go_after_the_grace_period_or_on_request(session_factory, settings, folder):
    a, b = make_media(folder, ["a.mp4", "b.mp4"])
    lib = Lib(session_factory, settings, folder)
    lib.scan()
    a.unlink()
    b.unlink()
    (folder / "keep.mp4").write_bytes(b"x" * 10)  # the folder is not empty: not an unmounted disk
    settled(folder / "keep.mp4")
    lib.scan()
    assert lib.count("SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 2
    long_grace = settings.model_copy(update={"missing_grace_s": 3600.0})
    assert purge_missing(session_factory, long_grace) == 0       # within the grace period
    time.sleep(0.2)
    assert purge_missing(session_factory, settings.model_copy(update={"missing_grace_s": 0.1})) == 2
    assert lib.count("SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 0
    assert lib.count("SELECT count(*) FROM library_files WHERE gone_since IS NOT NULL") == 0


def test_an_empty_folder_is_an_unmounted_disk_until_told_otherwise(session_factory, settings, folder):
    (a,) = make_media(folder, ["a.mp4"])
    lib = Lib(session_factory, settings, folder)
    lib.scan()
    a.unlink()
    report = lib.scan()
    assert report.error and "unmounted" in report.error
    assert lib.count("SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 0
    assert lib.rows("SELECT scan_state FROM libraries")[0][0] == "failed"
    lib.scan(force_empty=True)
    assert lib.count("SELECT count(*) FROM videos WHERE missing_since IS NOT NULL") == 1


def test_a_scanner_without_the_lease_writes_nothing(session_factory, settings, folder):
    make_media(folder, ["a.mp4"])
    lib = Lib(session_factory, settings, folder)
    other = Scanner(session_factory, settings, "someone-else")
    with pytest.raises(LeaseLostError):
        other.scan(lib.id)
    assert lib.count("SELECT count(*) FROM videos") == 0
    assert os.path.exists(folder / "a.mp4")


def test_links_out_of_the_folder_are_never_read(session_factory, settings, folder, tmp_path):
    outside = tmp_path / "secret"
    outside.mkdir()
    make_media(outside, ["private.mp4"], seed=4)
    (outside / "notes").write_text("not for the server")
    (a,) = make_media(folder, ["a.mp4"])
    (folder / "leak.mp4").symlink_to(outside / "private.mp4")
    (folder / "leak2.mp4").symlink_to(outside / "notes")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "alias.mp4").symlink_to(a)                    # a link inside the folder is fine
    lib = Lib(session_factory, settings, folder)
    report = lib.scan()
    assert report.found == 2 and set(lib.videos()) == {"a.mp4"}
