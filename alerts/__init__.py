"""Warnings for the Mae Moh platform: pure, no ckan import.

``episodes`` decides when a condition becomes an episode and what each
subscriber is sent (Alert, Update, Cancel); ``texts`` says it in Thai and
English; ``cap`` writes CAP 1.2 messages and their Atom feed, validated
against the OASIS schema in ``data/``; ``webhooks`` signs deliveries the
Standard Webhooks way; ``line`` pushes through the LINE Messaging API.
"""
