"""Search: index shaping, query weighting, spelling suggestions, facets, and
relevance as a measured figure."""
