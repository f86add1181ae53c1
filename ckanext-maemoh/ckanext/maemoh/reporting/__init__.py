"""Residents' reports: the form, the private status link, moderation and publication (CKAN glue of :mod:`citizen`)."""
