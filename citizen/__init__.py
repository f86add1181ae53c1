"""Residents' own reports: pure, no ckan import.

``reports`` checks a report field by field, moderates it once, and gives
what is published of it (its H3 cell and tambon, never its point);
``photos`` makes an uploaded photo safe to keep and to publish: its type
checked by content, its size capped, its metadata (EXIF, GPS included)
dropped, its longest side at most :data:`photos.MAX_SIDE` pixels.
"""
