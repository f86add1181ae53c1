"""Pure source adapters: fetch, parse and normalise agency and sensor data.

Nothing in this package imports ``ckan``: adapters take and return plain
Python objects so they can be tested without any service.
"""

#: The sensor sources, one line each: adapter module -> its adapter class.
#: Each becomes the harvester plugin ``maemoh_<module>_harvester`` (class
#: ``<Class>Harvester`` in ``harvest/plugins.py``, entry point made by
#: ``setup.py`` from this literal): a new sensor source is its module here
#: and this line (README, "Where things go").
SENSOR_SOURCES = {
    "air4thai": "Air4Thai",
    "openaq": "OpenAQ",
    "sensorthings": "SensorThings",
    "dustboy": "DustBoy",
}
