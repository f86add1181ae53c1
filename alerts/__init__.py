"""Warnings for the Mae Moh platform: pure, no ckan import.

``levels`` reads the level of each event (AQI band, forecast band, fires
near a tambon, risk class, a stale station) from snapshot-shaped data;
``episodes`` decides when a condition becomes an episode and what each
subscriber is sent (Alert, Update, Cancel); ``texts`` says it in Thai and
English; ``cap`` writes CAP 1.2 messages and their Atom feed, validated
against the OASIS schema in ``data/``; ``webhooks`` signs and posts
deliveries the Standard Webhooks way; ``line`` pushes through the LINE
Messaging API; ``mail`` composes e-mail and sends it over one SMTP
connection; ``sink`` is the local SMTP server of the demo and the tests.
"""
