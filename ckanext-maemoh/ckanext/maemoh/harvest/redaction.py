"""Secrets in harvest source configurations (API keys, map keys) stay with
those who may edit the source: everyone else sees them masked.

ckanext-harvest shows a source's configuration to anyone who may see the
source, as a JSON text and as top-level keys, in package_show and in
package_search results.
"""
import json

SECRET_KEYS = {"api_key", "map_key", "token", "password", "secret"}
MASK = "***"


def redact(pkg_dict):
    """Mask the secret keys of a harvest source dict (in place; returned)."""
    for key in SECRET_KEYS & set(pkg_dict):
        pkg_dict[key] = MASK
    config = pkg_dict.get("config")
    if isinstance(config, str) and config.strip():
        try:
            parsed = json.loads(config)
        except ValueError:
            return pkg_dict
        if isinstance(parsed, dict):
            for key in SECRET_KEYS & set(parsed):
                parsed[key] = MASK
            pkg_dict["config"] = json.dumps(parsed, indent=2, ensure_ascii=False)
    return pkg_dict
