"""Secrets of harvest sources stay in the server configuration.

A harvest source's configuration is a dataset: ckanext-harvest shows it in
``harvest_source_show`` and ``harvest_source_list``, search results, activity
snapshots, and its own log lines. So a source never holds a key; it names
one, and the value lives in the CKAN configuration file::

    # harvest source configuration
    {"api_key": {"secret": "openaq"}, "bbox": [...]}
    # ckan.ini
    ckanext.maemoh.secret.openaq = 0123abcd...

The value is put in place only in the harvester's own process, just before
an adapter is built; what any reader of the source sees is the name.
"""
import re

import ckan.plugins.toolkit as tk

#: configuration keys that hold secrets, in any source type
SECRET_KEYS = ("api_key", "map_key", "token", "password", "secret")
OPTION = "ckanext.maemoh.secret.{name}"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check(config):
    """Refuse a literal secret or a reference to an unknown one (ValueError
    naming the key)."""
    for key in SECRET_KEYS:
        if key in config:
            _value(key, config[key])


def resolve(config):
    """``config`` with each secret reference replaced by its value."""
    return {key: _value(key, value) if key in SECRET_KEYS else value
            for key, value in config.items()}


def _value(key, reference):
    if not (isinstance(reference, dict) and set(reference) == {"secret"}):
        raise ValueError(
            f'{key}: a harvest source does not keep secrets; write the value in the server '
            f'configuration as {OPTION.format(name="NAME")} and give {{"secret": "NAME"}} here')
    name = reference["secret"]
    if not (isinstance(name, str) and NAME.fullmatch(name)):
        raise ValueError(f"{key}: a secret's name is lower-case letters, digits, - and _")
    value = tk.config.get(OPTION.format(name=name))
    if not value:
        raise ValueError(f"{key}: the server configuration has no secret {name} "
                         f"({OPTION.format(name=name)})")
    return value
