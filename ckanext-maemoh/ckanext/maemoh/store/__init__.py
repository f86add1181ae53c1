"""Writes to the catalogue and the DataStore shared by every capability:
idempotent upserts, bulk table loads, publishing computed files and tables."""
