"""Per-client hourly allowances for the residents' forms (warning sign-ups,
reports), counted in Redis. Only a hash of the client's address is kept,
and only for the hour (Thai PDPA: what is necessary)."""
import hashlib

import ckan.plugins.toolkit as tk

from ckanext.maemoh.residents import snapshot

KEY = "maemoh:rate:{}:{}"


class RateLimited(tk.NotAuthorized):
    """Over the hourly allowance (the API's 403; the pages answer 429)."""


def count(purpose, client, per_hour, message):
    """Count one use of ``purpose`` by ``client`` (an address); RateLimited
    with ``message`` past ``per_hour`` uses in the hour."""
    key = KEY.format(purpose, hashlib.sha256(client.encode()).hexdigest()[:32])
    redis_ = snapshot.connection()
    used = redis_.incr(key)
    if used == 1:
        redis_.expire(key, 3600)
    if used > per_hour:
        raise RateLimited(message)
