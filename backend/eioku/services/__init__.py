"""Use cases: what the API and CLI do, in terms of the store."""
