"""The PM2.5 forecast in CKAN: read the trusted data, fit and issue with
:mod:`ckanext.maemoh.forecast`, publish ``forecast-pm25``."""
