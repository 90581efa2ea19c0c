"""Media the API serves itself: frames, thumbnails, scrub-preview sprites and
clips, decoded with PyAV and encoded with Pillow (no ML library)."""
