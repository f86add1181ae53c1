"""Pure source adapters: fetch, parse and normalise agency and sensor data.

Nothing in this package imports ``ckan``: adapters take and return plain
Python objects so they can be tested without any service.
"""
