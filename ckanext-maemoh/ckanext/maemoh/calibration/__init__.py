"""Low-cost PM2.5 sensors corrected against the reference stations (CKAN glue of :mod:`risk_jobs.calibration`)."""
