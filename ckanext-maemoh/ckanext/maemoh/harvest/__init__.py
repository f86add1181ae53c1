"""ckanext-harvest glue: one harvester per source adapter of ``harvesters/``."""
