"""Decoding video frames and audio with PyAV (which bundles FFmpeg)."""
