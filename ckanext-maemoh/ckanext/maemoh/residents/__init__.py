"""The residents' pages: their data (one catalogue snapshot per request), map
layers, charts and views."""
