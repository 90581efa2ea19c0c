"""HTTP API (FastAPI). Never imports ML libraries."""
