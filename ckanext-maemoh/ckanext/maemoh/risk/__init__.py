"""Risk layers: runs and their triggers, reading inputs, publishing layers, and
the risk-map view."""
