"""Writers of the files the platform publishes, shared by ``risk_jobs`` and
``netzero`` through their public names: JSON-safe values, RFC 7946 GeoJSON,
formula-safe CSV, PNG maps with Thai labels, method records.

Pure: nothing here imports ``ckan``.
"""
