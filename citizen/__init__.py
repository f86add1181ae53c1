"""Residents' own reports: pure, no ckan import.

``photos`` makes an uploaded photo safe to keep and to publish: its type
checked by content, its size capped, its metadata (EXIF, GPS included)
dropped, its longest side at most :data:`photos.MAX_SIDE` pixels.
"""
