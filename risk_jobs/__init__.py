"""Pure spatial-risk computation (PySAL) on pandas and geopandas objects.

Nothing in this package imports ``ckan``: the CKAN glue reads inputs from the
catalogue and publishes what these functions return.
"""
