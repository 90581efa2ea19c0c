"""Model files: where each comes from, and finding it on disk (never downloading)."""
