"""Secret keys of harvest source configurations are masked for whoever may
not edit the source.

Sources name their secrets (:mod:`.source_secrets`: the values live in the
server configuration), so this is a second wall: it hides which secret a
source uses, and any literal key a source saved before secrets moved to the
server configuration. ckanext-harvest shows a source's configuration to
anyone who may see the source, as a JSON text and as top-level keys, in
package_show and in package_search results.
"""
import json

from ckanext.maemoh.harvest.source_secrets import SECRET_KEYS

MASK = "***"


def redact(pkg_dict):
    """Mask the secret keys of a harvest source dict (in place; returned)."""
    for key in set(SECRET_KEYS) & set(pkg_dict):
        pkg_dict[key] = MASK
    config = pkg_dict.get("config")
    if isinstance(config, str) and config.strip():
        try:
            parsed = json.loads(config)
        except ValueError:
            return pkg_dict
        if isinstance(parsed, dict):
            for key in set(SECRET_KEYS) & set(parsed):
                parsed[key] = MASK
            pkg_dict["config"] = json.dumps(parsed, indent=2, ensure_ascii=False)
    return pkg_dict
