"""Eioku: navigate a video library like a document."""

__version__ = "0.1.0"
