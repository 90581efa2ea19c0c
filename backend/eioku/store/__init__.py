"""Persistence: repositories, projections and the unit of work."""
