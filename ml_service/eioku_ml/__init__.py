"""Eioku's analysis side: decoding, analyzers, models and the worker pool."""
