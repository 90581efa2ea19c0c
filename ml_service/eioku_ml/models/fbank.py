"""Log-mel filterbank features as SpeechBrain's ``Fbank`` computes them, in numpy.

SpeechBrain's ECAPA-TDNN (``speechbrain/spkrec-ecapa-voxceleb``) was trained on
these features, so they must match exactly: 16 kHz audio, a centred STFT
(zero padding of n_fft/2 either side) of 400 samples with a periodic Hamming
window every 160 samples (25 ms / 10 ms), the power spectrum, 80 triangular
mel filters between 0 and 8 kHz (both slopes of a filter use the width of its
lower band, as SpeechBrain's ``Filterbank`` does), 10·log10 clamped at 1e-10
and at 80 dB below the clip's loudest value, and then the clip's mean over
time subtracted from every frame (``InputNormalization(norm_type="sentence")``
without variance normalisation). A test compares them to SpeechBrain's.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400
HOP = 160
N_MELS = 80
_AMIN = 1e-10
_TOP_DB = 80.0


def _to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595 * np.log10(1 + np.asarray(hz, np.float64) / 700)


def _to_hz(mel: np.ndarray) -> np.ndarray:
    return 700 * (10 ** (mel / 2595) - 1)


@functools.cache
def mel_matrix() -> np.ndarray:
    """(N_FFT//2 + 1, N_MELS): the triangular filters."""
    hz = _to_hz(np.linspace(_to_mel(0.0), _to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    band, central = (hz[1:] - hz[:-1])[:-1], hz[1:-1]
    freqs = np.linspace(0, SAMPLE_RATE // 2, N_FFT // 2 + 1)
    slope = (freqs[None, :] - central[:, None]) / band[:, None]
    return np.maximum(0.0, np.minimum(slope + 1.0, 1.0 - slope)).T.astype(np.float32)


@functools.cache
def _window() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.54 - 0.46 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic Hamming


def frames(samples: int) -> int:
    """How many feature frames a clip of ``samples`` samples has."""
    return 1 + samples // HOP


def fbank(clips: np.ndarray) -> np.ndarray:
    """(batch, samples) float32 audio in [-1, 1] at 16 kHz -> (batch, frames, 80)
    mean-normalised log-mel features, one clip at a time as SpeechBrain would."""
    clips = np.atleast_2d(np.asarray(clips, np.float32))
    pad = N_FFT // 2
    padded = np.pad(clips, ((0, 0), (pad, pad)))
    count = frames(clips.shape[1])
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    spectrum = np.fft.rfft(padded[:, index] * _window(), axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    db = 10 * np.log10(np.maximum(power @ mel_matrix(), _AMIN))
    db = np.maximum(db, db.max(axis=(1, 2), keepdims=True) - _TOP_DB)
    return (db - db.mean(axis=1, keepdims=True)).astype(np.float32)
