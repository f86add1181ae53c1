"""Trusted publishers: who feeds the official products, and the sysadmins' page
listing them."""
