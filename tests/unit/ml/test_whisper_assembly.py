"""Several workers assembling the Whisper model on a fresh data dir at once
(two transcript chunks of one long video, say) all get a complete model."""

from __future__ import annotations

import threading

from eioku_ml.models.catalog import WHISPER_BASE_BYTES, whisper_base_dir


def test_concurrent_assembly_of_the_whisper_model(tmp_path):
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def assemble() -> None:
        barrier.wait()
        try:
            whisper_base_dir(tmp_path)
        except BaseException as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=assemble) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    folder = tmp_path / "whisper-base"
    assert (folder / "model.bin").stat().st_size == WHISPER_BASE_BYTES
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                        "vocabulary.json"]  # no temporary left
